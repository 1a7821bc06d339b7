/**
 * The adapter under the OpenAI Agents SDK's own runner: `run(agent, input, { session })` on a
 * scripted model, with a function-call round, on every backend. What the runner stores is read
 * back exactly, the next turn's model call gets it as history, and a Go service reading the
 * session sees a sensible conversation.
 */
import { Agent, type AgentInputItem, Runner, run, setDefaultModelProvider, tool } from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsSession } from '../../../src/adapters/openai-agents/index.js';
import { EXTENSION_KEY } from '../../../src/adapters/openai-agents/item-event.js';
import { type Backend, backends } from './backends.js';
import { assistantMessage, functionCall, ScriptedModel, ScriptedProvider } from './scripted-model.js';

/** Arguments with odd spacing, a null and a unicode escape: they must come back byte for byte. */
const ARGS = '{"city":  "Paris" , "unit":null, "note":"caf\\u00e9 ☕"}';

function weatherAgent(calls: string[]) {
  const getWeather = tool({
    name: 'get_weather',
    description: 'The weather in a city.',
    strict: false,
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: ['string', 'null'] }, note: { type: 'string' } },
      required: ['city'],
      additionalProperties: true,
    },
    execute: async (input) => {
      const { city } = input as { city: string };
      calls.push(city);
      return `sunny in ${city}`;
    },
  });
  return new Agent({ name: 'weather', instructions: 'Answer about the weather.', tools: [getWeather] });
}

/** A session that counts how the runner uses it. */
class CountingSession extends AgentSessionsSession {
  readonly calls: string[] = [];
  override async getItems(limit?: number) {
    this.calls.push('getItems');
    return super.getItems(limit);
  }
  override async addItems(items: AgentInputItem[]) {
    this.calls.push(`addItems(${items.length})`);
    return super.addItems(items);
  }
}

/**
 * The provider of the top-level run(): the SDK's default runner is made once per process and keeps
 * the provider it was made with, so each test points this one at its own model.
 */
const defaultProvider = {
  model: new ScriptedModel([]),
  getModel() {
    return this.model;
  },
};
setDefaultModelProvider(defaultProvider);

