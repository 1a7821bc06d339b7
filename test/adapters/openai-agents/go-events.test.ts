/**
 * A conversation a Go service wrote, read and rewound by AgentSessionsSession on every backend:
 * every choice of an event is read (Go stores the results of parallel tool calls as one event,
 * one `tool` choice each), `popItem` takes one item off an event holding several and leaves the
 * rest, in order, and steps over events that hold no item; `getItems(n)` for `n <= 0` is `[]`,
 * as the SDK's MemorySession answers.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AgentInputItem } from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsSession } from '../../../src/adapters/openai-agents/index.js';
import { createEvent, type Event, isAgentSessionsError, type SessionKey } from '../../../src/index.js';
import { type Backend, backends } from './backends.js';

const APP = 'go-events-app';

/** The events of one Go turn: a question, text with two parallel calls, both results in one event, an answer. */
function goTurn(): Event[] {
  const call = (id: string, city: string) => ({
    type: 'function',
    id,
    function: { name: 'weather', arguments: JSON.stringify({ city }) },
  });
  const result = (index: number, id: string, text: string) => ({
    index,
    message: { role: 'tool', content: text, tool_id: id, tool_name: 'weather' },
  });
  return [
    createEvent({ author: 'user', message: { role: 'user', content: 'Paris or Oslo?' } }),
    createEvent({
      author: 'planner',
      message: {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [call('c1', 'Paris'), call('c2', 'Oslo')],
      },
    }),
    createEvent({ author: 'planner', choices: [result(0, 'c1', 'sunny'), result(1, 'c2', 'snow')] }),
    createEvent({ author: 'planner', message: { role: 'assistant', content: 'Paris is sunny.' } }),
  ];
}

/** The items the runner gets for {@link goTurn}. */
const TURN_ITEMS: AgentInputItem[] = [
  { type: 'message', role: 'user', content: 'Paris or Oslo?' },
  {
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text: 'Checking both.' }],
  },
  { type: 'function_call', callId: 'c1', name: 'weather', arguments: '{"city":"Paris"}' },
  { type: 'function_call', callId: 'c2', name: 'weather', arguments: '{"city":"Oslo"}' },
  {
    type: 'function_call_result',
    callId: 'c1',
    name: 'weather',
    status: 'completed',
    output: { type: 'text', text: 'sunny' },
  },
  {
    type: 'function_call_result',
    callId: 'c2',
    name: 'weather',
    status: 'completed',
    output: { type: 'text', text: 'snow' },
  },
  {
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text: 'Paris is sunny.' }],
  },
] as AgentInputItem[];

describe.each(backends)('AgentSessionsSession on a Go service conversation, %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  /** A session the Go service wrote `events` to, and the adapter's view of it. */
  async function goSession(events: Event[]): Promise<{ key: SessionKey; session: AgentSessionsSession }> {
    const key = { appName: APP, userId: 'u1', sessionId: crypto.randomUUID() };
    const created = await backend.service.createSession(key);
    await backend.service.appendEvents(created, events);
    await backend.settle();
    return { key, session: new AgentSessionsSession({ service: backend.service, ...key }) };
  }

  const storedEvents = async (key: SessionKey) =>
    (await backend.service.getSession(key, { eventPage: { offset: 0, limit: 100 } }))!.events;

  it('reads every choice: both results of the parallel calls, each after its call', async () => {
    const { session } = await goSession(goTurn());
    expect(await session.getItems()).toStrictEqual(TURN_ITEMS);
    // The newest three start at a result whose call was cut off: the window moves past both.
    expect(await session.getItems(3)).toStrictEqual(TURN_ITEMS.slice(6));
    expect(await session.getItems(6)).toStrictEqual(TURN_ITEMS.slice(1));
  });

  it('pops one item at a time off events holding several, keeping the others in order', async () => {
    const { key, session } = await goSession(goTurn());
    const popped: AgentInputItem[] = [];
    for (let i = 0; i < TURN_ITEMS.length; i++) {
      popped.push((await session.popItem())!);
      expect(await session.getItems()).toStrictEqual(TURN_ITEMS.slice(0, TURN_ITEMS.length - 1 - i));
    }
    expect(popped).toStrictEqual([...TURN_ITEMS].reverse());
    expect(await session.popItem()).toBeUndefined();
    expect(await storedEvents(key)).toEqual([]);
  });

  it('leaves the rest of a popped Go event as events a Go service reads', async () => {
    const { key, session } = await goSession(goTurn().slice(0, 2));
    expect(await session.popItem()).toStrictEqual(TURN_ITEMS[3]);
    const events = await storedEvents(key);
    expect(events.map((e) => e.choices?.[0]?.message)).toEqual([
      { role: 'user', content: 'Paris or Oslo?' },
      { role: 'assistant', content: 'Checking both.' },
      {
        role: 'assistant',
        tool_calls: [
          { type: 'function', id: 'c1', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        ],
      },
    ]);
  });

  it('steps over events that hold no item, and keeps them', async () => {
    const thinking = createEvent({
      author: 'planner',
      message: { role: 'assistant', content: '', reasoning_content: 'weighing the cities' },
    });
    const { key, session } = await goSession([...goTurn().slice(3), thinking]);
    expect(await session.popItem()).toStrictEqual(TURN_ITEMS[6]);
    const events = await storedEvents(key);
    expect(events.map((e) => e.id)).toEqual([thinking.id]);
    expect(await session.popItem()).toBeUndefined();
    expect((await storedEvents(key)).map((e) => e.id)).toEqual([thinking.id]);
  });

  it('pops each item once when pops race over a Go event', async () => {
    const { key, session } = await goSession(goTurn());
    const racing = Array.from({ length: 10 }, () =>
      new AgentSessionsSession({ service: backend.service, ...key }).popItem(),
    );
    const popped = (await Promise.all(racing)).filter((item) => item !== undefined);
    const order = (item: AgentInputItem) => TURN_ITEMS.findIndex((t) => isDeepStrictEqual(t, item));
    expect(popped.map(order).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await session.getItems()).toEqual([]);
  });

  it('answers [] for a limit of 0 or less, as MemorySession does, and refuses a limit that is not an integer', async () => {
    const { session } = await goSession(goTurn());
    expect(await session.getItems(0)).toEqual([]);
    expect(await session.getItems(-1)).toEqual([]);
    for (const limit of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await session.getItems(limit).catch((e: unknown) => e);
      expect(isAgentSessionsError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect((error as { field?: string }).field).toBe('limit');
    }
  });
});
