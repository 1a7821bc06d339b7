/**
 * LangChain's own loops on a scripted model, with the history in the store: a
 * RunnableWithMessageHistory chain over several turns, and a tool-calling loop whose turn (AI tool
 * call, tool results with artifacts, final answer) is saved with one addMessages.
 */
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  ToolMessage,
  trimMessages,
} from '@langchain/core/messages';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableWithMessageHistory } from '@langchain/core/runnables';
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentSessionsChatMessageHistory } from '../../../src/adapters/langchain/index.js';
import type { SessionService } from '../../../src/index.js';
import { type Backend, backends } from './backends.js';
import { reply, ScriptedChatModel } from './scripted-model.js';

const APP = 'langchain-chat';

const weather: StructuredToolInterface = tool(
  async ({ city }: { city: string }) => [`Sunny, 24°C in ${city}`, { city, tempC: 24 }],
  {
    name: 'weather',
    description: 'The weather in a city',
    schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    responseFormat: 'content_and_artifact',
  },
);

function historyOf(service: SessionService, sessionId: string, limit?: number) {
  return new AgentSessionsChatMessageHistory({
    service,
    appName: APP,
    userId: 'ada',
    sessionId,
    ...(limit ? { limit } : {}),
  });
}

/** One user turn of a tool-calling agent: model, tools, model ..., then the turn saved at once. */
async function agentTurn(
  model: ScriptedChatModel,
  history: AgentSessionsChatMessageHistory,
  input: string,
): Promise<BaseMessage[]> {
  const bound = model.bindTools([weather]);
  const past = await history.getMessages();
  const turn: BaseMessage[] = [new HumanMessage({ content: input, id: `human-${past.length}` })];
  for (let step = 0; step < 5; step++) {
    const ai = (await bound.invoke([...past, ...turn])) as AIMessage;
    turn.push(ai);
    if (!ai.tool_calls?.length) break;
    for (const call of ai.tool_calls)
      turn.push((await weather.invoke({ ...call, type: 'tool_call' })) as ToolMessage);
  }
  await history.addMessages(turn);
  return turn;
}

const toolCall = (id: string, city: string) => ({
  id,
  name: 'weather',
  args: { city },
  type: 'tool_call' as const,
});

