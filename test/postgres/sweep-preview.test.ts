/**
 * The sweep preview (`countSweepable`, what `agent-sessions cleanup --dry-run` prints) against
 * the sweep itself, row by row, on PGlite and server PostgreSQL: for several TTL settings, in
 * soft and hard mode, the preview counts per table exactly the rows the following sweep removes
 * (read from the tables before and after, not from the sweep's own report), and nothing else
 * changes. Then `restore` brings back every row a soft sweep took from sessions, events taken
 * from a session that stayed live included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminDatabase,
  adminDatabase,
  countExpired,
  countSweepable,
  restore,
  type SweepOptions,
  sweepNow,
} from '../../src/postgres/admin/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { SweepCounts } from '../../src/session/observers.js';
import { stateOf } from '../../src/session/state.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 0, 1);
/** When every sweep of this file runs: 90 minutes after the data was first written. */
const SWEEP_AT = new Date(T0 + 90 * MINUTE);

const TABLES: readonly (readonly [keyof SweepCounts, string])[] = [
  ['sessions', 'session_states'],
  ['events', 'session_events'],
  ['trackEvents', 'session_track_events'],
  ['summaries', 'session_summaries'],
  ['appStates', 'app_states'],
  ['userStates', 'user_states'],
];

const say = (text: string) => createEvent({ author: 'user', message: { role: 'user', content: text } });

/**
 * Sessions in every situation a sweep at T0+90m with a 1 h session TTL meets, written by a
 * service whose TTLs are all 1 h:
 * - `expired`: written at T0 only (its row expired, its events and track event are stale);
 * - `fresh`: a recent event (T0+50m) keeps its older one, an old track event expired;
 * - `empty`: created at T0+40m, nothing in it;
 * - `touched`: events at T0, its state written at T0+80m: a live session with stale events;
 * - `deleted`: deleted at T0+10m: its rows are already soft-deleted, a sweep leaves them;
 * summaries of `fresh` (one with an expires_at another writer set, one without), and app and
 * user state keys that expired and that did not.
 */
async function seed(test: TestDatabase, prefix: string): Promise<AdminDatabase> {
  const clock = new ManualClock(T0);
  const service = await PostgresSessionService.create({
    ...test.connect,
    tablePrefix: prefix,
    clock,
    sessionTtlMs: HOUR,
    appStateTtlMs: HOUR,
    userStateTtlMs: HOUR,
    cleanupIntervalMs: 24 * HOUR,
  });
  const app = 'preview';
  const key = (sessionId: string): SessionKey => ({ appName: app, userId: 'u', sessionId });
  const at = (minutes: number) => clock.set(new Date(T0 + minutes * MINUTE));
  try {
    at(0);
    const expired = await service.createSession(key('expired'));
    await service.appendEvent(expired, say('a'));
    await service.appendEvent(expired, say('b'));
    await service.appendTrackEvent(expired, { track: 't', payload: 1, timestamp: clock.now() });
    const fresh = await service.createSession(key('fresh'));
    await service.appendEvent(fresh, say('c'));
    const touched = await service.createSession(key('touched'));
    await service.appendEvent(touched, say('d'));
    await service.appendEvent(touched, say('e'));
    const deleted = await service.createSession(key('deleted'));
    await service.appendEvent(deleted, say('f'));
    await service.updateAppState(app, stateOf({ old: '1' }));
    await service.updateUserState({ appName: app, userId: 'u' }, stateOf({ old: '1' }));
    at(10);
    await service.appendTrackEvent(fresh, { track: 't', payload: 2, timestamp: clock.now() });
    await service.deleteSession(key('deleted'));
    at(40);
    await service.createSession(key('empty'));
    at(50);
    await service.appendEvent(fresh, say('g'));
    at(60);
    await service.updateAppState(app, stateOf({ recent: '1' }));
    at(80);
    await service.updateSessionState(key('touched'), stateOf({ x: '1' }));
    await service.appendTrackEvent(touched, { track: 't', payload: 3, timestamp: clock.now() });
    at(85);
    await service.updateUserState({ appName: app, userId: 'u' }, stateOf({ recent: '1' }));
  } finally {
    await service.close();
  }
  const db = adminDatabase(test.sql, { schema: test.schema, tablePrefix: prefix });
  // Summaries as another writer left them: one that expired at T0+20m, one without expires_at.
  await db.client.query(
    `INSERT INTO ${db.tables.sessionSummaries.qualified}
       (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at)
     VALUES ($1, 'u', 'fresh', 'old', '{"summary":"s"}', $2::timestamp, $3::timestamp),
            ($1, 'u', 'fresh', 'kept', '{"summary":"s"}', $2::timestamp, NULL)`,
    [app, toSqlTimestamp(new Date(T0)), toSqlTimestamp(new Date(T0 + 20 * MINUTE))],
  );
  return db;
}

