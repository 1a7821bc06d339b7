/**
 * PostgresSessionService with `asyncPersist: true`: what asynchronous persistence adds to the
 * contract. The caller's session changes at once; failures that an append can no longer report
 * reach onError and the next flush(); a full queue makes appends wait (and honours their
 * AbortSignal); close() drains and then refuses. Runs on PGlite, and on a server when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncWriteError } from '../../src/postgres/async/persister.js';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent, type Event } from '../../src/session/event.js';
import type { Session } from '../../src/session/session.js';
import { readText, stateOf } from '../../src/session/state.js';
import { parseRfc3339, toSqlTimestamp } from '../../src/session/time.js';
import type { SqlClient } from '../../src/sql/client.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const databases = testDatabases;

/** A persister's queue capacity per worker (AsyncPersister's default, which the service keeps). */
const CAPACITY = 1000;

/** A client whose statements can be held at a gate: what the service sends waits until released. */
function gated(inner: SqlClient) {
  let gate: Promise<void> | undefined;
  let open = () => {};
  let entered = () => {};
  const pass = async () => {
    if (!gate) return;
    entered();
    await gate;
  };
  const client: SqlClient = {
    kind: inner.kind,
    query: async (text, params) => {
      await pass();
      return inner.query(text, params);
    },
    transaction: async (fn) => {
      await pass();
      return inner.transaction(fn);
    },
    withConnection: (fn) => inner.withConnection(fn),
    close: async () => {},
  };
  return {
    client,
    /** Holds every statement from now on; `entered` resolves when the first one is held. */
    hold(): { entered: Promise<void>; release(): void } {
      const enteredNow = new Promise<void>((resolve) => {
        entered = resolve;
      });
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return {
        entered: enteredNow,
        release: () => {
          gate = undefined;
          open();
        },
      };
    },
  };
}

/** A client that takes `ms` longer for every statement and transaction. */
function slow(inner: SqlClient, ms: number): SqlClient {
  const sleep = () => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    kind: inner.kind,
    query: async (text, params) => {
      await sleep();
      return inner.query(text, params);
    },
    transaction: async (fn) => {
      await sleep();
      return inner.transaction(fn);
    },
    withConnection: (fn) => inner.withConnection(fn),
    close: async () => {},
  };
}

const user = (text: string, extra: Partial<Event> = {}): Event =>
  createEvent({ author: 'user', message: { role: 'user', content: text }, ...extra });