describe.each(backends)('OpenAI Agents runner with AgentSessionsSession on %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  const newSession = (sessionId: string) =>
    new CountingSession({ service: backend.service, appName: 'weather-app', userId: 'u1', sessionId });

  it('stores a turn with a function-call round in one addItems and gives it back as the next turn’s history', async () => {
    const model = new ScriptedModel([
      [functionCall('call_1', 'get_weather', ARGS)],
      [assistantMessage('It is sunny in Paris.')],
      [assistantMessage('Tomorrow too.', 'msg_2')],
    ]);
    const runner = new Runner({ modelProvider: new ScriptedProvider(model), tracingDisabled: true });
    const toolCalls: string[] = [];
    const agent = weatherAgent(toolCalls);
    const session = newSession(`turns-${crypto.randomUUID()}`);

    const first = await runner.run(agent, 'Weather in Paris?', { session });
    expect(first.finalOutput).toBe('It is sunny in Paris.');
    expect(toolCalls).toEqual(['Paris']);
    expect(session.calls.filter((c) => c.startsWith('addItems'))).toEqual(['addItems(4)']);

    const items = await session.getItems();
    expect(items.map((i) => ('type' in i ? i.type : undefined))).toEqual([
      'message',
      'function_call',
      'function_call_result',
      'message',
    ]);
    const call = items[1] as { arguments: string; callId: string };
    expect(call.arguments).toBe(ARGS);
    expect(call.callId).toBe('call_1');

    session.calls.length = 0;
    const second = await runner.run(agent, 'And tomorrow?', { session });
    expect(second.finalOutput).toBe('Tomorrow too.');
    // The model got the stored turn as it was stored, then the new input.
    const input = model.inputs[2]!;
    expect(input.slice(0, 4)).toEqual(items);
    expect(input[4]).toMatchObject({ role: 'user', content: 'And tomorrow?' });
    expect(session.calls).toEqual(['getItems', 'addItems(2)']);
    expect(await session.getItems()).toHaveLength(6);
  });

  it('is what a Go service reads: authors, roles, text, the tool call and its result, in order', async () => {
    const model = new ScriptedModel([
      [functionCall('call_7', 'get_weather', ARGS)],
      [assistantMessage('Sunny.')],
    ]);
    const runner = new Runner({ modelProvider: new ScriptedProvider(model), tracingDisabled: true });
    const sessionId = `go-${crypto.randomUUID()}`;
    const session = newSession(sessionId);
    await runner.run(weatherAgent([]), 'Weather in Paris?', { session });

    const stored = await backend.service.getSession({ appName: 'weather-app', userId: 'u1', sessionId });
    const messages = stored!.events.map((e) => ({ author: e.author, ...e.choices![0]!.message }));
    expect(messages).toEqual([
      { author: 'user', role: 'user', content: 'Weather in Paris?' },
      {
        author: 'assistant',
        role: 'assistant',
        tool_calls: [{ type: 'function', id: 'call_7', function: { name: 'get_weather', arguments: ARGS } }],
      },
      {
        author: 'tool',
        role: 'tool',
        content: 'sunny in Paris',
        tool_id: 'call_7',
        tool_name: 'get_weather',
      },
      { author: 'assistant', role: 'assistant', content: 'Sunny.' },
    ]);
    for (const event of stored!.events) expect(event.extensions?.[EXTENSION_KEY]).toBeDefined();
  });

  it('works through the top-level run() and in streaming mode', async () => {
    const model = new ScriptedModel([[assistantMessage('Hello!')], [assistantMessage('Again!', 'msg_b')]]);
    defaultProvider.model = model;
    const session = newSession(`run-${crypto.randomUUID()}`);
    const agent = new Agent({ name: 'greeter', instructions: 'Greet.' });

    const result = await run(agent, 'hi', { session });
    expect(result.finalOutput).toBe('Hello!');
    const streamed = await run(agent, 'hi again', { session, stream: true });
    for await (const _event of streamed) {
      // drain the stream
    }
    await streamed.completed;
    expect(streamed.finalOutput).toBe('Again!');
    const items = await session.getItems();
    expect(items).toHaveLength(4);
    expect(items[2]).toMatchObject({ role: 'user', content: 'hi again' });
    expect(model.inputs[1]!.slice(0, 2)).toEqual(items.slice(0, 2));
  });

  it('rewinds with popItem and starts over with clearSession, keeping the store session', async () => {
    const model = new ScriptedModel([[assistantMessage('one')], [assistantMessage('two', 'msg_two')]]);
    const runner = new Runner({ modelProvider: new ScriptedProvider(model), tracingDisabled: true });
    const agent = new Agent({ name: 'counter', instructions: 'Count.' });
    const sessionId = `pop-${crypto.randomUUID()}`;
    const session = newSession(sessionId);
    await runner.run(agent, 'first', { session });
    const [user, answer] = await session.getItems();

    expect(await session.popItem()).toEqual(answer);
    expect(await session.popItem()).toEqual(user);
    expect(await session.popItem()).toBeUndefined();
    expect(await session.getItems()).toEqual([]);

    await runner.run(agent, 'second', { session });
    expect((await session.getItems()).map((i) => ('content' in i ? i.content : undefined))).toEqual([
      'second',
      [{ type: 'output_text', text: 'two' }],
    ]);
    await session.clearSession();
    expect(await session.getItems()).toEqual([]);
    const key = { appName: 'weather-app', userId: 'u1', sessionId };
    expect(await backend.service.getSession(key)).not.toBeNull();
  });

  it('creates the store session once when two first requests race', async () => {
    const sessionId = `race-${crypto.randomUUID()}`;
    const a = newSession(sessionId);
    const b = newSession(sessionId);
    const item = (text: string): AgentInputItem => ({ role: 'user', content: text });
    await Promise.all([a.addItems([item('from a')]), b.addItems([item('from b')])]);
    const contents = (await a.getItems()).map((i) => ('content' in i ? i.content : undefined));
    expect(contents.sort()).toEqual(['from a', 'from b']);
    const sessions = await backend.service.listSessions({ appName: 'weather-app', userId: 'u1' });
    expect(sessions.filter((s) => s.id === sessionId)).toHaveLength(1);
  });
});
