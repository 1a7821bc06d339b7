/**
 * The adapter's BaseSessionService contract, on every backend: the edge cases where ADK's own two
 * services disagree (as chosen in docs/adapters/adk.md), windows, paging, identity and refusals.
 */
import {
  type Event as AdkEvent,
  InMemorySessionService as AdkInMemorySessionService,
  createEvent,
} from '@google/adk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import type { SessionService } from '../../../src/index.js';
import { adapterBackends } from './backends.js';

const userText = (text: string, timestamp?: number): AdkEvent =>
  createEvent({
    author: 'user',
    content: { role: 'user', parts: [{ text }] },
    ...(timestamp ? { timestamp } : {}),
  });
const modelText = (text: string, timestamp?: number): AdkEvent =>
  createEvent({
    author: 'bot',
    content: { role: 'model', parts: [{ text }] },
    ...(timestamp ? { timestamp } : {}),
  });
const modelCall = (id: string): AdkEvent =>
  createEvent({
    author: 'bot',
    content: { role: 'model', parts: [{ functionCall: { id, name: 'f', args: { n: 1 } } }] },
  });
const toolResult = (id: string): AdkEvent =>
  createEvent({
    author: 'bot',
    content: { role: 'user', parts: [{ functionResponse: { id, name: 'f', response: { ok: true } } }] },
  });

