/**
 * The TTL sweep, purgeSoftDeleted and restoreSession against the real tables, on PGlite and (when
 * configured) a PostgreSQL server. Rows are written by SQL, so these tests depend on the table
 * layout only, not on the service.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  advisoryLockKey,
  purgeSoftDeleted,
  restoreSession,
  Sweeper,
  type SweeperOptions,
} from '../../src/postgres/cleanup/sweeper.js';
import { initSchema, type TableKey, type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import { ManualClock } from '../../src/session/clock.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { SweepReport } from '../../src/session/observers.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import type { SqlClient, SqlExecutor, SqlResult } from '../../src/sql/client.js';
import { describeServer, newPglite, withServerSchema } from '../support/database.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

interface Db {
  client: SqlClient;
  tables: TableNames;
  /** SQL-ready name of a table. */
  t(key: TableKey): string;
}

interface Backend {
  name: string;
  describe: typeof describe | typeof describeServer;
  server: boolean;
  /** Sets up once per file. */
  setup(): Promise<void>;
  /** The database, its tables emptied, for one test. */
  open(): Promise<Db>;
  teardown(): Promise<void>;
}

function makeDb(client: SqlClient, tables: TableNames): Db {
  return { client, tables, t: (key) => tables[key].qualified };
}

/** Empties the six tables, so one database serves every test of a file. */
async function emptied(client: SqlClient, tables: TableNames): Promise<Db> {
  await client.query(`TRUNCATE ${tables.all.map((t) => t.qualified).join(', ')} RESTART IDENTITY`);
  return makeDb(client, tables);
}

function pgliteBackend(): Backend {
  // Starting PGlite takes a while: one for the file.
  let shared: { client: SqlClient; close(): Promise<void> } | undefined;
  const tables = tableNames('', '');
  return {
    name: 'PGlite',
    describe,
    server: false,
    async setup() {
      shared = await newPglite();
      await initSchema(shared.client, tables);
    },
    open: () => emptied(shared!.client, tables),
    async teardown() {
      await shared?.close();
    },
  };
}

function serverBackend(): Backend {
  // The file's own random schema, dropped at the end.
  let server: Awaited<ReturnType<typeof withServerSchema>> | undefined;
  let tables: TableNames;
  return {
    name: 'server PostgreSQL',
    describe: describeServer,
    server: true,
    async setup() {
      server = await withServerSchema();
      tables = tableNames(server.schema, '');
      await initSchema(server.client, tables);
    },
    open: () => emptied(server!.client, tables),
    async teardown() {
      await server?.drop();
    },
  };
}

// -------------------------------------------------------------------------------------------------
// Rows

const ts = (ms: number | Date | null | undefined) =>
  ms === null || ms === undefined ? null : toSqlTimestamp(typeof ms === 'number' ? new Date(ms) : ms);

const key = (sessionId: string, userId = 'u1', appName = 'app'): SessionKey => ({
  appName,
  userId,
  sessionId,
});

interface RowTimes {
  expiresAt?: number | null;
  deletedAt?: number | null;
  updatedAt?: number;
}

/** The updated_at (an hour before T0 unless given), expires_at and deleted_at parameters of a row. */
const timeParams = (times: RowTimes) =>
  [ts(times.updatedAt ?? T0 - HOUR), ts(times.expiresAt), ts(times.deletedAt)] as const;

async function insertSession(db: Db, k: SessionKey, times: RowTimes = {}): Promise<string> {
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO ${db.t('sessionStates')} (app_name, user_id, session_id, state, created_at, updated_at, expires_at, deleted_at)
     VALUES ($1, $2, $3, '{}', $4, $4, $5, $6) RETURNING id`,
    [k.appName, k.userId, k.sessionId, ...timeParams(times)],
  );
  return rows[0]!.id;
}

async function insertEvent(db: Db, k: SessionKey, times: RowTimes = {}): Promise<string> {
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO ${db.t('sessionEvents')} (app_name, user_id, session_id, event, created_at, updated_at, expires_at, deleted_at)
     VALUES ($1, $2, $3, '{}', $4, $4, $5, $6) RETURNING id`,
    [k.appName, k.userId, k.sessionId, ...timeParams(times)],
  );
  return rows[0]!.id;
}

async function insertSummary(
  db: Db,
  k: SessionKey,
  filterKey: string,
  times: RowTimes = {},
): Promise<string> {
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO ${db.t('sessionSummaries')} (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at, deleted_at)
     VALUES ($1, $2, $3, $4, '{}', $5, $6, $7) RETURNING id`,
    [k.appName, k.userId, k.sessionId, filterKey, ...timeParams(times)],
  );
  return rows[0]!.id;
}

async function insertTrack(db: Db, k: SessionKey, track: string, times: RowTimes = {}): Promise<string> {
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO ${db.t('sessionTrackEvents')} (app_name, user_id, session_id, track, event, created_at, updated_at, expires_at, deleted_at)
     VALUES ($1, $2, $3, $4, '{}', $5, $5, $6, $7) RETURNING id`,
    [k.appName, k.userId, k.sessionId, track, ...timeParams(times)],
  );
  return rows[0]!.id;
}

