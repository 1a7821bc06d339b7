/**
 * A chat route as the AI SDK's persistence guide writes it, standing in for a POST handler: read
 * the chat, append the client's new message, validate, run streamText with tools, stream the UI
 * message response, and save the chat in onFinish. It returns the streamed chunks' response once
 * onFinish has saved.
 */
import {
  convertToModelMessages,
  type LanguageModel,
  stepCountIs,
  streamText,
  type ToolSet,
  tool,
  type UIMessage,
  validateUIMessages,
} from 'ai';
import { z } from 'zod';
import type { ChatHistory, UIMessageStore } from '../../../src/adapters/ai-sdk/index.js';

export const tools = {
  weather: tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, celsius: city.length }),
  }),
} satisfies ToolSet;

let ids = 0;
/** Message ids for responses, as a route passes `generateMessageId` (unique per test run). */
export const generateMessageId = (): string => `msg-${process.pid}-${++ids}`;

export interface RouteRequest {
  store: UIMessageStore;
  userId: string;
  chatId: string;
  /** The new message the client sends; none to continue the last assistant message. */
  message?: UIMessage;
  model: LanguageModel;
  /** Called between reading the chat and streaming, to let a test interleave requests. */
  afterRead?: (chat: ChatHistory<UIMessage>) => Promise<void>;
}

export interface RouteResult {
  /** The list onFinish handed over (and the route saved). */
  messages: UIMessage[];
  written: string[];
}

export async function chatRoute(request: RouteRequest): Promise<RouteResult> {
  const chat = await request.store.open({ userId: request.userId, chatId: request.chatId });
  await request.afterRead?.(chat);
  const messages = await validateUIMessages<UIMessage>({
    messages: request.message ? [...chat.messages, request.message] : chat.messages,
    tools: tools as never,
  });
  const result = streamText({
    model: request.model,
    tools,
    stopWhen: stepCountIs(5),
    messages: await convertToModelMessages(messages, { tools }),
  });
  let saved: Promise<RouteResult> | undefined;
  const stream = result.toUIMessageStream<UIMessage>({
    originalMessages: messages,
    generateMessageId,
    sendReasoning: true,
    sendSources: true,
    onFinish: ({ messages: finished }) => {
      saved = chat.saveChanges(finished).then(({ written }) => ({ messages: finished, written }));
    },
  });
  for await (const _chunk of stream) {
    // A client would render the chunks; the route only has to let the stream run to the end.
  }
  if (!saved) throw new Error('onFinish was not called');
  return saved;
}

export function userMessage(id: string, text: string): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}
