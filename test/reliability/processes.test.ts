/**
 * Service instances in separate processes on one database: racing creates have one winner each,
 * concurrent appends to the same sessions lose nothing and keep each writer's order, state
 * updates to the same app and user all land, and sweeps started at once work one at a time with
 * every expired row swept exactly once. The database is checked row by row afterwards. Finally a
 * closed service leaves nothing behind: its process exits by itself and its connections are gone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advisoryLockKey } from '../../src/postgres/cleanup/sweeper.js';
import { decodeSessionState } from '../../src/session/codec/index.js';
import { buildWorker, startWorker, type Worker } from './support/processes.js';
import {
  createTestSchema,
  describeServer,
  randomName,
  serverUrl,
  storedEventIds,
  type TestSchema,
  waitUntil,
} from './support/server.js';

const WORKERS = 4;
const APPENDS = 25;

describeServer('several processes on the same sessions', () => {
  let db: TestSchema;
  let worker: Awaited<ReturnType<typeof buildWorker>>;
  let workers: Worker[] = [];
  const appName = randomName('procs');
  const names = Array.from({ length: WORKERS }, (_, i) => `${appName}_w${i}`);

  beforeAll(async () => {
    [db, worker] = await Promise.all([createTestSchema(), buildWorker()]);
    // Tables first, so the workers' own start-up only verifies them.
    await (await db.service(`${appName}_init`)).close();
    workers = await Promise.all(
      names.map((applicationName, i) =>
        startWorker(worker.path, {
          dsn: serverUrl!,
          schema: db.name,
          applicationName,
          appName,
          worker: i,
          sessionTtlMs: 3_600_000,
        }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
    worker?.remove();
    await db?.drop();
  });

  const all = <T>(command: string) => Promise.all(workers.map((w) => w.ask<T>(command)));

  it('gives each racing createSession exactly one winner', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `race${i}`);
    const answers = await all<{ create: Record<string, string> }>(`create ${ids.join(' ')}`);
    for (const id of ids) {
      const outcomes = answers.map((a) => a.create[id]);
      expect(
        outcomes.filter((o) => o === 'won'),
        id,
      ).toHaveLength(1);
      expect(
        outcomes.filter((o) => o !== 'won'),
        id,
      ).toEqual(Array(WORKERS - 1).fill('CONFLICT'));
      const winner = outcomes.indexOf('won');
      const { rows } = await db.admin.query<{ state: string }>(
        `SELECT state::text AS state FROM "${db.name}".session_states
         WHERE app_name = $1 AND session_id = $2 AND deleted_at IS NULL`,
        [appName, id],
      );
      expect(rows, `one live row for ${id}`).toHaveLength(1);
      const state = decodeSessionState(rows[0]!.state).state;
      expect(new TextDecoder().decode(state.by!)).toBe(`w${winner}`);
    }
  });

  it('keeps every append of every process, in each writer’s order, with every state update', async () => {
    const sessions = ['shared0', 'shared1', 'shared2'];
    await workers[0]!.ask(`create ${sessions.join(' ')}`);
    const answers = await all<{ append: Record<string, string[]>; failed: string[] }>(
      `append ${sessions.join(',')} ${APPENDS}`,
    );
    for (const a of answers) expect(a.failed).toEqual([]);

    for (const sessionId of sessions) {
      const key = { appName, userId: 'u', sessionId };
      const stored = await storedEventIds(db.admin, db.name, key);
      expect(stored, 'every append stored once').toHaveLength(WORKERS * APPENDS);
      expect(new Set(stored).size).toBe(stored.length);
      for (let w = 0; w < WORKERS; w++) {
        const mine = stored.filter((id) => id.startsWith(`w${w}-`));
        expect(mine, `writer ${w}'s order`).toEqual(answers[w]!.append[sessionId]);
        expect(mine).toEqual(Array.from({ length: APPENDS }, (_, k) => `w${w}-${sessionId}-${k}`));
      }
      // Insertion order: row ids grow along the read order (created_at, id).
      const { rows } = await db.admin.query<{ ordered: boolean }>(
        `SELECT bool_and(ok) AS ordered FROM (
           SELECT id > coalesce(lag(id) OVER (ORDER BY created_at, id), 0) AS ok
           FROM "${db.name}".session_events WHERE app_name = $1 AND session_id = $2) x`,
        [appName, sessionId],
      );
      expect(rows[0]!.ordered).toBe(true);
      // Every delta was merged into the row: none overwritten by a concurrent writer.
      const { rows: states } = await db.admin.query<{ state: string }>(
        `SELECT state::text AS state FROM "${db.name}".session_states
         WHERE app_name = $1 AND session_id = $2 AND deleted_at IS NULL`,
        [appName, sessionId],
      );
      const state = decodeSessionState(states[0]!.state).state;
      for (const id of stored) expect(state[`seen:${id}`], id).toBeDefined();
      for (let w = 0; w < WORKERS; w++)
        expect(new TextDecoder().decode(state[`w${w}`]!)).toBe(String(APPENDS - 1));
    }

    // App and user state: every process's own key holds its last write; nothing was lost.
    const last = String(Math.floor((APPENDS - 1) / 5) * 5);
    const { rows: appRows } = await db.admin.query<{ key: string; value: string }>(
      `SELECT key, value FROM "${db.name}".app_states WHERE app_name = $1 AND deleted_at IS NULL ORDER BY key`,
      [appName],
    );
    const app = Object.fromEntries(appRows.map((r) => [r.key, r.value]));
    for (let w = 0; w < WORKERS; w++) expect(app[`w${w}`]).toBe(last);
    expect(names.map((_, w) => `w${w}`)).toContain(app.last);
    expect(appRows).toHaveLength(WORKERS + 1);
    const { rows: userRows } = await db.admin.query<{ key: string; value: string }>(
      `SELECT key, value FROM "${db.name}".user_states
       WHERE app_name = $1 AND user_id = 'u' AND deleted_at IS NULL ORDER BY key`,
      [appName],
    );
    expect(userRows).toEqual(names.map((_, w) => ({ key: `w${w}`, value: last })));
  });

  it('lets one process sweep at a time and sweeps every expired row exactly once', async () => {
    const expiredApp = `${appName}_expired`;
    // 120 expired sessions of two events each, written a day ago straight into the tables.
    await db.admin.query(
      `WITH s AS (
         INSERT INTO "${db.name}".session_states (app_name, user_id, session_id, state, expires_at)
         SELECT $1, 'u', 'x' || g, '{}', now() - interval '1 day' FROM generate_series(1, 120) g
         RETURNING session_id)
       INSERT INTO "${db.name}".session_events (app_name, user_id, session_id, event, created_at, updated_at)
       SELECT $1, 'u', s.session_id, '{"id":"e"}', now() - interval '1 day', now() - interval '1 day'
       FROM s, generate_series(1, 2)`,
      [expiredApp],
    );
    const countLive = async () => {
      const { rows } = await db.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${db.name}".session_states WHERE app_name = $1 AND deleted_at IS NULL`,
        [expiredApp],
      );
      return rows[0]!.n;
    };

    // While someone else holds the sweep lock of these tables, no process sweeps.
    const { rows: dbRows } = await db.admin.query<{ d: string }>('SELECT current_database() AS d');
    const lockKey = advisoryLockKey(`${dbRows[0]!.d}.${db.name}.`);
    const holder = await db.admin.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [lockKey]);
      const blocked = await all<{ sweep: { ran: boolean; sessions: number } }>('sweep');
      expect(blocked.map((b) => b.sweep.ran)).toEqual(Array(WORKERS).fill(false));
      expect(await countLive()).toBe(120);
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]);
    } finally {
      holder.release();
    }

    // All at once: those that find the lock taken skip, and nothing is swept twice.
    const reports = await all<{ sweep: { ran: boolean; sessions: number; events: number } }>('sweep');
    expect(reports.some((r) => r.sweep.ran)).toBe(true);
    expect(reports.reduce((n, r) => n + r.sweep.sessions, 0)).toBe(120);
    expect(reports.reduce((n, r) => n + r.sweep.events, 0)).toBe(240);
    expect(await countLive()).toBe(0);
    const { rows } = await db.admin.query<{ n: number }>(
      `SELECT count(DISTINCT deleted_at)::int AS n FROM "${db.name}".session_events WHERE app_name = $1`,
      [expiredApp],
    );
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
  });

  it('exits by itself once the service is closed, with no connection left on the server', async () => {
    const closing = await Promise.all(
      workers.map(async (w, i) => {
        expect(await db.connections(names[i]!)).toBeGreaterThan(0);
        await w.ask('close');
        return { closedAt: Date.now(), exit: await w.exited };
      }),
    );
    for (const [i, { closedAt, exit }] of closing.entries()) {
      expect(exit.code, workers[i]!.stderr()).toBe(0);
      expect(exit.signal).toBeNull();
      // No timer, socket or queue kept it alive (a pool left open would hold it for its idle timeout).
      expect(exit.at - closedAt).toBeLessThan(3_000);
      await waitUntil(
        `${names[i]} has no connection`,
        async () => (await db.connections(names[i]!)) === 0,
        3_000,
      );
    }
  });
});

describeServer('a process that closes its busy service', () => {
  let db: TestSchema;
  let worker: Awaited<ReturnType<typeof buildWorker>>;
  beforeAll(async () => {
    [db, worker] = await Promise.all([createTestSchema(), buildWorker()]);
  }, 60_000);
  afterAll(async () => {
    worker?.remove();
    await db?.drop();
  });

  it('exits by itself with the sweeper timer, async persistence and summary workers all started', async () => {
    const applicationName = randomName('exit');
    const appName = randomName('exitapp');
    const w = await startWorker(worker.path, {
      dsn: serverUrl!,
      schema: db.name,
      applicationName,
      appName,
      worker: 0,
      sessionTtlMs: 60_000,
      cleanupIntervalMs: 100,
      asyncPersist: true,
    });
    try {
      await w.ask('create s1 s2');
      const appended = await w.ask<{ append: Record<string, string[]>; failed: string[] }>('append s1,s2 10');
      expect(appended.failed).toEqual([]);
      const closedAt = Date.now();
      expect(await w.ask('close')).toEqual({ closed: true });
      const exit = await w.exited;
      expect(exit.code, w.stderr()).toBe(0);
      expect(exit.at - closedAt).toBeLessThan(3_000);
      await waitUntil(
        'no connection is left',
        async () => (await db.connections(applicationName)) === 0,
        3_000,
      );
      // Everything accepted before close() is in the database.
      for (const sessionId of ['s1', 's2'])
        expect(await storedEventIds(db.admin, db.name, { appName, userId: 'u', sessionId })).toEqual(
          appended.append[sessionId],
        );
    } finally {
      if (w.child.exitCode === null) w.child.kill();
    }
  });
});