async function insertAppState(
  db: Db,
  appName: string,
  stateKey: string,
  times: RowTimes = {},
): Promise<string> {
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO ${db.t('appStates')} (app_name, key, value, created_at, updated_at, expires_at, deleted_at)
     VALUES ($1, $2, 'v', $3, $3, $4, $5) RETURNING id`,
    [appName, stateKey, ...timeParams(times)],
  );
  return rows[0]!.id;
}

async function insertUserState(
  db: Db,
  appName: string,
  userId: string,
  stateKey: string,
  times: RowTimes = {},
) {
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO ${db.t('userStates')} (app_name, user_id, key, value, created_at, updated_at, expires_at, deleted_at)
     VALUES ($1, $2, $3, 'v', $4, $4, $5, $6) RETURNING id`,
    [appName, userId, stateKey, ...timeParams(times)],
  );
  return rows[0]!.id;
}

/** deleted_at of every row of a table by id (a missing id was deleted); null for live rows. */
async function deletedAtById(db: Db, table: TableKey): Promise<Map<string, number | null>> {
  const { rows } = await db.client.query<{ id: string; deleted_at: Date | null }>(
    `SELECT id, deleted_at FROM ${db.t(table)} ORDER BY id`,
  );
  return new Map(rows.map((r) => [r.id, r.deleted_at === null ? null : r.deleted_at.getTime()]));
}