describe.each(adapterBackends)('AdkSessionService on %s', (name, makeBackend) => {
  const backend = makeBackend();
  const isAsync = name.includes('async');
  let store: SessionService;
  let sessions: AdkSessionService;
  let app: string;
  beforeAll(async () => {
    store = await backend.open();
    sessions = new AdkSessionService(store);
  });
  afterAll(async () => {
    await store.close();
    await backend.teardown();
  });
  const newApp = () => {
    app = `app-${Math.random().toString(36).slice(2)}`;
    return app;
  };
  async function sessionWith(events: AdkEvent[], userId = 'u') {
    const session = await sessions.createSession({ appName: newApp(), userId });
    for (const event of events) await sessions.appendEvent({ session, event });
    return session;
  }
  const load = (session: { appName: string; userId: string; id: string }, config?: object) =>
    sessions.getSession({ appName: session.appName, userId: session.userId, sessionId: session.id, config });

  it('refuses a second create of a live session with CONFLICT (as ADK database service)', async () => {
    const first = await sessions.createSession({ appName: newApp(), userId: 'u', sessionId: 's' });
    await sessions.appendEvent({ session: first, event: userText('kept') });
    await expect(sessions.createSession({ appName: app, userId: 'u', sessionId: 's' })).rejects.toMatchObject(
      {
        code: 'CONFLICT',
      },
    );
    expect((await load(first))!.events).toHaveLength(1);
  });

  it('creates once when two first requests race through getOrCreateSession', async () => {
    newApp();
    const results = await Promise.all(
      [1, 2, 3].map(() => sessions.getOrCreateSession({ appName: app, userId: 'u', sessionId: 'first-use' })),
    );
    expect(results.map((s) => s.id)).toEqual(['first-use', 'first-use', 'first-use']);
    expect((await sessions.listSessions({ appName: app, userId: 'u' })).totalItems).toBe(1);
  });

  it('returns no events for numRecentEvents: 0, with the state', async () => {
    const session = await sessions.createSession({ appName: newApp(), userId: 'u', state: { k: 'v' } });
    await sessions.appendEvent({ session, event: userText('a') });
    const loaded = await load(session, { numRecentEvents: 0 });
    expect(loaded!.events).toEqual([]);
    expect(loaded!.state).toEqual({ k: 'v' });
  });

  it('keeps the last n events starting at a user message for numRecentEvents', async () => {
    const session = await sessionWith([userText('q1'), modelText('a1'), userText('q2'), modelText('a2')]);
    expect((await load(session, { numRecentEvents: 2 }))!.events.map(textOf)).toEqual(['q2', 'a2']);
    // The last three start with a reply: the window starts at the user message inside it.
    expect((await load(session, { numRecentEvents: 3 }))!.events.map(textOf)).toEqual(['q2', 'a2']);
  });

  it('returns every event without a config, those before the first user message too', async () => {
    const greeting = createEvent({
      author: 'bot',
      content: { role: 'model', parts: [{ text: 'Hello, ask me anything.' }] },
      actions: { stateDelta: { greeted: true } },
    } as Parameters<typeof createEvent>[0]);
    const session = await sessionWith([greeting]);
    const alone = (await load(session))!;
    expect(alone.events.map(textOf)).toEqual(['Hello, ask me anything.']);
    expect(alone.state).toMatchObject({ greeted: true });
    await sessions.appendEvent({ session, event: userText('q1') });
    expect((await load(session))!.events.map(textOf)).toEqual(['Hello, ask me anything.', 'q1']);
  });

  it('reads a long session in one store read, the same events as the store window, for generated chats', async () => {
    const limit = 4;
    let reads = 0;
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'getSession')
          return (...args: Parameters<SessionService['getSession']>) => {
            reads++;
            return target.getSession(...args);
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const limited = new AdkSessionService(counted, { historyLimit: limit });
    const kinds = fc.array(fc.constantFrom('user', 'model', 'call'), { minLength: limit + 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(kinds, async (chat) => {
        const session = await sessionWith(
          chat.map((kind, i) =>
            kind === 'user' ? userText(`u${i}`) : kind === 'model' ? modelText(`m${i}`) : modelCall(`c${i}`),
          ),
        );
        const key = { appName: session.appName, userId: session.userId, sessionId: session.id };
        reads = 0;
        const got = (await limited.getSession(key))!.events.map((e) => e.id);
        const window = (await store.getSession(key, { eventNum: limit }))!.events.map((e) => e.id);
        expect(got).toEqual(window);
        // One read, unless none of the newest limit + 1 events is a user message.
        const newestHoldUser = chat.slice(-(limit + 1)).includes('user');
        expect(reads).toBe(newestHoldUser ? 1 : 2);
      }),
      { numRuns: 25, seed: 20_261_206 },
    );
  });

  it('reads a session longer than historyLimit as the store window of that many', async () => {
    const limited = new AdkSessionService(store, { historyLimit: 3 });
    const session = await sessionWith([modelText('hi'), userText('q1'), modelText('a1')]);
    const key = { appName: session.appName, userId: session.userId, sessionId: session.id };
    expect((await limited.getSession(key))!.events.map(textOf)).toEqual(['hi', 'q1', 'a1']);
    await sessions.appendEvent({ session, event: userText('q2') });
    // Four events: the newest three, by the store's window rule.
    expect((await limited.getSession(key))!.events.map(textOf)).toEqual(['q1', 'a1', 'q2']);
    await sessions.appendEvent({ session, event: modelText('a2') });
    // The newest three start at a reply: the window starts at the user message inside it.
    expect((await limited.getSession(key))!.events.map(textOf)).toEqual(['q2', 'a2']);
    for (const historyLimit of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => new AdkSessionService(store, { historyLimit })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.historyLimit' }),
      );
    }
  });

  it('keeps events at exactly afterTimestamp (inclusive)', async () => {
    const t = 1_760_000_000_000;
    const session = await sessionWith([userText('a', t), userText('b', t + 5), userText('c', t + 10)]);
    expect((await load(session, { afterTimestamp: t + 5 }))!.events.map(textOf)).toEqual(['b', 'c']);
    expect((await load(session, { afterTimestamp: t + 6 }))!.events.map(textOf)).toEqual(['c']);
    expect((await load(session, { afterTimestamp: 0 }))!.events.map(textOf)).toEqual(['a', 'b', 'c']);
  });

  it('keeps append order for events that share a millisecond', async () => {
    const t = 1_760_000_000_000;
    const events = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? userText(`m${i}`, t) : modelText(`m${i}`, t),
    );
    const session = await sessionWith(events);
    expect((await load(session))!.events.map(textOf)).toEqual(events.map(textOf));
  });

  it('never starts a window with a function response whose call was cut off', async () => {
    const session = await sessionWith([userText('q'), modelCall('c1'), toolResult('c1'), modelText('done')]);
    const window = (await load(session, { numRecentEvents: 2 }))!.events;
    expect(window.map(textOf)).toEqual(['q', 'done']);
    const full = (await load(session))!.events;
    expect(full).toHaveLength(4);
  });

  it('keeps a function response at the start of a whole session, as ADK does', async () => {
    const reference = new AdkInMemorySessionService();
    const userResult = (id: string) => ({ ...toolResult(id), author: 'user' });
    for (const events of [
      [userResult('c1'), modelText('done')],
      [userText('q'), userResult('c1'), modelText('done')],
    ]) {
      const session = await sessionWith(events);
      const adk = await reference.createSession({ appName: app, userId: 'u' });
      for (const event of events) await reference.appendEvent({ session: adk, event });
      const expected = (await reference.getSession({ appName: app, userId: 'u', sessionId: adk.id }))!.events;
      expect((await load(session))!.events).toEqual(expected);
      // A window holding the whole session cut nothing either (one starting at a user message:
      // the store's windows do not return events before the first one).
      if (events[0]!.content?.parts?.[0]?.text) {
        expect((await load(session, { numRecentEvents: events.length }))!.events).toEqual(expected);
      }
    }
  });

  it('pages listSessions as ADK does, one user at a time', async () => {
    newApp();
    for (let i = 0; i < 5; i++)
      await sessions.createSession({ appName: app, userId: 'u', sessionId: `s${i}` });
    await sessions.createSession({ appName: app, userId: 'other', sessionId: 'x' });
    const page2 = await sessions.listSessions({ appName: app, userId: 'u', limit: 2, page: 2, order: 'asc' });
    expect(page2).toMatchObject({ page: 2, limit: 2, totalItems: 5, totalPages: 3 });
    expect(page2.sessions.map((s) => s.id)).toEqual(['s2', 's3']);
    const all = await sessions.listSessions({ appName: app, userId: 'u' });
    expect(all).toMatchObject({ page: 1, limit: 5, totalItems: 5, totalPages: 1 });
    expect(all.sessions.every((s) => s.events.length === 0)).toBe(true);
    const newestFirst = await sessions.listSessions({ appName: app, userId: 'u', order: 'desc' });
    const byOffset = await sessions.listSessions({
      appName: app,
      userId: 'u',
      limit: 2,
      offset: 4,
      order: 'desc',
    });
    expect(byOffset).toMatchObject({ page: 3, totalItems: 5 });
    expect(byOffset.sessions).toEqual(newestFirst.sessions.slice(4));
    await expect(sessions.listSessions({ appName: app })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'userId',
    });
  });

  it('orders sessions updated in the same millisecond by id as ADK does (localeCompare)', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const tiedStore = await backend.open({ clock: { now: () => now } });
    const tied = new AdkSessionService(tiedStore);
    const reference = new AdkInMemorySessionService();
    const ids = ['b', 'B', 'a', 'A', 'é', 'z', 'a10', 'a9'];
    newApp();
    // ADK's in-memory service stamps a created session with Date.now().
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now.getTime());
    try {
      for (const service of [tied, reference])
        for (const sessionId of ids) await service.createSession({ appName: app, userId: 'u', sessionId });
    } finally {
      clock.mockRestore();
    }
    for (const order of ['asc', 'desc'] as const) {
      const ours = await tied.listSessions({ appName: app, userId: 'u', order });
      const adk = await reference.listSessions({ appName: app, userId: 'u', order });
      expect(ours.sessions.map((s) => s.id)).toEqual(adk.sessions.map((s) => s.id));
    }
    await tiedStore.close();
  });

  it('keeps ids with %, _, quotes and shared prefixes apart', async () => {
    newApp();
    const ids = ['a%', 'a_', "a'", 'ab', 'a'];
    for (const id of ids) {
      const session = await sessions.createSession({ appName: app, userId: id, sessionId: id });
      await sessions.appendEvent({ session, event: userText(`from ${id}`) });
    }
    for (const id of ids) {
      const listed = await sessions.listSessions({ appName: app, userId: id });
      expect(listed.sessions.map((s) => s.id)).toEqual([id]);
      const loaded = await sessions.getSession({ appName: app, userId: id, sessionId: id });
      expect(loaded!.events.map(textOf)).toEqual([`from ${id}`]);
    }
  });

  it('deletes a session, and deleting it again is not an error', async () => {
    const session = await sessionWith([userText('bye')]);
    const key = { appName: session.appName, userId: 'u', sessionId: session.id };
    await sessions.deleteSession(key);
    expect(await sessions.getSession(key)).toBeUndefined();
    await sessions.deleteSession(key);
  });

  it('stores no temp: key and shares app:/user: keys of a created session', async () => {
    const session = await sessions.createSession({
      appName: newApp(),
      userId: 'u',
      state: { 'temp:t': 1, 'app:a': { x: 1 }, 'user:u': [1, 2], own: 'yes' },
    });
    expect(session.state).toEqual({ 'app:a': { x: 1 }, 'user:u': [1, 2], own: 'yes' });
    const other = await sessions.createSession({ appName: app, userId: 'u' });
    expect(other.state).toEqual({ 'app:a': { x: 1 }, 'user:u': [1, 2] });
    const event = createEvent({ author: 'user', actions: { stateDelta: { 'temp:x': 1, y: 2 } } });
    await sessions.appendEvent({ session, event });
    expect(session.state).toEqual({ 'app:a': { x: 1 }, 'user:u': [1, 2], own: 'yes', y: 2 });
    expect((await load(session))!.state).toEqual(session.state);
    expect((await load(session))!.events[0]!.actions.stateDelta).toEqual({ y: 2 });
  });

  it('does not store a partial event, and replaces an event appended again with the same id', async () => {
    const session = await sessionWith([userText('q')]);
    const partial = { ...modelText('stream…'), partial: true };
    await sessions.appendEvent({ session, event: partial });
    const answer = modelText('first draft');
    await sessions.appendEvent({ session, event: answer });
    const revised = { ...answer, content: { role: 'model', parts: [{ text: 'final' }] } };
    await sessions.appendEvent({ session, event: revised });
    expect(session.events.map(textOf)).toEqual(['q', 'final']);
    expect((await load(session))!.events.map(textOf)).toEqual(['q', 'final']);
  });

  it.skipIf(isAsync)(
    'refuses an append to a deleted session and leaves the session object as it was',
    async () => {
      const session = await sessionWith([userText('q')]);
      await sessions.deleteSession({ appName: session.appName, userId: 'u', sessionId: session.id });
      const before = { events: [...session.events], state: { ...session.state } };
      const event = createEvent({ author: 'bot', actions: { stateDelta: { k: 1 } } });
      await expect(sessions.appendEvent({ session, event })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect({ events: session.events, state: session.state }).toEqual(before);
    },
  );

  it('refuses what PostgreSQL cannot hold with INVALID_ARGUMENT, storing nothing', async () => {
    const session = await sessionWith([userText('q')]);
    for (const bad of ['nul \u0000 here', 'lone \ud800 surrogate']) {
      await expect(sessions.appendEvent({ session, event: modelText(bad) })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    const undefinedValue = createEvent({ author: 'bot', actions: { stateDelta: { k: undefined } } });
    await expect(sessions.appendEvent({ session, event: undefinedValue })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'event.actions.stateDelta["k"]',
    });
    for (const key of ['app:\u0000', 'user:']) {
      const badSharedKey = createEvent({ author: 'bot', actions: { stateDelta: { [key]: 1 } } });
      await expect(sessions.appendEvent({ session, event: badSharedKey })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    const noId = { ...modelText('no id'), id: '' };
    await expect(sessions.appendEvent({ session, event: noId })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'event.id',
    });
    expect(session.events.map(textOf)).toEqual(['q']);
    expect((await load(session))!.events.map(textOf)).toEqual(['q']);
    expect((await load(session))!.state).toEqual({});
  });

  it('round-trips emoji, right-to-left text, 1 MB messages and __proto__ keys exactly', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const custom = JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') as Record<string, unknown>;
    const events = [
      userText('emoji 👩‍👩‍👧 and مرحبا بالعالم and עברית'),
      { ...modelText(big), customMetadata: custom },
      createEvent({
        author: 'bot',
        actions: { stateDelta: JSON.parse('{"__proto__": "state", "🔑": "✓"}') },
      }),
    ];
    const session = await sessionWith(events);
    const loaded = await load(session);
    expect(loaded!.events).toEqual(events);
    expect(Object.hasOwn(loaded!.events[1]!.customMetadata!, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(loaded!.state, '__proto__')).toBe(true);
    expect(loaded!.state['🔑']).toBe('✓');
  });
});

function textOf(event: AdkEvent): string {
  return event.content?.parts?.map((p) => p.text ?? '').join('') ?? '';
}
