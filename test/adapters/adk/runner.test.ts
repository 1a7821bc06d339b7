/**
 * ADK's real Runner and LlmAgent, on a scripted model, with the adapter as its session service:
 * a function-call round and a follow-up turn, on every backend.
 */
import { type Event as AdkEvent, FunctionTool, LlmAgent, Runner } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { readText } from '../../../src/index.js';
import { adapterBackends } from './backends.js';
import { callReply, ScriptedModel, textReply } from './scripted-model.js';

function weatherTool(calls: string[]): FunctionTool<undefined> {
  return new FunctionTool({
    name: 'get_weather',
    description: 'The weather in a city',
    execute: (input: unknown, context) => {
      const { city } = input as { city: string };
      calls.push(city);
      context?.state.set('user:home', city);
      context?.state.set('app:lookups', 1);
      context?.state.set('temp:scratch', 'invocation only');
      context?.state.set('last_city', city);
      return { city, forecast: 'sunny', celsius: 21 };
    },
  });
}

async function collect(events: AsyncGenerator<AdkEvent>): Promise<AdkEvent[]> {
  const out: AdkEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe.each(adapterBackends)('ADK Runner on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  beforeAll(() => backend.prepare());
  afterAll(() => backend.teardown());

  it('runs a function-call round and a follow-up turn, and the next turn sees the stored history', async () => {
    const store = await backend.open();
    const sessions = new AdkSessionService(store);
    const app = `weather-${Math.random().toString(36).slice(2)}`;
    const model = new ScriptedModel([
      callReply('get_weather', { city: 'Paris' }, 'call-1'),
      textReply('It is sunny in Paris, 21°C.'),
      textReply('You are welcome!'),
    ]);
    const calls: string[] = [];
    const agent = new LlmAgent({
      name: 'forecaster',
      model,
      instruction: 'Answer.',
      tools: [weatherTool(calls)],
    });
    const runner = new Runner({ appName: app, agent, sessionService: sessions });
    const session = await sessions.createSession({ appName: app, userId: 'u1', state: { mood: 'curious' } });

    const first = await collect(
      runner.runAsync({
        userId: 'u1',
        sessionId: session.id,
        newMessage: { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      }),
    );
    expect(calls).toEqual(['Paris']);
    expect(first.map((e) => e.author)).toEqual(['forecaster', 'forecaster', 'forecaster']);

    const second = await collect(
      runner.runAsync({
        userId: 'u1',
        sessionId: session.id,
        newMessage: { role: 'user', parts: [{ text: 'Thanks' }] },
      }),
    );
    expect(second).toHaveLength(1);

    // The third model call was built from the session the store gave back at the second turn.
    const lastRequest = model.requests[2]!;
    expect(lastRequest.contents.map((c) => [c.role, Object.keys(c.parts![0]!)[0]])).toEqual([
      ['user', 'text'],
      ['model', 'functionCall'],
      ['user', 'functionResponse'],
      ['model', 'text'],
      ['user', 'text'],
    ]);
    expect(lastRequest.contents[2]!.parts![0]!.functionResponse).toMatchObject({
      id: 'call-1',
      name: 'get_weather',
      response: { city: 'Paris', forecast: 'sunny', celsius: 21 },
    });

    // A fresh adapter on a fresh store instance reads what the runner wrote, deep-equal.
    const reopened = await backend.reopen(store);
    const reader = new AdkSessionService(reopened);
    const loaded = await reader.getSession({ appName: app, userId: 'u1', sessionId: session.id });
    expect(loaded).toBeDefined();
    const agentEvents = loaded!.events.filter((e) => e.author !== 'user');
    expect(agentEvents).toEqual([...first, ...second]);
    expect(loaded!.events.map((e) => e.author)).toEqual([
      'user',
      'forecaster',
      'forecaster',
      'forecaster',
      'user',
      'forecaster',
    ]);
    expect(loaded!.state).toEqual({
      mood: 'curious',
      last_city: 'Paris',
      'user:home': 'Paris',
      'app:lookups': 1,
    });

    // app: and user: values are shared rows: another session of the user sees both, another
    // user only the app's.
    const sibling = await reader.createSession({ appName: app, userId: 'u1' });
    expect(sibling.state).toEqual({ 'user:home': 'Paris', 'app:lookups': 1 });
    const stranger = await reader.createSession({ appName: app, userId: 'u2' });
    expect(stranger.state).toEqual({ 'app:lookups': 1 });

    // A Go service reading the session sees a sensible conversation.
    const raw = await reopened.getSession({ appName: app, userId: 'u1', sessionId: session.id });
    const messages = raw!.events.flatMap((e) => (e.choices ?? []).map((c) => c.message));
    expect(messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(messages[0]!.content).toBe('Weather in Paris?');
    expect(messages[1]!.tool_calls).toEqual([
      { type: 'function', id: 'call-1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(messages[2]).toMatchObject({ tool_id: 'call-1', tool_name: 'get_weather' });
    expect(JSON.parse(messages[2]!.content!)).toEqual({ city: 'Paris', forecast: 'sunny', celsius: 21 });
    expect(messages[3]!.content).toBe('It is sunny in Paris, 21°C.');
    expect(raw!.events.map((e) => e.author)).toEqual(loaded!.events.map((e) => e.author));
    // temp: keys never reach storage; session keys are JSON text.
    expect(Object.keys(raw!.state).some((k) => k.startsWith('temp:'))).toBe(false);
    expect(readText(raw!.state, 'last_city')).toBe('"Paris"');
    await reopened.close();
  });

  it('keeps the session object the runner holds up to date as it appends', async () => {
    const store = await backend.open();
    const sessions = new AdkSessionService(store);
    const app = `live-${Math.random().toString(36).slice(2)}`;
    const session = await sessions.createSession({ appName: app, userId: 'u' });
    const before = session.lastUpdateTime;
    const model = new ScriptedModel([callReply('get_weather', { city: 'Oslo' }, 'c1'), textReply('Cold.')]);
    const agent = new LlmAgent({ name: 'a', model, tools: [weatherTool([])] });
    const runner = new Runner({ appName: app, agent, sessionService: sessions });
    await collect(
      runner.runAsync({
        userId: 'u',
        sessionId: session.id,
        newMessage: { role: 'user', parts: [{ text: 'Oslo?' }] },
      }),
    );
    // The second model request holds the call and its response: the runner read them from the
    // session object appendEvent updated, within the same invocation.
    expect(model.requests[1]!.contents.map((c) => Object.keys(c.parts![0]!)[0])).toEqual([
      'text',
      'functionCall',
      'functionResponse',
    ]);
    const loaded = await sessions.getSession({ appName: app, userId: 'u', sessionId: session.id });
    expect(loaded!.lastUpdateTime).toBeGreaterThanOrEqual(before);
    expect(loaded!.events).toHaveLength(4);
    await store.close();
  });
});