async function count(db: Db, table: TableKey, where = 'true'): Promise<number> {
  const { rows } = await db.client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${db.t(table)} WHERE ${where}`,
  );
  return rows[0]!.n;
}

/** Connections holding the sweep lock of a lock name (PGlite has no other backends to ask). */
async function heldSweepLocks(db: Db, lockName: string): Promise<number> {
  const { rows } = await db.client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 1 AND granted
       AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [advisoryLockKey(lockName)],
  );
  return rows[0]!.n;
}

/** What trpc-agent-go's soft DeleteSession does: the same deleted_at on the key's live rows of four tables. */
async function softDeleteSession(db: Db, k: SessionKey, at: number): Promise<void> {
  for (const table of ['sessionStates', 'sessionSummaries', 'sessionEvents', 'sessionTrackEvents'] as const) {
    await db.client.query(
      `UPDATE ${db.t(table)} SET deleted_at = $1
       WHERE app_name = $2 AND user_id = $3 AND session_id = $4 AND deleted_at IS NULL`,
      [ts(at), k.appName, k.userId, k.sessionId],
    );
  }
}

// -------------------------------------------------------------------------------------------------
// Clients that watch or slow down statements

interface Hooks {
  /** Runs before each statement; may wait or throw. */
  before?(text: string): Promise<void> | void;
  after?(text: string, result: SqlResult<unknown>): void;
}

function watched(client: SqlClient, hooks: Hooks): SqlClient {
  const wrap = (target: SqlExecutor): SqlExecutor => ({
    async query<Row>(text: string, params?: readonly unknown[]) {
      await hooks.before?.(text);
      const result = await target.query<Row>(text, params);
      hooks.after?.(text, result as SqlResult<unknown>);
      return result;
    },
  });
  const outside = wrap(client);
  return {
    kind: client.kind,
    query: outside.query,
    transaction: (fn) => client.transaction((tx) => fn(wrap(tx))),
    withConnection: (fn) => client.withConnection((conn) => fn(wrap(conn))),
    close: () => client.close(),
  };
}

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

// -------------------------------------------------------------------------------------------------

const ZERO = { sessions: 0, events: 0, trackEvents: 0, summaries: 0, appStates: 0, userStates: 0 };

function report(counts: Partial<Omit<SweepReport, 'ran'>>): SweepReport {
  return { ran: true, ...ZERO, ...counts };
}

for (const backend of [pgliteBackend(), serverBackend()]) {
  backend.describe(`TTL sweep on ${backend.name}`, () => {
    let db: Db;
    let clock: ManualClock;
    const sweepers: Sweeper[] = [];

    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());
    beforeEach(async () => {
      db = await backend.open();
      clock = new ManualClock(T0);
    });
    afterEach(async () => {
      await Promise.all(sweepers.splice(0).map((s) => s.stop()));
    });

    function sweeper(options: Partial<SweeperOptions> = {}): Sweeper {
      const s = new Sweeper({
        client: db.client,
        tables: db.tables,
        clock,
        softDelete: true,
        sessionTtlMs: 0,
        appStateTtlMs: 0,
        userStateTtlMs: 0,
        trackEventTtlMs: 0,
        intervalMs: HOUR,
        lockKey: `test.${db.tables.schema}.${db.tables.prefix}`,
        ...options,
      });
      sweepers.push(s);
      return s;
    }

    // Tables with their own expires_at: the same rules, one table at a time.
    const ownExpiry: {
      table: TableKey;
      field: keyof typeof ZERO;
      ttl: Partial<SweeperOptions>;
      insert(db: Db, tag: string, times: RowTimes): Promise<string>;
    }[] = [
      {
        table: 'sessionStates',
        field: 'sessions',
        ttl: { sessionTtlMs: HOUR },
        insert: (d, tag, times) => insertSession(d, key(tag), times),
      },
      {
        table: 'sessionTrackEvents',
        field: 'trackEvents',
        ttl: { trackEventTtlMs: HOUR },
        insert: (d, tag, times) => insertTrack(d, key(tag), 'track', times),
      },
      {
        table: 'sessionSummaries',
        field: 'summaries',
        ttl: { sessionTtlMs: HOUR },
        insert: (d, tag, times) => insertSummary(d, key(tag), '', times),
      },
      {
        table: 'appStates',
        field: 'appStates',
        ttl: { appStateTtlMs: HOUR },
        insert: (d, tag, times) => insertAppState(d, 'app', tag, times),
      },
      {
        table: 'userStates',
        field: 'userStates',
        ttl: { userStateTtlMs: HOUR },
        insert: (d, tag, times) => insertUserState(d, 'app', 'u1', tag, times),
      },
    ];

    for (const mode of ['soft', 'hard'] as const) {
      describe(`${mode} mode`, () => {
        const softDelete = mode === 'soft';

        for (const spec of ownExpiry) {
          it(`${mode}-deletes expired ${spec.field} and leaves live, unexpiring and already deleted ones`, async () => {
            const ids = {
              expired: await spec.insert(db, 'expired', { expiresAt: T0 - SECOND }),
              boundary: await spec.insert(db, 'boundary', { expiresAt: T0 }),
              live: await spec.insert(db, 'live', { expiresAt: T0 + SECOND }),
              forever: await spec.insert(db, 'forever', { expiresAt: null }),
              gone: await spec.insert(db, 'gone', { expiresAt: T0 - HOUR, deletedAt: T0 - MINUTE }),
            };

            const result = await sweeper({ softDelete, ...spec.ttl }).sweepNow();

            expect(result).toEqual(report({ [spec.field]: 2 }));
            const after = await deletedAtById(db, spec.table);
            for (const tag of ['expired', 'boundary'] as const) {
              if (softDelete) expect(after.get(ids[tag])).toBe(T0);
              else expect(after.has(ids[tag])).toBe(false);
            }
            expect(after.get(ids.live)).toBeNull();
            expect(after.get(ids.forever)).toBeNull();
            // Already soft-deleted rows are purgeSoftDeleted's, in both modes.
            expect(after.get(ids.gone)).toBe(T0 - MINUTE);
          });
        }

        it(`${mode}-deletes the events of a session whose newest event is older than the session TTL`, async () => {
          const stale = key('stale');
          const odd = key('o"d,d{}\\\' é 🙂', 'u"1', '[app]');
          const recent = key('recent');
          const boundary = key('boundary');
          // Live session rows: the events go by their own age, not with their session.
          for (const k of [stale, odd, recent, boundary])
            await insertSession(db, k, { expiresAt: T0 + HOUR });
          const staleIds = [
            await insertEvent(db, stale, { updatedAt: T0 - 3 * HOUR }),
            await insertEvent(db, stale, { updatedAt: T0 - HOUR - SECOND }),
            await insertEvent(db, odd, { updatedAt: T0 - 2 * HOUR }),
          ];
          const recentIds = [
            await insertEvent(db, recent, { updatedAt: T0 - 3 * HOUR }),
            await insertEvent(db, recent, { updatedAt: T0 - 30 * MINUTE }),
          ];
          // Exactly TTL old goes, as a session row goes when its expires_at is now (see the
          // boundary case of the tables with their own expiry above); a millisecond younger stays.
          staleIds.push(await insertEvent(db, key('exactly'), { updatedAt: T0 - HOUR }));
          const boundaryId = await insertEvent(db, boundary, { updatedAt: T0 - HOUR + 1 });
          const oldDeleted = await insertEvent(db, stale, {
            updatedAt: T0 - 4 * HOUR,
            deletedAt: T0 - 2 * HOUR,
          });

          const result = await sweeper({ softDelete, sessionTtlMs: HOUR }).sweepNow();

          expect(result).toEqual(report({ events: 4 }));
          const after = await deletedAtById(db, 'sessionEvents');
          for (const id of staleIds) {
            if (softDelete) expect(after.get(id)).toBe(T0);
            else expect(after.has(id)).toBe(false);
          }
          for (const id of [...recentIds, boundaryId]) expect(after.get(id)).toBeNull();
          expect(after.get(oldDeleted)).toBe(T0 - 2 * HOUR);
          expect(await count(db, 'sessionStates', 'deleted_at IS NULL')).toBe(4);
        });

        it(`${mode}-deletes an expired session row alone: its events, summaries and track events go by their own rules`, async () => {
          // trpc-agent-go's cleanup: each table by its own rule. Before, the sweep took every
          // dependent of an expired session with it, even rows Go keeps.
          const expired = key('expired');
          const other = key('other');
          await insertSession(db, expired, { expiresAt: T0 - SECOND });
          await insertSession(db, other, { expiresAt: T0 + HOUR });
          // Dependents that do not go on their own: recent events, summaries without expiry,
          // track events that expire later than the session.
          for (const k of [expired, other]) {
            await insertEvent(db, k, { updatedAt: T0 - 10 * MINUTE });
            await insertEvent(db, k, { updatedAt: T0 - 5 * MINUTE });
            await insertSummary(db, k, '');
            await insertSummary(db, k, 'tool');
            await insertTrack(db, k, 'agent', { expiresAt: T0 + HOUR });
          }
          // Deleted before (by an earlier deleteSession): keeps its own deleted_at.
          const earlier = await insertEvent(db, expired, { updatedAt: T0 - 2 * HOUR, deletedAt: T0 - HOUR });

          const result = await sweeper({ softDelete, sessionTtlMs: HOUR, trackEventTtlMs: HOUR }).sweepNow();

          expect(result).toEqual(report({ sessions: 1 }));
          const live = (k: SessionKey) => `session_id = '${k.sessionId}' AND deleted_at IS NULL`;
          expect(await count(db, 'sessionStates', live(expired))).toBe(0);
          expect(await count(db, 'sessionStates', live(other))).toBe(1);
          if (softDelete) {
            expect(
              await count(db, 'sessionStates', `session_id = 'expired' AND deleted_at = '${ts(T0)}'`),
            ).toBe(1);
          }
          for (const k of [expired, other]) {
            expect(await count(db, 'sessionEvents', live(k))).toBe(2);
            expect(await count(db, 'sessionSummaries', live(k))).toBe(2);
            expect(await count(db, 'sessionTrackEvents', live(k))).toBe(1);
          }
          expect((await deletedAtById(db, 'sessionEvents')).get(earlier)).toBe(T0 - HOUR);

          // Once they are old enough, each goes by its own rule; summaries never do.
          clock.advance(2 * HOUR);
          const later = sweeper({ softDelete, sessionTtlMs: HOUR, trackEventTtlMs: HOUR });
          expect(await later.sweepNow()).toEqual(report({ sessions: 1, events: 4, trackEvents: 2 }));
          expect(await count(db, 'sessionSummaries', 'deleted_at IS NULL')).toBe(4);
        });
      });
    }

    it('leaves the tables of a TTL of 0 alone', async () => {
      await insertSession(db, key('s'), { expiresAt: T0 - HOUR });
      await insertEvent(db, key('s'), { updatedAt: T0 - 10 * HOUR });
      await insertSummary(db, key('s'), '', { expiresAt: T0 - HOUR });
      await insertTrack(db, key('s'), 'track', { expiresAt: T0 - HOUR });
      await insertAppState(db, 'app', 'k', { expiresAt: T0 - HOUR });
      await insertUserState(db, 'app', 'u1', 'k', { expiresAt: T0 - HOUR });

      expect(await sweeper({ appStateTtlMs: HOUR }).sweepNow()).toEqual(report({ appStates: 1 }));
      expect(await sweeper({ trackEventTtlMs: HOUR }).sweepNow()).toEqual(report({ trackEvents: 1 }));
      expect(await sweeper().sweepNow()).toEqual(report({}));
      for (const table of ['sessionStates', 'sessionEvents', 'sessionSummaries', 'userStates'] as const) {
        expect(await count(db, table, 'deleted_at IS NULL')).toBe(1);
      }
    });

    it('expires rows by the clock it is given, at each pass', async () => {
      const id = await insertAppState(db, 'app', 'k', { expiresAt: T0 + 10 * MINUTE });
      const s = sweeper({ appStateTtlMs: HOUR });
      expect((await s.sweepNow()).appStates).toBe(0);
      clock.advance(10 * MINUTE);
      expect((await s.sweepNow()).appStates).toBe(1);
      expect((await deletedAtById(db, 'appStates')).get(id)).toBe(T0 + 10 * MINUTE);
    });

    it('sweeps a backlog in bounded batches, each statement touching at most batchSize rows', async () => {
      for (let i = 0; i < 10; i++) {
        const k = key(`s${i}`);
        await insertSession(db, k, { expiresAt: T0 - SECOND });
        for (let e = 0; e < 4; e++) await insertEvent(db, k, { updatedAt: T0 - 2 * HOUR });
        await insertTrack(db, k, 'track', { expiresAt: T0 - SECOND });
        await insertAppState(db, 'app', `k${i}`, { expiresAt: T0 - SECOND });
        await insertUserState(db, 'app', 'u1', `k${i}`, { expiresAt: T0 - SECOND });
      }
      // Stale events of live sessions, for the other event statement.
      for (let i = 0; i < 10; i++) await insertEvent(db, key(`live${i}`), { updatedAt: T0 - 2 * HOUR });

      const touched: number[] = [];
      let statements = 0;
      const client = watched(db.client, {
        after(text, result) {
          if (/pg_(try_)?advisory/.test(text)) return;
          statements += 1;
          // Changing statements report how many rows they changed; the picking SELECT returns rows.
          const row = result.rows[0] as { count?: number } | undefined;
          touched.push(row && typeof row.count === 'number' ? row.count : result.rowCount);
        },
      });
      const result = await sweeper({
        client,
        batchSize: 3,
        softDelete: false,
        sessionTtlMs: HOUR,
        trackEventTtlMs: HOUR,
        appStateTtlMs: HOUR,
        userStateTtlMs: HOUR,
      }).sweepNow();

      expect(result).toEqual(
        report({ sessions: 10, events: 50, trackEvents: 10, appStates: 10, userStates: 10 }),
      );
      expect(Math.max(...touched)).toBe(3);
      // 90 rows, at most 3 per statement.
      expect(statements).toBeGreaterThanOrEqual(30);
      for (const table of [
        'sessionStates',
        'sessionEvents',
        'sessionSummaries',
        'sessionTrackEvents',
      ] as const) {
        expect(await count(db, table)).toBe(0);
      }
      expect(await count(db, 'appStates')).toBe(0);
      expect(await count(db, 'userStates')).toBe(0);
    });

    it('runs a pass that finds nothing without error, and reports zeros', async () => {
      const result = await sweeper({
        sessionTtlMs: HOUR,
        trackEventTtlMs: HOUR,
        appStateTtlMs: HOUR,
        userStateTtlMs: HOUR,
      }).sweepNow();
      expect(result).toEqual(report({}));
    });

    it('reports ran: false and does nothing while another sweeper of the same tables holds the lock', async () => {
      await insertAppState(db, 'app', 'k', { expiresAt: T0 - SECOND });
      // A holds the lock: its first statement after taking it waits for the gate.
      const held = gate();
      const locked = gate();
      let paused = false;
      const a = sweeper({
        appStateTtlMs: HOUR,
        client: watched(db.client, {
          async before(text) {
            if (!paused && !/advisory/.test(text)) {
              paused = true;
              locked.open();
              await held.wait;
            }
          },
        }),
      });
      const b = sweeper({ appStateTtlMs: HOUR });
      const other = sweeper({ userStateTtlMs: HOUR, lockKey: 'another table set' });

      const first = a.sweepNow();
      await locked.wait;
      if (backend.server) {
        expect(await b.sweepNow()).toEqual({ ...report({}), ran: false });
        // A different lock key is a different table set: not blocked.
        expect((await other.sweepNow()).ran).toBe(true);
      }
      held.open();
      expect(await first).toEqual(report({ appStates: 1 }));
      // Released: the next pass runs.
      expect(await heldSweepLocks(db, `test.${db.tables.schema}.${db.tables.prefix}`)).toBe(0);
      expect((await b.sweepNow()).ran).toBe(true);
    });

    it('counts every expired row exactly once when several sweepers start together', async () => {
      for (let i = 0; i < 40; i++) {
        await insertSession(db, key(`s${i}`), { expiresAt: T0 - SECOND });
        await insertEvent(db, key(`s${i}`), { updatedAt: T0 - 2 * HOUR });
        await insertAppState(db, 'app', `k${i}`, { expiresAt: T0 - SECOND });
      }
      const all = Array.from({ length: 4 }, () =>
        sweeper({ sessionTtlMs: HOUR, appStateTtlMs: HOUR, batchSize: 5 }),
      );
      const results = await Promise.all(all.map((s) => s.sweepNow()));

      expect(results.some((r) => r.ran)).toBe(true);
      const sum = (field: keyof typeof ZERO) => results.reduce((n, r) => n + r[field], 0);
      expect([sum('sessions'), sum('events'), sum('appStates')]).toEqual([40, 40, 40]);
      expect(await heldSweepLocks(db, `test.${db.tables.schema}.${db.tables.prefix}`)).toBe(0);
    });

    it('releases the lock when a pass fails', async () => {
      await insertAppState(db, 'app', 'k', { expiresAt: T0 - SECOND });
      let fail = true;
      const failing = sweeper({
        appStateTtlMs: HOUR,
        client: watched(db.client, {
          before(text) {
            if (fail && text.includes('WITH changed')) {
              fail = false;
              throw Object.assign(new Error('boom'), { code: '57014' });
            }
          },
        }),
      });
      const error = await failing.sweepNow().catch((e: unknown) => e);
      expect(isAgentSessionsError(error, 'STORAGE')).toBe(true);
      expect((error as Error).message).toContain('app states');
      expect((error as Error).cause).toMatchObject({ message: 'boom' });
      expect(await heldSweepLocks(db, `test.${db.tables.schema}.${db.tables.prefix}`)).toBe(0);

      expect(await sweeper({ appStateTtlMs: HOUR }).sweepNow()).toEqual(report({ appStates: 1 }));
      expect(await failing.sweepNow()).toEqual(report({}));
    });

    it('hard-deletes rows soft-deleted before a cut-off in all six tables (purgeSoftDeleted)', async () => {
      const old = T0 - 30 * 24 * HOUR;
      const recent = T0 - HOUR;
      const inserts = [
        (tag: string, deletedAt: number | null) => insertSession(db, key(tag), { deletedAt }),
        (tag: string, deletedAt: number | null) => insertEvent(db, key(tag), { deletedAt }),
        (tag: string, deletedAt: number | null) => insertSummary(db, key(tag), '', { deletedAt }),
        (tag: string, deletedAt: number | null) => insertTrack(db, key(tag), 't', { deletedAt }),
        (tag: string, deletedAt: number | null) => insertAppState(db, 'app', tag, { deletedAt }),
        (tag: string, deletedAt: number | null) => insertUserState(db, 'app', 'u1', tag, { deletedAt }),
      ];
      for (const insert of inserts) {
        for (let i = 0; i < 3; i++) await insert(`old${i}`, old);
        await insert('recent', recent);
        await insert('live', null);
      }

      const result = await purgeSoftDeleted(db.client, db.tables, {
        olderThan: new Date(T0 - 24 * HOUR),
        batchSize: 2,
      });

      expect(result).toEqual(
        report({ sessions: 3, events: 3, summaries: 3, trackEvents: 3, appStates: 3, userStates: 3 }),
      );
      for (const t of db.tables.all) {
        expect(await count(db, t.key)).toBe(2);
        expect(await count(db, t.key, 'deleted_at IS NULL')).toBe(1);
      }
      expect(await purgeSoftDeleted(db.client, db.tables, { olderThan: new Date(T0) })).toEqual(
        report({ sessions: 1, events: 1, summaries: 1, trackEvents: 1, appStates: 1, userStates: 1 }),
      );
    });

    it('rejects a purge without a valid cut-off or batch size', async () => {
      await expect(
        purgeSoftDeleted(db.client, db.tables, { olderThan: new Date(Number.NaN) }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'olderThan',
      });
      await expect(
        purgeSoftDeleted(db.client, db.tables, { olderThan: new Date(T0), batchSize: 0 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'batchSize' });
    });

    describe('restoreSession', () => {
      const k = key('s');

      /** An older incarnation deleted at `T0 - 2h`, an event swept at `T0 - 1h`, the last one deleted at T0. */
      async function history() {
        await insertSession(db, k, { deletedAt: T0 - 2 * HOUR });
        await insertEvent(db, k, { updatedAt: T0 - 3 * HOUR, deletedAt: T0 - 2 * HOUR });
        await insertSummary(db, k, '', { deletedAt: T0 - 2 * HOUR });

        await insertSession(db, k);
        await insertEvent(db, k, { updatedAt: T0 - 90 * MINUTE, deletedAt: T0 - HOUR });
        await insertEvent(db, k, { updatedAt: T0 - 30 * MINUTE });
        await insertEvent(db, k, { updatedAt: T0 - 20 * MINUTE });
        await insertSummary(db, k, '');
        await insertTrack(db, k, 'agent');
        // Another session of the same user, deleted at the same instant, stays deleted.
        await insertSession(db, key('neighbour'));
        await insertEvent(db, key('neighbour'));
        await softDeleteSession(db, k, T0);
        await softDeleteSession(db, key('neighbour'), T0);
      }

      it('restores exactly what the last delete removed, and nothing older', async () => {
        await history();

        expect(await restoreSession(db.client, db.tables, k)).toEqual({
          sessions: 1,
          events: 2,
          summaries: 1,
          trackEvents: 1,
        });
        const live = `session_id = 's' AND deleted_at IS NULL`;
        expect(await count(db, 'sessionStates', live)).toBe(1);
        expect(await count(db, 'sessionEvents', live)).toBe(2);
        expect(await count(db, 'sessionEvents', `session_id = 's' AND deleted_at IS NOT NULL`)).toBe(2);
        expect(await count(db, 'sessionSummaries', live)).toBe(1);
        expect(await count(db, 'sessionTrackEvents', live)).toBe(1);
        expect(await count(db, 'sessionStates', `session_id = 'neighbour' AND deleted_at IS NULL`)).toBe(0);
      });

      it('refuses, changing nothing, while a live session has the key', async () => {
        await history();
        await insertSession(db, k);
        const before = await deletedAtById(db, 'sessionEvents');

        await expect(restoreSession(db.client, db.tables, k)).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await deletedAtById(db, 'sessionEvents')).toEqual(before);
        expect(await count(db, 'sessionStates', `session_id = 's' AND deleted_at IS NULL`)).toBe(1);
      });

      it('restores an older incarnation chosen by its deletedAt', async () => {
        await history();
        expect(await restoreSession(db.client, db.tables, k, { deletedAt: new Date(T0 - 2 * HOUR) })).toEqual(
          {
            sessions: 1,
            events: 1,
            summaries: 1,
            trackEvents: 0,
          },
        );
        // Now the newest incarnation conflicts with the restored one.
        await expect(restoreSession(db.client, db.tables, k)).rejects.toMatchObject({ code: 'CONFLICT' });
      });

      it('restores a session the sweeper soft-deleted, with everything the pass took with it', async () => {
        await insertSession(db, k, { expiresAt: T0 - SECOND });
        await insertEvent(db, k, { updatedAt: T0 - 2 * HOUR });
        await insertSummary(db, k, '');
        await sweeper({ sessionTtlMs: HOUR }).sweepNow();

        expect(await restoreSession(db.client, db.tables, k)).toEqual({
          sessions: 1,
          events: 1,
          summaries: 0,
          trackEvents: 0,
        });
        expect(await count(db, 'sessionEvents', 'deleted_at IS NULL')).toBe(1);
        expect(await count(db, 'sessionSummaries', 'deleted_at IS NULL')).toBe(1);
      });

      it('takes a session and its events in the same pass at the instant it expires, so a restore brings both back', async () => {
        // Written at T0 - HOUR with a TTL of an hour: expires_at is T0 and the events' updated_at T0 - HOUR.
        await insertSession(db, k, { expiresAt: T0, updatedAt: T0 - HOUR });
        await insertEvent(db, k, { updatedAt: T0 - HOUR });
        await insertEvent(db, k, { updatedAt: T0 - HOUR });
        expect(await sweeper({ sessionTtlMs: HOUR }).sweepNow()).toEqual(report({ sessions: 1, events: 2 }));
        expect(await restoreSession(db.client, db.tables, k)).toEqual({
          sessions: 1,
          events: 2,
          summaries: 0,
          trackEvents: 0,
        });
        expect(await count(db, 'sessionEvents', 'deleted_at IS NULL')).toBe(2);
      });

      it('restores what a sweep took from a live session (stale events, expired track events), one pass at a time', async () => {
        await insertSession(db, k, { expiresAt: T0 + HOUR, updatedAt: T0 - 3 * HOUR });
        const events = [
          await insertEvent(db, k, { updatedAt: T0 - 3 * HOUR }),
          await insertEvent(db, k, { updatedAt: T0 - 2 * HOUR }),
        ];
        const track = await insertTrack(db, k, 'agent', { expiresAt: T0 - MINUTE });
        expect(await sweeper({ sessionTtlMs: HOUR, trackEventTtlMs: HOUR }).sweepNow()).toEqual(
          report({ events: 2, trackEvents: 1 }),
        );
        expect(await count(db, 'sessionEvents', 'deleted_at IS NULL')).toBe(0);

        expect(await restoreSession(db.client, db.tables, k)).toEqual({
          sessions: 0,
          events: 2,
          summaries: 0,
          trackEvents: 1,
        });
        const after = await deletedAtById(db, 'sessionEvents');
        for (const id of events) expect(after.get(id)).toBeNull();
        expect((await deletedAtById(db, 'sessionTrackEvents')).get(track)).toBeNull();
        // Nothing more of it was deleted: a live session holds the key.
        await expect(restoreSession(db.client, db.tables, k)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('reports NOT_FOUND when there is nothing to restore, and validates the key', async () => {
        await insertSession(db, k);
        await expect(restoreSession(db.client, db.tables, k)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await softDeleteSession(db, k, T0);
        await expect(
          restoreSession(db.client, db.tables, k, { deletedAt: new Date(T0 - SECOND) }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(restoreSession(db.client, db.tables, key(''))).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          field: 'sessionId',
        });
      });
    });

    describe('purge beside restore', () => {
      const DELETED = T0 - 30 * 24 * HOUR;
      const SWEPT = T0 - 29 * 24 * HOUR;
      const deleted = ['d0', 'd1', 'd2', 'd3'].map((id) => key(id));
      const live = key('live');

      /**
       * Four soft-deleted sessions, each with 3 events, 2 summaries and 2 track events its delete
       * removed; a live session with 2 events and 3 a sweep took from it; 2 events whose session
       * row is gone.
       */
      async function seed() {
        for (const k of deleted) {
          await insertSession(db, k, { deletedAt: DELETED });
          for (let i = 0; i < 3; i++) await insertEvent(db, k, { deletedAt: DELETED });
          for (const filterKey of ['a', 'b']) await insertSummary(db, k, filterKey, { deletedAt: DELETED });
          for (const track of ['x', 'y']) await insertTrack(db, k, track, { deletedAt: DELETED });
        }
        await insertSession(db, live);
        for (let i = 0; i < 2; i++) await insertEvent(db, live);
        for (let i = 0; i < 3; i++) await insertEvent(db, live, { deletedAt: SWEPT });
        for (let i = 0; i < 2; i++) await insertEvent(db, key('gone'), { deletedAt: DELETED });
      }

      const restoreAll = async () => {
        await Promise.all(
          [...deleted, live].map((k) =>
            restoreSession(db.client, db.tables, k).catch((error: unknown) => {
              if (!isAgentSessionsError(error, 'NOT_FOUND')) throw error;
            }),
          ),
        );
      };

      /** Rows of a key per table, as `live/all`. */
      async function rowsOf(k: SessionKey) {
        const of = async (table: TableKey) =>
          `${await count(db, table, `session_id = '${k.sessionId}' AND deleted_at IS NULL`)}/${await count(db, table, `session_id = '${k.sessionId}'`)}`;
        return {
          sessions: await of('sessionStates'),
          events: await of('sessionEvents'),
          summaries: await of('sessionSummaries'),
          trackEvents: await of('sessionTrackEvents'),
        };
      }

      /** Each deleted session all gone or restored whole; the live session's swept events all or none. */
      async function expectWhole(step: string) {
        const gone = { sessions: '0/0', events: '0/0', summaries: '0/0', trackEvents: '0/0' };
        const restored = { sessions: '1/1', events: '3/3', summaries: '2/2', trackEvents: '2/2' };
        const notYet = { sessions: '0/1', events: '0/3', summaries: '0/2', trackEvents: '0/2' };
        for (const k of deleted) {
          expect([gone, restored, notYet], `${k.sessionId} ${step}`).toContainEqual(await rowsOf(k));
        }
        expect(['2/2', '5/5', '2/5'], `live ${step}`).toContain((await rowsOf(live)).events);
      }

      /** Runs a purge (batches of one) whose `k`-th statement is preceded by `interleave`. */
      async function purgeWith(k: number, interleave: () => Promise<void>) {
        let statements = 0;
        const client = watched(db.client, {
          async before(text) {
            if (text.includes('DELETE') && ++statements === k) await interleave();
          },
        });
        await purgeSoftDeleted(client, db.tables, { olderThan: new Date(T0), batchSize: 1 });
        return statements;
      }

      it('never lets a restore between its statements bring back part of a removal', async () => {
        await seed();
        const statements = await purgeWith(0, async () => {});
        for (let k = 1; k <= statements; k++) {
          db = await backend.open();
          await seed();
          await purgeWith(k, restoreAll);
          await expectWhole(`restored before statement ${k}`);
        }
      });

      it('leaves only whole removals to restore wherever it is interrupted', async () => {
        await seed();
        const statements = await purgeWith(0, async () => {});
        for (let k = 1; k <= statements; k++) {
          db = await backend.open();
          await seed();
          await expect(
            purgeWith(k, async () => {
              throw new Error('interrupted');
            }),
          ).rejects.toThrow('interrupted');
          await restoreAll();
          await expectWhole(`interrupted before statement ${k}`);
        }
      });
    });
  });
}

describe('advisoryLockKey', () => {
  it('is a stable signed 64-bit integer per table set', () => {
    const a = advisoryLockKey('db.public.trpc_');
    expect(a).toMatch(/^-?\d+$/);
    expect(BigInt(a) >= -(2n ** 63n) && BigInt(a) < 2n ** 63n).toBe(true);
    expect(advisoryLockKey('db.public.trpc_')).toBe(a);
    expect(advisoryLockKey('db.other.trpc_')).not.toBe(a);
  });
});
