import { describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/index.js';
import { ManualClock } from '../../src/session/clock.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent, type Event } from '../../src/session/event.js';
import type { SessionServiceOptions } from '../../src/session/service-options.js';
import { readJson, readText, stateOf, TRACKS_STATE_KEY, textValue } from '../../src/session/state.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';

const MINUTE = 60_000;
const key = { appName: 'app', userId: 'u', sessionId: 's' };

function setup(options: SessionServiceOptions = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const svc = new InMemorySessionService({ clock, ...options });
  const say = (role: 'user' | 'assistant', content: string, extra: Partial<Event> = {}) => {
    clock.advance(1000);
    return createEvent({ author: role, now: clock.now(), message: { role, content }, ...extra });
  };
  return { clock, svc, say };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isAgentSessionsError(error) ? error.code : String(error);
  }
}

describe('InMemorySessionService storage', () => {
  it('stores a copy of each event: later changes by the caller do not reach it', async () => {
    const { svc, say } = setup();
    const session = await svc.createSession(key);
    const event = say('user', 'original');
    await svc.appendEvent(session, event);
    event.choices![0]!.message.content = 'changed';
    const read = await svc.getSession(key);
    expect(read?.events[0]?.choices?.[0]?.message.content).toBe('original');
  });

  it('returns deep copies: changing a read session changes nothing stored', async () => {
    const { svc, say } = setup();
    const session = await svc.createSession(key, stateOf({ k: 'v' }));
    await svc.appendEvent(session, say('user', 'hi'));
    const first = await svc.getSession(key);
    first!.events[0]!.choices![0]!.message.content = 'mutated';
    first!.state.k![0] = 0;
    first!.createdAt.setTime(0);
    const second = await svc.getSession(key);
    expect(second?.events[0]?.choices?.[0]?.message.content).toBe('hi');
    expect(readText(second?.state, 'k')).toBe('v');
    expect(second?.createdAt.getTime()).not.toBe(0);
  });

  it("writes every state-delta key verbatim into the session's own state (app:, user:, temp:)", async () => {
    const { svc, say } = setup();
    const session = await svc.createSession(key);
    await svc.appendEvent(
      session,
      say('user', 'hi', { stateDelta: stateOf({ 'app:a': 'from-delta', 'user:u': 'x', 'temp:t': 'y' }) }),
    );
    let read = await svc.getSession(key);
    expect(readText(read?.state, 'app:a')).toBe('from-delta');
    expect(readText(read?.state, 'temp:t')).toBe('y');
    expect(await svc.listAppStates('app')).toEqual({});
    // A shared value of the same name wins on read.
    await svc.updateAppState('app', stateOf({ a: 'shared' }));
    read = await svc.getSession(key);
    expect(readText(read?.state, 'app:a')).toBe('shared');
  });

  it('trims only user: in updateUserState and does not trim keys in deleteAppState', async () => {
    const { svc } = setup();
    await svc.updateUserState({ appName: 'app', userId: 'u' }, stateOf({ 'user:a': '1', 'app:b': '2' }));
    expect(Object.keys(await svc.listUserStates({ appName: 'app', userId: 'u' })).sort()).toEqual([
      'a',
      'app:b',
    ]);
    await svc.updateAppState('app', stateOf({ 'app:k': '1' }));
    await svc.deleteAppState('app', 'app:k');
    expect(Object.keys(await svc.listAppStates('app'))).toEqual(['k']);
    await svc.deleteAppState('app', 'k');
    expect(await svc.listAppStates('app')).toEqual({});
  });

  it('names the refused key when updateSessionState gets an app: key', async () => {
    const { svc } = setup();
    await svc.createSession(key);
    const error = await svc.updateSessionState(key, stateOf({ 'app:x': '1' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'state["app:x"]' });
  });

  it('revives an expired session on write until it is swept, then refuses with NOT_FOUND', async () => {
    const { clock, svc, say } = setup({ sessionTtlMs: 10 * MINUTE });
    const session = await svc.createSession(key);
    clock.advance(11 * MINUTE);
    expect(await svc.getSession(key)).toBeNull();
    // Not swept yet: the write goes through and renews the TTL, as PostgreSQL's locked update does.
    await svc.updateSessionState(key, stateOf({ k: 'v' }));
    expect(await svc.getSession(key)).not.toBeNull();
    clock.advance(11 * MINUTE);
    await svc.sweepNow();
    const late = say('user', 'late');
    expect(await codeOf(svc.appendEvent(session, late))).toBe('NOT_FOUND');
    // The caller's copy took the event anyway, as in trpc-agent-go.
    expect(session.events.map((e) => e.id)).toEqual([late.id]);
  });

  it("sweeps the events of a live session whose newest event is older than the TTL, as PostgreSQL's sweep does", async () => {
    const { clock, svc, say } = setup({ sessionTtlMs: 10 * MINUTE });
    const session = await svc.createSession(key);
    await svc.appendEvent(session, say('user', 'old'));
    clock.advance(9 * MINUTE);
    await svc.updateSessionState(key, stateOf({ alive: 'yes' }));
    clock.advance(2 * MINUTE);
    // Before the sweep, the read filter still puts the last user message in front.
    expect((await svc.getSession(key))?.events).toHaveLength(1);
    await svc.sweepNow();
    const read = await svc.getSession(key);
    expect(read?.events).toEqual([]);
    expect(readText(read?.state, 'alive')).toBe('yes');
  });

  it('bounds an event page by append time with a session TTL', async () => {
    const { clock, svc, say } = setup({ sessionTtlMs: 10 * MINUTE });
    const session = await svc.createSession(key);
    const old = say('user', 'old');
    await svc.appendEvent(session, old);
    clock.advance(9 * MINUTE);
    const recent = say('assistant', 'recent');
    await svc.appendEvent(session, recent);
    clock.advance(2 * MINUTE);
    const page = await svc.getSession(key, { eventPage: { offset: 0, limit: 10 } });
    expect(page?.events.map((e) => e.id)).toEqual([recent.id]);
  });

  it('hides a stored summary older than the session itself', async () => {
    const summarizer: SessionSummarizer = { shouldSummarize: () => true, summarize: async () => 'sum' };
    const { clock, svc } = setup({ summarizer });
    const session = await svc.createSession(key);
    // An event stamped before the session was created: its summary's cutoff precedes createdAt.
    const early = createEvent({
      author: 'user',
      now: new Date(clock.now().getTime() - MINUTE),
      message: { role: 'user', content: 'from before' },
    });
    await svc.appendEvent(session, early);
    await svc.createSessionSummary(session, '', true);
    const read = await svc.getSession(key);
    expect(read?.events).toHaveLength(1);
    expect(read?.summaries).toEqual({});
    expect(await svc.getSessionSummaryText({ ...read!, summaries: {} })).toBeUndefined();
  });

  it('does not move updatedAt or the TTL when a summary is stored', async () => {
    const summarizer: SessionSummarizer = { shouldSummarize: () => true, summarize: async () => 'sum' };
    const { clock, svc, say } = setup({ summarizer, sessionTtlMs: 10 * MINUTE });
    const session = await svc.createSession(key);
    await svc.appendEvent(session, say('user', 'hi'));
    const before = (await svc.getSession(key))!.updatedAt.getTime();
    clock.advance(9 * MINUTE);
    await svc.createSessionSummary(session, '', true);
    expect((await svc.getSession(key))!.updatedAt.getTime()).toBe(before);
    clock.advance(2 * MINUTE);
    expect(await svc.getSession(key)).toBeNull();
  });

  it('treats __proto__ as an ordinary track name and filter key', async () => {
    const summarizer: SessionSummarizer = { shouldSummarize: () => true, summarize: async () => 'sum' };
    const { clock, svc, say } = setup({ summarizer });
    const session = await svc.createSession(key);
    // Plain objects, as a caller might build them: the keys must become own properties.
    session.tracks = {};
    session.summaries = {};
    await svc.appendEvent(session, say('user', 'hi', { filterKey: '__proto__' }));
    await svc.appendTrackEvent(session, { track: '__proto__', payload: 1, timestamp: clock.now() });
    await svc.createSessionSummary(session, '__proto__', true);
    expect(Object.getPrototypeOf(session.tracks)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(session.summaries)).toBe(Object.prototype);
    expect(Object.keys(session.tracks)).toEqual(['__proto__']);
    expect(Object.keys(session.summaries)).toEqual(['__proto__']);
    const read = await svc.getSession(key);
    expect(readJson(read?.state, TRACKS_STATE_KEY)).toEqual(['__proto__']);
    expect(Object.keys(read!.tracks)).toEqual(['__proto__']);
    expect(Object.keys(read!.summaries)).toEqual(['__proto__']);
    expect(await svc.getSessionSummaryText(read!, { filterKey: '__proto__' })).toBe('sum');
  });

  it('refuses a track event with an empty track name and changes nothing', async () => {
    const { clock, svc } = setup();
    const session = await svc.createSession(key);
    const error = await svc
      .appendTrackEvent(session, { track: '', payload: 1, timestamp: clock.now() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'trackEvent.track' });
    expect(session.state[TRACKS_STATE_KEY]).toBeUndefined();
  });

  it('validates an event a hook puts in place before anything is applied', async () => {
    const { svc, say } = setup({
      appendEventHooks: [
        async (ctx, next) => {
          ctx.event = { ...ctx.event, author: 'bad\u0000author', stateDelta: { leaked: textValue('x') } };
          await next();
        },
      ],
    });
    const session = await svc.createSession(key);
    expect(await codeOf(svc.appendEvent(session, say('user', 'hi')))).toBe('INVALID_ARGUMENT');
    expect(session.events).toEqual([]);
    expect(session.state.leaked).toBeUndefined();
    expect((await svc.getSession(key))?.state.leaked).toBeUndefined();
  });

  it('passes a hook-changed key to getSession storage', async () => {
    const { svc } = setup({
      getSessionHooks: [
        async (ctx, next) => {
          ctx.key = { ...ctx.key, sessionId: 'other' };
          return next();
        },
      ],
    });
    await svc.createSession({ ...key, sessionId: 'other' });
    expect((await svc.getSession(key))?.id).toBe('other');
  });

  it('returns no summary text for a session object without a valid key', async () => {
    const summarizer: SessionSummarizer = { shouldSummarize: () => true, summarize: async () => 'sum' };
    const { svc } = setup({ summarizer });
    const session = await svc.createSession(key);
    expect(await svc.getSessionSummaryText({ ...session, id: '' })).toBeUndefined();
    expect(await svc.getSessionSummaryText(null as never)).toBeUndefined();
  });

  it('returns the event window among every stored event, beyond the read limit', async () => {
    const { svc, say } = setup({ sessionEventLimit: 2 });
    const session = await svc.createSession(key);
    const events = [say('user', 'a'), say('assistant', 'b'), say('user', 'c'), say('assistant', 'd')];
    for (const event of events) await svc.appendEvent(session, event);
    const window = await svc.getEventWindow(key, ` ${events[0]!.id} `, { before: 0, after: 1 });
    expect(window.map((e) => e.id)).toEqual([events[0]!.id, events[1]!.id]);
    expect(await codeOf(svc.getEventWindow(key, '  ', { before: 0, after: 0 }))).toBe('INVALID_ARGUMENT');
  });
});