interface Row {
  table: string;
  id: string;
  deletedAt: string | null;
  key: string;
}

/** Every row of the six tables: which table, its id, its deleted_at, and its key. */
async function snapshot(db: AdminDatabase): Promise<Row[]> {
  const t = db.tables;
  const qualified = [
    t.sessionStates,
    t.sessionEvents,
    t.sessionTrackEvents,
    t.sessionSummaries,
    t.appStates,
    t.userStates,
  ].map((n, i) => [TABLES[i]![1], n.qualified] as const);
  const rows: Row[] = [];
  for (const [table, name] of qualified) {
    const result = await db.client.query<{ id: string; deleted_at: string | null; k: string }>(
      `SELECT id::text AS id, deleted_at::text AS deleted_at,
         concat_ws('/', x.app_name, (to_jsonb(x)->>'user_id'), (to_jsonb(x)->>'session_id')) AS k
       FROM ${name} x ORDER BY id`,
    );
    for (const r of result.rows) rows.push({ table, id: r.id, deletedAt: r.deleted_at, key: r.k });
  }
  return rows;
}

/** Per table, the rows that were live before and are deleted (or gone) after. */
function removed(before: Row[], after: Row[]): { counts: SweepCounts; rows: Row[] } {
  const afterById = new Map(after.map((r) => [`${r.table}:${r.id}`, r]));
  const removedCounts = counts({});
  const rows: Row[] = [];
  for (const row of before) {
    const now = afterById.get(`${row.table}:${row.id}`);
    if (row.deletedAt === null && (now === undefined || now.deletedAt !== null)) {
      removedCounts[TABLES.find(([, table]) => table === row.table)![0]] += 1;
      rows.push(row);
    } else {
      // Nothing else changes: a row the sweep leaves is exactly as it was.
      expect(now, `${row.table} row ${row.id}`).toEqual(row);
    }
  }
  return { counts: removedCounts, rows };
}

const counts = (c: Partial<SweepCounts>): SweepCounts => ({
  sessions: 0,
  events: 0,
  trackEvents: 0,
  summaries: 0,
  appStates: 0,
  userStates: 0,
  ...c,
});

/** TTLs of a sweep, and what it removes from the seed (see {@link seed}). */
const SETTINGS: readonly (readonly [string, SweepOptions, SweepCounts])[] = [
  [
    'every TTL, track events following the session TTL',
    { sessionTtlMs: HOUR, appStateTtlMs: HOUR, userStateTtlMs: HOUR },
    counts({ sessions: 1, events: 4, trackEvents: 2, summaries: 1, appStates: 1, userStates: 1 }),
  ],
  [
    'the session TTL with track events never expiring',
    { sessionTtlMs: HOUR, trackEventTtlMs: 0 },
    counts({ sessions: 1, events: 4, summaries: 1 }),
  ],
  ['a track-event TTL alone', { trackEventTtlMs: 30 * MINUTE }, counts({ trackEvents: 2 })],
  [
    'app and user state TTLs alone',
    { appStateTtlMs: HOUR, userStateTtlMs: HOUR },
    counts({ appStates: 1, userStates: 1 }),
  ],
  ['no TTL', {}, counts({})],
];