describe.each(databases)('asyncPersist on %s', (_name, open) => {
  let db: TestDatabase;
  const services: PostgresSessionService[] = [];

  beforeAll(async () => {
    db = await open();
    await (await PostgresSessionService.create({ client: db.sql, schema: db.schema })).close();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await db.close();
  });

  /** An asynchronous service (unless told otherwise) over `client`, under a fresh app name. */
  async function service(
    options: PostgresSessionServiceOptions = {},
    client: SqlClient = db.sql,
  ): Promise<{ svc: PostgresSessionService; app: string; failures: [Error, Record<string, unknown>][] }> {
    const failures: [Error, Record<string, unknown>][] = [];
    const svc = await PostgresSessionService.create({
      client,
      schema: db.schema,
      skipDbInit: true,
      asyncPersist: true,
      onError: (error, context) => failures.push([error, context]),
      ...options,
    });
    services.push(svc);
    return { svc, app: `app-${randomUUID()}`, failures };
  }

  /** The ids of a session's stored events, in stored order, read straight from the table. */
  async function storedIds(svc: PostgresSessionService, session: Session): Promise<string[]> {
    const { rows } = await db.sql.query<{ event_id: string }>(
      `SELECT e.event->>'id' AS event_id FROM ${svc.tables.sessionEvents.qualified} e
       WHERE e.app_name = $1 AND e.user_id = $2 AND e.session_id = $3 AND e.deleted_at IS NULL
       ORDER BY e.created_at, e.id`,
      [session.appName, session.userId, session.id],
    );
    return rows.map((r) => r.event_id);
  }

  /** Catches what a promise rejects with (failing when it resolves). */
  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error('expected a rejection');
  }

  it('changes the caller’s session at once, before the write reaches the database', async () => {
    const g = gated(db.sql);
    const { svc, app } = await service({}, g.client);
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const held = g.hold();
    const event = user('hi', { stateDelta: stateOf({ step: 'one' }) });
    await svc.appendEvent(session, event);
    await svc.appendTrackEvent(session, { track: 'agui', payload: { n: 1 }, timestamp: new Date() });
    expect(session.events.map((e) => e.id)).toEqual([event.id]);
    expect(readText(session.state, 'step')).toBe('one');
    expect(session.tracks.agui?.events).toHaveLength(1);
    await held.entered;
    expect(await storedIds(svc, session)).toEqual([]);
    held.release();
    await svc.flush();
    expect(await storedIds(svc, session)).toEqual([event.id]);
    const read = await svc.getSession({ appName: app, userId: 'u', sessionId: session.id });
    expect(readText(read?.state, 'step')).toBe('one');
    expect(read?.tracks.agui?.events.map((e) => e.payload)).toEqual([{ n: 1 }]);
  });

  it('refuses appends after close() with CLOSED, having stored what was accepted', async () => {
    const { svc, app } = await service();
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const accepted = user('before close');
    await svc.appendEvent(session, accepted);
    await svc.close();
    const late = await rejection(svc.appendEvent(session, user('after close')));
    expect(isAgentSessionsError(late, 'CLOSED')).toBe(true);
    const lateTrack = await rejection(
      svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: new Date() }),
    );
    expect(isAgentSessionsError(lateTrack, 'CLOSED')).toBe(true);
    expect(await storedIds(svc, session)).toEqual([accepted.id]);
  });

  it('reports an append whose session was deleted meanwhile to onError, and rejects the next flush', async () => {
    const g = gated(db.sql);
    const { svc, app, failures } = await service({}, g.client);
    // Another process (a synchronous service on the same tables) deletes the session.
    const other = await service({ asyncPersist: false });
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const held = g.hold();
    const lost = user('lost');
    await svc.appendEvent(session, lost);
    await held.entered;
    await other.svc.deleteSession({ appName: app, userId: 'u', sessionId: session.id });
    held.release();

    const error = await rejection(svc.flush());
    expect(error).toBeInstanceOf(AsyncWriteError);
    expect((error as AsyncWriteError).code).toBe('STORAGE');
    expect((error as AsyncWriteError).failed).toBe(1);
    expect(isAgentSessionsError((error as Error).cause, 'NOT_FOUND')).toBe(true);
    expect(failures).toHaveLength(1);
    const [reported, context] = failures[0]!;
    expect(isAgentSessionsError(reported, 'NOT_FOUND')).toBe(true);
    expect(context.operation).toBe('appendEvent');
    expect(context.key).toEqual({ appName: app, userId: 'u', sessionId: session.id });
    expect((context.event as Event).id).toBe(lost.id);
    // Reported once: the next flush has nothing new to say.
    await expect(svc.flush()).resolves.toBeUndefined();
  });

  it('never writes appends accepted before a delete into the session created after it under the same key', async () => {
    const g = gated(db.sql);
    const { svc, app, failures } = await service({}, g.client);
    const other = await service({ asyncPersist: false });
    const key = { appName: app, userId: 'u', sessionId: 'reborn' };
    const first = await svc.createSession(key, stateOf({ incarnation: '1' }));
    // A batch that holds appends for both incarnations: the new one's may go in, the old one's not.
    const held = g.hold();
    const old = user('accepted for the first incarnation', { stateDelta: stateOf({ fromOld: 'yes' }) });
    await svc.appendEvent(first, old);
    await svc.appendTrackEvent(first, { track: 'agui', payload: 'old', timestamp: new Date() });
    await held.entered;
    await other.svc.deleteSession(key);
    // A different millisecond from the first: the incarnations are told apart by it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await other.svc.createSession(key, stateOf({ incarnation: '2' }));
    const fresh = user('accepted for the second incarnation');
    await svc.appendEvent(second, fresh);
    held.release();

    const error = await rejection(svc.flush());
    expect(error).toBeInstanceOf(AggregateError);
    for (const part of (error as AggregateError).errors) {
      expect(isAgentSessionsError((part as Error).cause, 'NOT_FOUND')).toBe(true);
    }
    expect(failures.map(([, c]) => c.operation).sort()).toEqual(['appendEvent', 'appendTrackEvent']);
    expect((failures.find(([, c]) => c.operation === 'appendEvent')![1].event as Event).id).toBe(old.id);
    // The new session holds its own append only, and nothing of the old one's delta or track.
    expect(await storedIds(other.svc, second)).toEqual([fresh.id]);
    const read = (await other.svc.getSession(key))!;
    expect(read.events.map((e) => e.id)).toEqual([fresh.id]);
    expect(readText(read.state, 'incarnation')).toBe('2');
    expect(read.state.fromOld).toBeUndefined();
    expect((await other.svc.getTrackEvents(key, 'agui')).events).toEqual([]);
    // A session object made by hand (or copied) names its session by key alone, as in Go.
    const byHand = user('appended through a copy');
    await svc.appendEvent({ ...first, events: [], state: {} }, byHand);
    await svc.flush();
    expect(await storedIds(other.svc, second)).toEqual([fresh.id, byHand.id]);
  });

  it('reports appends to a missing session (events and track events) through flush', async () => {
    const { svc, app, failures } = await service();
    const real = await svc.createSession({ appName: app, userId: 'u' });
    const ghost: Session = { ...real, id: 'missing', events: [], state: {}, tracks: {} };
    await svc.appendEvent(ghost, user('to nobody'));
    await svc.appendTrackEvent(ghost, { track: 'agui', payload: 1, timestamp: new Date() });
    const error = await rejection(svc.flush());
    expect(error).toBeInstanceOf(AggregateError);
    const parts = (error as AggregateError).errors as AsyncWriteError[];
    expect(parts.map((e) => e.message.split(':')[0])).toEqual(['appendEvent', 'appendTrackEvent']);
    for (const part of parts) expect(isAgentSessionsError(part.cause, 'NOT_FOUND')).toBe(true);
    expect(failures.map(([, c]) => c.operation).sort()).toEqual(['appendEvent', 'appendTrackEvent']);
    expect(failures.find(([, c]) => c.operation === 'appendTrackEvent')?.[1].trackEvent).toMatchObject({
      track: 'agui',
    });
    expect(await svc.getSession({ appName: app, userId: 'u', sessionId: 'missing' })).toBeNull();
  });

  it('reports an append to a swept session through flush', async () => {
    const start = Date.UTC(2026, 2, 1);
    let now = start;
    const clock = { now: () => new Date(now) };
    const { svc, app, failures } = await service({ sessionTtlMs: 60_000, clock });
    const session = await svc.createSession({ appName: app, userId: 'u' });
    now += 120_000;
    await svc.sweepNow();
    await svc.appendEvent(session, user('too late'));
    const error = await rejection(svc.flush());
    expect(isAgentSessionsError((error as Error).cause, 'NOT_FOUND')).toBe(true);
    expect(failures).toHaveLength(1);
  });

  it('keeps a delete and a state update after the session’s earlier appends', async () => {
    const g = gated(db.sql);
    const { svc, app, failures } = await service({}, g.client);
    const key = (sessionId: string) => ({ appName: app, userId: 'u', sessionId });
    const doomed = await svc.createSession(key('doomed'));
    const kept = await svc.createSession(key('kept'));
    const held = g.hold();
    await svc.appendEvent(doomed, user('q'));
    await svc.appendEvent(kept, user('q', { stateDelta: stateOf({ mode: 'old' }) }));
    const deleted = svc.deleteSession(key('doomed'));
    const updated = svc.updateSessionState(key('kept'), stateOf({ mode: 'new' }));
    await held.entered;
    held.release();
    await Promise.all([deleted, updated]);
    await expect(svc.flush()).resolves.toBeUndefined();
    expect(failures).toEqual([]);
    expect(await svc.getSession(key('doomed'))).toBeNull();
    expect(readText((await svc.getSession(key('kept')))?.state, 'mode')).toBe('new');
  });

  it('stores 2,000 events from concurrent callers in each session’s append order', async () => {
    const { svc, app, failures } = await service({ asyncPersisterNum: 3 });
    const sessions = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        svc.createSession({ appName: app, userId: 'u', sessionId: `s${i}` }),
      ),
    );
    // Every caller appends concurrently: 200 calls per session, interleaved across sessions.
    const calls: Promise<void>[] = [];
    for (let n = 0; n < 200; n++) {
      for (const session of sessions) calls.push(svc.appendEvent(session, user(`${session.id}#${n}`)));
    }
    await Promise.all(calls);
    await svc.flush();
    expect(failures).toEqual([]);
    for (const session of sessions) {
      expect(session.events).toHaveLength(200);
      expect(await storedIds(svc, session)).toEqual(session.events.map((e) => e.id));
    }
  });

  it('keeps the envelope’s updatedAt at the row’s updated_at when a batch spreads its events', async () => {
    const g = gated(db.sql);
    const { svc, app, failures } = await service({ asyncPersisterNum: 1 }, g.client);
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const held = g.hold();
    await svc.appendEvent(session, user('first'));
    await held.entered;
    // While the first batch waits at the gate, the next appends queue up and go as one batch,
    // stored a microsecond apart: the session's updated_at ends 5 µs past the last append time.
    for (let n = 0; n < 6; n++) await svc.appendEvent(session, user(`queued ${n}`));
    held.release();
    await svc.flush();
    expect(failures).toEqual([]);
    const micros = (column: string) => `to_char(${column}, 'YYYY-MM-DD HH24:MI:SS.US')`;
    const { rows } = await db.sql.query<{ column: string; envelope: string; last: string }>(
      `SELECT ${micros('s.updated_at')} AS column, s.state->>'updatedAt' AS envelope,
         (SELECT ${micros('max(e.created_at)')} FROM ${svc.tables.sessionEvents.qualified} e
          WHERE e.app_name = s.app_name AND e.user_id = s.user_id AND e.session_id = s.session_id) AS last
       FROM ${svc.tables.sessionStates.qualified} s
       WHERE s.app_name = $1 AND s.user_id = 'u' AND s.session_id = $2`,
      [app, session.id],
    );
    const [row] = rows;
    expect(row!.last).toBe(row!.column);
    // Go's reader takes the column, ours the envelope: one instant for both.
    expect(toSqlTimestamp(parseRfc3339(row!.envelope)!)).toBe(row!.column);
    const read = await svc.getSession({ appName: app, userId: 'u', sessionId: session.id });
    expect(toSqlTimestamp(read!.updatedAt)).toBe(row!.column);
    expect(read!.events).toHaveLength(7);
  });

  it('makes appends wait for room when the queue is full, so the queue stays within its capacity', async () => {
    const { svc, app, failures } = await service({ asyncPersisterNum: 1 }, slow(db.sql, 15));
    const producers = 4;
    const perProducer = 1000;
    let maxDepth = 0;
    let sawWaiting = false;
    const sample = () => {
      maxDepth = Math.max(maxDepth, svc.asyncQueueDepth);
      sawWaiting ||= svc.asyncQueueWaiting > 0;
    };
    const timer = setInterval(sample, 1);
    const sessions = await Promise.all(
      Array.from({ length: producers }, (_, i) =>
        svc.createSession({ appName: app, userId: 'u', sessionId: `p${i}` }),
      ),
    );
    try {
      await Promise.all(
        sessions.map(async (session) => {
          for (let n = 0; n < perProducer; n++) {
            await svc.appendEvent(session, user(`${n}`));
            sample();
          }
        }),
      );
    } finally {
      clearInterval(timer);
    }
    expect(maxDepth).toBeLessThanOrEqual(CAPACITY);
    expect(sawWaiting).toBe(true);
    await svc.flush();
    expect(failures).toEqual([]);
    for (const session of sessions) expect(await storedIds(svc, session)).toHaveLength(perProducer);
  });

  it('gives up waiting for room when the signal aborts, storing nothing of that event', async () => {
    const g = gated(db.sql);
    const { svc, app, failures } = await service({ asyncPersisterNum: 1 }, g.client);
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const held = g.hold();
    const first = user('taken by the worker');
    await svc.appendEvent(session, first);
    await held.entered;
    const queued = Array.from({ length: CAPACITY }, (_, n) => user(`queued ${n}`));
    for (const event of queued) await svc.appendEvent(session, event);
    expect(svc.asyncQueueDepth).toBe(CAPACITY);

    const controller = new AbortController();
    const abandoned = user('abandoned');
    const waiting = svc.appendEvent(session, abandoned, { signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    expect(svc.asyncQueueWaiting).toBe(1);
    controller.abort(new Error('the caller gave up'));
    const error = await rejection(waiting);
    expect((error as Error).name).toBe('AbortError');
    expect(isAgentSessionsError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(svc.asyncQueueWaiting).toBe(0);

    // A signal aborted before the call changes nothing at all, not even the caller's copy.
    const before = session.events.length;
    const early = await rejection(svc.appendEvent(session, user('never'), { signal: AbortSignal.abort() }));
    expect((early as Error).name).toBe('AbortError');
    expect(session.events).toHaveLength(before);

    held.release();
    await svc.flush();
    expect(failures).toEqual([]);
    const stored = await storedIds(svc, session);
    expect(stored).toEqual([first, ...queued].map((e) => e.id));
    expect(stored).not.toContain(abandoned.id);
  });

  it('drains on close(), resolving even when a write failed (reported to onError)', async () => {
    const g = gated(db.sql);
    const { svc, app, failures } = await service({}, g.client);
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const ghost: Session = { ...session, id: 'missing', events: [], state: {}, tracks: {} };
    const held = g.hold();
    const events = [user('a'), user('b'), user('c')];
    for (const event of events) await svc.appendEvent(session, event);
    await svc.appendEvent(ghost, user('to nobody'));
    await held.entered;
    let closed = false;
    const closing = svc.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    held.release();
    await expect(closing).resolves.toBeUndefined();
    expect(await storedIds(svc, session)).toEqual(events.map((e) => e.id));
    expect(failures.map(([error]) => isAgentSessionsError(error, 'NOT_FOUND'))).toEqual([true]);
  });

  it('rejects a signal that is not an AbortSignal', async () => {
    const { svc, app } = await service();
    const session = await svc.createSession({ appName: app, userId: 'u' });
    const bad = { signal: { aborted: false } as unknown as AbortSignal };
    const error = await rejection(svc.appendEvent(session, user('x'), bad));
    expect(isAgentSessionsError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(session.events).toEqual([]);
  });

  it('reports no queue without asyncPersist', async () => {
    const { svc, app } = await service({ asyncPersist: false });
    const session = await svc.createSession({ appName: app, userId: 'u' });
    await svc.appendEvent(session, user('hi'));
    expect(svc.asyncQueueDepth).toBe(0);
    expect(svc.asyncQueueWaiting).toBe(0);
  });
});
