/**
 * The read path fetches only the newest `limit` events and anchors them on a user message with
 * at most one extra lookup. These properties check that the result is always exactly what the
 * in-memory filter (filterEvents) gives over the session's full stored history, for random
 * histories (roles, out-of-order timestamps), limits, eventTimes and TTLs.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { decodeEvent } from '../../src/session/codec/index.js';
import { createEvent, type Event, type Message } from '../../src/session/event.js';
import { filterEvents } from '../../src/session/session.js';
import { parseRfc3339 } from '../../src/session/time.js';
import type { SqlClient, SqlExecutor } from '../../src/sql/client.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

/** Property runs per database (fewer on the server, where each run costs round trips). */
const RUNS: Readonly<Record<string, number>> = { PGlite: 60, 'server PostgreSQL': 40 };
const databases = testDatabases.map(([name, open]) => [name, open, RUNS[name]!] as const);

/** Wraps a client to count the statements whose text contains each of `marks`. */
function counting(inner: SqlClient, marks: Record<string, string>) {
  const counts: Record<string, number> = Object.fromEntries(Object.keys(marks).map((k) => [k, 0]));
  const query: SqlExecutor['query'] = (text, params) => {
    for (const [name, mark] of Object.entries(marks)) if (text.includes(mark)) counts[name]! += 1;
    return inner.query(text, params);
  };
  const client: SqlClient = {
    ...inner,
    kind: inner.kind,
    query,
    transaction: inner.transaction,
    withConnection: inner.withConnection,
    close: inner.close,
  };
  return { client, counts };
}

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const MINUTE = 60_000;
const TTL = 30 * MINUTE;

type Kind = 'user' | 'assistant' | 'tool' | 'userDelta';

const message = (kind: Kind, i: number): { message: Message; delta?: Message } => {
  switch (kind) {
    case 'user':
      return { message: { role: 'user', content: `u${i}` } };
    case 'assistant':
      return { message: { role: 'assistant', content: `a${i}` } };
    case 'tool':
      return { message: { role: 'tool', content: '', tool_id: `call-${i}` } };
    case 'userDelta':
      // A user message carried by the delta only: the lookup must match it as isUserMessage does.
      return { message: { role: 'assistant', content: `d${i}` }, delta: { role: 'user', content: `d${i}` } };
  }
};

const historyArb = fc.array(
  fc.record({
    kind: fc.constantFrom<Kind>('user', 'assistant', 'assistant', 'tool', 'userDelta'),
    // Own timestamps within two hours before now, in any order: eventTime cuts by them, not by
    // storage order, so out-of-order stamps are the interesting case.
    minutesAgo: fc.integer({ min: 0, max: 120 }),
  }),
  { maxLength: 30, size: 'medium' },
);

const optionsArb = fc.record({
  eventNum: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
  eventTimeMinutesAgo: fc.option(fc.integer({ min: -5, max: 125 }), { nil: undefined }),
});

