/**
 * The Vercel AI SDK with agent-sessions (`npm run example:ai-sdk`): a chat route as the AI SDK's
 * persistence guide writes it, with the two lines the store adds (marked `agent-sessions:`). A
 * scripted model from the AI SDK's own test utilities answers, so it runs offline; the chats live
 * in an in-memory PGlite database (or in the PostgreSQL server of DATABASE_URL).
 */
import {
  convertToModelMessages,
  createIdGenerator,
  jsonSchema,
  stepCountIs,
  streamText,
  tool,
  type UIMessage,
  validateUIMessages,
} from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { UIMessageStore } from '../src/adapters/ai-sdk/index.js';
import { PostgresSessionService } from '../src/postgres/index.js';
import { pgliteClient } from '../src/sql/pglite-client.js';

const tools = {
  weather: tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string }>({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    }),
    execute: async ({ city }) => ({ city, celsius: 21 }),
  }),
};

/** A model that first calls the weather tool, then answers; then answers the follow-up. */
function scriptedModel(): MockLanguageModelV3 {
  const usage = {
    inputTokens: { total: 12, noCache: 12, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 8, text: 8, reasoning: undefined },
  };
  const say = (text: string) =>
    [
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: text },
      { type: 'text-end', id: 't' },
      { type: 'finish', usage, finishReason: { unified: 'stop', raw: undefined } },
    ] as const;
  const steps = [
    [
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Lisbon"}' },
      { type: 'finish', usage, finishReason: { unified: 'tool-calls', raw: undefined } },
    ] as const,
    say('It is 21 °C and sunny in Lisbon.'),
    say('Yes, take sunglasses.'),
  ];
  let call = 0;
  return new MockLanguageModelV3({
    doStream: async () => ({ stream: simulateReadableStream({ chunks: [...steps[call++]!] }) }),
  });
}

async function main(): Promise<void> {
  const dsn = process.env.DATABASE_URL?.trim();
  const client = dsn ? undefined : await pgliteClient();
  const service = await PostgresSessionService.create(dsn ? { dsn } : { client });
  const model = scriptedModel();
  // agent-sessions: one store per app; chats are sessions of (appName, userId, chatId).
  const chats = new UIMessageStore({ service, appName: 'weather-chat' });

  /** The POST handler of /api/chat: the client sends its chat id and the new message. */
  async function POST(body: { id: string; message: UIMessage }, userId: string): Promise<Response> {
    const chat = await chats.open({ userId, chatId: body.id }); // agent-sessions: read the chat
    const messages = await validateUIMessages({ messages: [...chat.messages, body.message] });
    const result = streamText({
      model,
      tools,
      stopWhen: stepCountIs(3),
      messages: await convertToModelMessages(messages, { tools }),
    });
    return result.toUIMessageStreamResponse({
      originalMessages: messages,
      generateMessageId: createIdGenerator({ prefix: 'msg', size: 16 }),
      onFinish: ({ messages }) => chat.save(messages), // agent-sessions: save new and changed messages
    });
  }

  try {
    const chatId = `chat-${Date.now()}`;
    const ask = async (id: string, text: string) => {
      const response = await POST(
        { id: chatId, message: { id, role: 'user', parts: [{ type: 'text', text }] } },
        'ana',
      );
      await response.text(); // the browser reads the stream; onFinish has saved when it ends
    };
    await ask('u1', 'What is the weather in Lisbon?');
    await ask('u2', 'Do I need sunglasses?');

    const stored = await new UIMessageStore({ service, appName: 'weather-chat' }).load({
      userId: 'ana',
      chatId,
    });
    console.log(`chat ${chatId}: ${stored.length} messages, read back from the store`);
    for (const message of stored) {
      const parts = message.parts.map((part) => {
        if (part.type === 'text') return JSON.stringify(part.text);
        if (part.type.startsWith('tool-') && 'output' in part)
          return `${part.type}(${JSON.stringify(part.output)})`;
        return part.type;
      });
      console.log(`  ${message.role.padEnd(9)} ${parts.join(' ')}`);
    }
  } finally {
    await service.close();
    await client?.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