describe.each(testDatabases)('sweep preview on %s', (_name, open) => {
  let test: TestDatabase;
  let n = 0;

  beforeAll(async () => {
    test = await open();
  });
  afterAll(async () => {
    await test?.close();
  });

  for (const mode of ['soft', 'hard'] as const) {
    it.each(SETTINGS)(
      `counts exactly what a ${mode} sweep then removes, per table (%s)`,
      async (_, ttls, expected) => {
        const db = await seed(test, `p${++n}_`);
        const options: SweepOptions = { ...ttls, hard: mode === 'hard', now: SWEEP_AT };
        const before = await snapshot(db);
        const preview = await countSweepable(db, options);
        expect(preview).toEqual(expected);
        expect(await snapshot(db), 'a preview changes nothing').toEqual(before);
        expect(await countExpired(db, options)).toBe(Object.values(preview).reduce((a, b) => a + b, 0));

        const report = await sweepNow(db, options);
        const actual = removed(before, await snapshot(db));
        expect(actual.counts).toEqual(preview);
        expect(report).toEqual({ ran: true, ...preview });
        if (mode === 'soft') {
          const at = toSqlTimestamp(SWEEP_AT).slice(0, 19);
          for (const row of actual.rows) {
            const now = (await snapshot(db)).find((r) => r.table === row.table && r.id === row.id)!;
            expect(now.deletedAt?.slice(0, 19)).toBe(at);
          }
        }
        expect(await countSweepable(db, options), 'nothing is left to sweep').toEqual(counts({}));
      },
    );
  }

  it('finds the rows the old estimate got wrong: stale events of live sessions, track events by their own TTL', async () => {
    const db = await seed(test, `p${++n}_`);
    const preview = await countSweepable(db, { sessionTtlMs: HOUR, trackEventTtlMs: 0, now: SWEEP_AT });
    // expired's 2 events and touched's 2 (a live session), none of fresh (its newest is recent);
    // no track events with their TTL at 0; the summary another writer gave an expires_at.
    expect(preview).toEqual({
      sessions: 1,
      events: 4,
      trackEvents: 0,
      summaries: 1,
      appStates: 0,
      userStates: 0,
    });
  });

  it('brings back with restore every session row a soft sweep took, events of a live session included', async () => {
    const db = await seed(test, `p${++n}_`);
    const options: SweepOptions = {
      sessionTtlMs: HOUR,
      appStateTtlMs: HOUR,
      userStateTtlMs: HOUR,
      now: SWEEP_AT,
    };
    const before = await snapshot(db);
    await sweepNow(db, options);
    const { rows } = removed(before, await snapshot(db));
    const sessionTables = new Set([
      'session_states',
      'session_events',
      'session_track_events',
      'session_summaries',
    ]);
    const keys = [...new Set(rows.filter((r) => sessionTables.has(r.table)).map((r) => r.key))].sort();
    // The expired session; touched and fresh stayed live and lost rows to the sweep.
    expect(keys).toEqual(['preview/u/expired', 'preview/u/fresh', 'preview/u/touched']);
    const restored: Record<string, unknown> = {};
    for (const key of keys) {
      const [appName, userId, sessionId] = key.split('/') as [string, string, string];
      restored[sessionId] = await restore(db, { appName, userId, sessionId });
    }
    expect(restored).toEqual({
      expired: { sessions: 1, events: 2, summaries: 0, trackEvents: 1 },
      fresh: { sessions: 0, events: 0, summaries: 1, trackEvents: 1 },
      touched: { sessions: 0, events: 2, summaries: 0, trackEvents: 0 },
    });
    // Every session-scoped row is as it was before the sweep; only app and user state stay swept.
    const after = await snapshot(db);
    expect(after.filter((r) => sessionTables.has(r.table))).toEqual(
      before.filter((r) => sessionTables.has(r.table)),
    );
  });
});