describe.each(backends)('LangChain history on %s', (_name, open) => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await open();
  });
  afterEach(async () => {
    await backend.close();
  });

  it('carries a RunnableWithMessageHistory conversation from turn to turn', async () => {
    const model = new ScriptedChatModel([
      (_prompt, n) => reply({ content: 'Hello Ada!' }, n),
      (prompt, n) => reply({ content: `You are ${String(prompt[1]?.content).slice(5)}` }, n),
    ]);
    const prompt = ChatPromptTemplate.fromMessages([
      ['system', 'You are terse.'],
      new MessagesPlaceholder('history'),
      ['human', '{input}'],
    ]);
    const chain = new RunnableWithMessageHistory({
      runnable: prompt.pipe(model),
      getMessageHistory: (sessionId: string) => historyOf(backend.service, sessionId),
      inputMessagesKey: 'input',
      historyMessagesKey: 'history',
    });
    const config = { configurable: { sessionId: 'conv-1' } };
    const first = await chain.invoke({ input: 'I am Ada' }, config);
    await awaitAllCallbacks();
    const second = await chain.invoke({ input: 'Who am I?' }, config);
    await awaitAllCallbacks();

    expect(model.prompts[1]!.map((m) => [m.type, m.content])).toEqual([
      ['system', 'You are terse.'],
      ['human', 'I am Ada'],
      ['ai', 'Hello Ada!'],
      ['human', 'Who am I?'],
    ]);
    expect(second.content).toBe('You are Ada');
    const stored = await historyOf(backend.service, 'conv-1').getMessages();
    expect(stored.map((m) => m.constructor.name)).toEqual([
      'HumanMessage',
      'AIMessage',
      'HumanMessage',
      'AIMessage',
    ]);
    expect(stored[1]).toStrictEqual(first);
    expect(stored[3]).toStrictEqual(second);
    expect((stored[3] as AIMessage).usage_metadata).toEqual({
      input_tokens: 11,
      output_tokens: 5,
      total_tokens: 16,
    });
    // Another conversation of the same user shares nothing.
    expect(await historyOf(backend.service, 'conv-2').getMessages()).toEqual([]);
  });

  it('stores a tool-calling turn whole and gives it back deep-equal, artifacts included', async () => {
    const model = new ScriptedChatModel([
      (_p, n) =>
        reply({ content: '', tool_calls: [toolCall('call-1', 'Paris'), toolCall('call-2', 'Cairo')] }, n),
      (p, n) => reply({ content: `Both: ${p.at(-2)?.content} / ${p.at(-1)?.content}` }, n),
      (p, n) => reply({ content: `We spoke of ${p.length} messages` }, n),
    ]);
    const history = historyOf(backend.service, 'agent-1');
    const turn = await agentTurn(model, history, 'Weather in Paris and Cairo?');
    expect(turn.map((m) => m.type)).toEqual(['human', 'ai', 'tool', 'tool', 'ai']);
    expect((turn[2] as ToolMessage).artifact).toEqual({ city: 'Paris', tempC: 24 });

    const stored = await historyOf(backend.service, 'agent-1').getMessages();
    expect(stored).toStrictEqual(turn);
    expect(stored[2]).toBeInstanceOf(ToolMessage);

    // The next turn's prompt holds the whole first turn, tool results with their call ids.
    await agentTurn(model, history, 'Thanks');
    expect(model.prompts[2]!.map((m) => m.type)).toEqual(['human', 'ai', 'tool', 'tool', 'ai', 'human']);
    expect((model.prompts[2]![2] as ToolMessage).tool_call_id).toBe('call-1');
  });

  it('writes Go-visible fields a trpc-agent-go service can read', async () => {
    const model = new ScriptedChatModel([
      (_p, n) => reply({ content: '', tool_calls: [toolCall('call-1', 'Paris')] }, n),
      (_p, n) => reply({ content: 'Sunny.' }, n),
    ]);
    await agentTurn(model, historyOf(backend.service, 'go-1'), 'Weather?');
    const session = await backend.service.getSession({ appName: APP, userId: 'ada', sessionId: 'go-1' });
    const events = session!.events;
    expect(events.map((e) => [e.author, e.choices?.[0]?.message.role])).toEqual([
      ['user', 'user'],
      ['assistant', 'assistant'],
      ['assistant', 'tool'],
      ['assistant', 'assistant'],
    ]);
    expect(events[0]!.choices![0]!.message.content).toBe('Weather?');
    expect(events[1]!.choices![0]!.message.tool_calls).toEqual([
      { type: 'function', id: 'call-1', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(events[2]!.choices![0]!.message).toMatchObject({
      role: 'tool',
      tool_id: 'call-1',
      tool_name: 'weather',
      content: 'Sunny, 24°C in Paris',
    });
    expect(events[3]!.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
    expect(events[3]!.model).toBe('scripted-1');
    // One addMessages is one invocation.
    expect(new Set(events.map((e) => e.invocationId)).size).toBe(1);
  });

  it('loads a window that never starts with a tool result whose call was cut off', async () => {
    const model = new ScriptedChatModel([
      (_p, n) =>
        reply({ content: '', tool_calls: [toolCall('call-1', 'Paris'), toolCall('call-2', 'Oslo')] }, n),
      (_p, n) => reply({ content: 'Done.' }, n),
    ]);
    const turn = await agentTurn(model, historyOf(backend.service, 'win-1'), 'Weather?');
    // [human, ai(calls), tool, tool, ai]: the newest 3 start at a tool result of a cut-off call.
    expect(await historyOf(backend.service, 'win-1', 3).getMessages()).toStrictEqual([turn[4]]);
    expect(await historyOf(backend.service, 'win-1', 2).getMessages()).toStrictEqual([turn[4]]);
    expect(await historyOf(backend.service, 'win-1', 4).getMessages()).toStrictEqual(turn.slice(1));
    expect(await historyOf(backend.service, 'win-1', 9).getMessages()).toStrictEqual(turn);
  });

  it('hands its messages to trimMessages', async () => {
    const history = historyOf(backend.service, 'trim-1');
    const messages = [
      new HumanMessage('one'),
      new AIMessage('two'),
      new HumanMessage('three'),
      new AIMessage('four'),
    ];
    await history.addMessages(messages);
    const options = {
      maxTokens: 3,
      strategy: 'last' as const,
      startOn: 'human' as const,
      tokenCounter: (ms: BaseMessage[]) => ms.length,
    };
    const trimmed = await trimMessages(await history.getMessages(), options);
    expect(trimmed.map((m) => m.content)).toEqual(['three', 'four']);
    // trimMessages copies what it keeps: the copies of loaded messages equal those of the originals.
    expect(trimmed).toStrictEqual(await trimMessages(messages, options));
  });
});