describe.each(databases)('user-anchored reads on %s', (_name, open, runs) => {
  let db: TestDatabase;
  let counts: Record<string, number>;
  const clock = new ManualClock(NOW);
  const app = `app-${randomUUID()}`;
  /** Services by [sessionEventLimit, sessionTtlMs]. */
  const services = new Map<string, PostgresSessionService>();
  const configs: [number, number][] = [
    [1, 0],
    [3, 0],
    [5, TTL],
    [1000, 0],
    [1000, TTL],
  ];

  beforeAll(async () => {
    db = await open();
    // Counts the two rare-case lookups, so the properties are known to reach them.
    const counted = counting(db.sql, { atOrAfter: 'AS near', lastUser: '@>' });
    counts = counted.counts;
    for (const [limit, ttl] of configs) {
      const svc = await PostgresSessionService.create({
        client: counted.client,
        schema: db.connect.schema,
        clock,
        sessionEventLimit: limit,
        sessionTtlMs: ttl,
      });
      services.set(`${limit}/${ttl}`, svc);
    }
  });
  afterAll(async () => {
    await Promise.all([...services.values()].map((s) => s.close()));
    await db.close();
  });

  /** Every stored event of a session, decoded, in read order: the input of filterEvents. */
  async function storedHistory(
    svc: PostgresSessionService,
    sessionId: string,
    userId = 'u',
  ): Promise<Event[]> {
    const { rows } = await db.sql.query<{ event: string }>(
      `SELECT event::text AS event FROM ${svc.tables.sessionEvents.qualified}
       WHERE app_name = $1 AND user_id = $3 AND session_id = $2 AND deleted_at IS NULL
       ORDER BY created_at, id`,
      [app, sessionId, userId],
    );
    return rows.map((row) => decodeEvent(row.event));
  }

  it('getSession and listSessions return exactly filterEvents over the full history', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        optionsArb,
        fc.constantFrom(...configs),
        async (history, opts, [limit, ttl]) => {
          const svc = services.get(`${limit}/${ttl}`)!;
          const userId = `u-${randomUUID()}`;
          const sessionId = randomUUID();
          const session = await svc.createSession({ appName: app, userId, sessionId });
          for (const [i, item] of history.entries()) {
            const { message: msg, delta } = message(item.kind, i);
            const event = createEvent({
              author: item.kind,
              now: new Date(NOW - item.minutesAgo * MINUTE),
              message: msg,
            });
            if (delta) event.choices![0]!.delta = delta;
            await svc.appendEvent(session, event);
          }
          const key = { appName: app, userId, sessionId };
          const eventTime =
            opts.eventTimeMinutesAgo === undefined
              ? undefined
              : new Date(NOW - opts.eventTimeMinutesAgo * MINUTE);
          const readOptions = { eventNum: opts.eventNum, eventTime };

          const { rows } = await db.sql.query<{ event: string }>(
            `SELECT event::text AS event FROM ${svc.tables.sessionEvents.qualified}
             WHERE app_name = $1 AND user_id = $2 AND session_id = $3 ORDER BY created_at, id`,
            [app, userId, sessionId],
          );
          const all = rows.map((row) => decodeEvent(row.event));
          const expected = filterEvents(all, {
            eventNum: opts.eventNum || limit,
            eventTime: eventTime ?? (ttl > 0 ? new Date(NOW - ttl) : undefined),
          }).map((e) => e.id);

          const got = await svc.getSession(key, readOptions);
          expect(got?.events.map((e) => e.id)).toEqual(expected);
          const [listed] = await svc.listSessions({ appName: app, userId }, readOptions);
          expect(listed?.events.map((e) => e.id)).toEqual(expected);
        },
      ),
      { numRuns: runs },
    );
    expect(counts.atOrAfter).toBeGreaterThan(0);
    expect(counts.lastUser).toBeGreaterThan(0);
  });

  it('finds the one event a nanosecond past the time bound among many stamped within its microsecond', async () => {
    const svc = services.get('3/0')!;
    const sessionId = randomUUID();
    const userId = `u-${randomUUID()}`;
    const session = await svc.createSession({ appName: app, userId, sessionId });
    // Go stamps nanoseconds; PostgreSQL compares microseconds, so all 29 are "near" the bound
    // there, and only the question, 2 ns after the others, is at or after it.
    const at = (nanos: number) => parseRfc3339(`2026-03-01T11:00:00.000000${nanos}Z`)!;
    const answer = (i: number) =>
      createEvent({ author: 'assistant', now: at(100), message: { role: 'assistant', content: `a${i}` } });
    for (let i = 0; i < 18; i++) await svc.appendEvent(session, answer(i));
    const question = createEvent({ author: 'user', now: at(102), message: { role: 'user', content: 'q' } });
    await svc.appendEvent(session, question);
    for (let i = 18; i < 28; i++) await svc.appendEvent(session, answer(i));
    const history = await storedHistory(svc, sessionId, userId);
    for (const [eventNum, nanos] of [
      [0, 101],
      [1, 101],
      [2, 102],
      [12, 101],
    ] as const) {
      const eventTime = at(nanos);
      const expected = filterEvents(history, { eventNum: eventNum || 3, eventTime }).map((e) => e.id);
      expect(expected[0]).toBe(question.id);
      const got = await svc.getSession({ appName: app, userId, sessionId }, { eventNum, eventTime });
      expect(got?.events.map((e) => e.id)).toEqual(expected);
      const [listed] = await svc.listSessions({ appName: app, userId }, { eventNum, eventTime });
      expect(listed?.events.map((e) => e.id)).toEqual(expected);
    }
  });

  it('reads the same result from a long history at any limit', async () => {
    const svc = services.get('3/0')!;
    const sessionId = randomUUID();
    const session = await svc.createSession({ appName: app, userId: 'u', sessionId });
    // One user message, then a long tail without one: every limit must reach back to it.
    await svc.appendEvent(
      session,
      createEvent({ author: 'user', now: clock.now(), message: { role: 'user', content: 'q' } }),
    );
    for (let i = 0; i < 50; i++) {
      await svc.appendEvent(
        session,
        createEvent({
          author: 'assistant',
          now: clock.now(),
          message: { role: 'assistant', content: `a${i}` },
        }),
      );
    }
    const history = await storedHistory(svc, sessionId);
    for (const eventNum of [1, 2, 10, 49, 50, 51, 52]) {
      const got = await svc.getSession({ appName: app, userId: 'u', sessionId }, { eventNum });
      expect(got?.events.map((e) => e.id)).toEqual(filterEvents(history, { eventNum }).map((e) => e.id));
    }
  });

  it('pages events from the newest without anchoring, bounded by the TTL', async () => {
    const svc = services.get(`5/${TTL}`)!;
    const sessionId = randomUUID();
    const session = await svc.createSession({ appName: app, userId: 'u', sessionId });
    for (let i = 0; i < 7; i++) {
      await svc.appendEvent(
        session,
        createEvent({
          author: 'assistant',
          now: clock.now(),
          message: { role: 'assistant', content: `a${i}` },
        }),
      );
    }
    const history = (await storedHistory(svc, sessionId)).map((e) => e.id);
    const page = await svc.getSession(
      { appName: app, userId: 'u', sessionId },
      { eventPage: { offset: 2, limit: 3 } },
    );
    expect(page?.events.map((e) => e.id)).toEqual(history.slice(2, 5));
  });
});
