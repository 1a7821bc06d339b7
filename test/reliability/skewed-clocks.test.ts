/**
 * Writer processes whose clocks disagree (one minute behind, one minute ahead, fifty writes to a
 * millisecond, jumping back and forth), synchronous and asyncPersist, writing to the same
 * sessions at once: single appends, batches, replaceEvents appending, state updates and track
 * events. Afterwards, row by row: every session's envelope `updatedAt` is its `updated_at` column
 * to the microsecond (a batch landing while its writer's clock is behind moves both by its
 * spread), no event is stored before an earlier one or after its session's time, no event twice,
 * and listSessions returns the sessions newest first by the times it shows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionKey } from '../../src/session/keys.js';
import { compareTime } from '../../src/session/time.js';
import { buildWorker, runScript } from './support/processes.js';
import {
  createTestSchema,
  describeServer,
  randomName,
  serverUrl,
  type TestSchema,
} from './support/server.js';
import type { SkewedWriterConfig } from './support/skewed-writer.js';

const BASE = Date.UTC(2026, 5, 1, 12);
const WRITERS: Pick<SkewedWriterConfig, 'asyncPersist' | 'clock'>[] = [
  { asyncPersist: false, clock: 'ahead' },
  { asyncPersist: false, clock: 'behind' },
  { asyncPersist: false, clock: 'back' },
  { asyncPersist: true, clock: 'behind' },
  { asyncPersist: true, clock: 'same' },
  { asyncPersist: true, clock: 'back' },
];

describeServer('writers with skewed clocks on the same sessions', () => {
  let db: TestSchema;
  let writer: Awaited<ReturnType<typeof buildWorker>>;
  const appName = randomName('skew');
  const sessions: SessionKey[] = Array.from({ length: 4 }, (_, i) => ({
    appName,
    userId: 'u',
    sessionId: `s${i}`,
  }));

  beforeAll(async () => {
    [db, writer] = await Promise.all([createTestSchema(), buildWorker('skewed-writer.ts')]);
    const service = await db.service(`${appName}_init`);
    for (const key of sessions) await service.createSession(key);
    await service.close();
  });
  afterAll(async () => {
    writer?.remove();
    await db?.drop();
  });

  const run = async (config: SkewedWriterConfig) => {
    const { code, stdout, stderr } = await runScript(writer.path, config);
    if (code !== 0) throw new Error(`writer ${config.id} exited ${code}: ${stderr}`);
    return JSON.parse(stdout.trim().split('\n').pop()!) as {
      id: number;
      counts: Record<string, number>;
      errors: string[];
    };
  };

  it('keep the envelope and the column one time, events in order, and the list newest first', async () => {
    const results = await Promise.all(
      WRITERS.map((w, id) =>
        run({ ...w, dsn: serverUrl!, schema: db.name, id, ops: 250, sessions, base: BASE }),
      ),
    );
    for (const r of results) {
      expect(r.errors, `writer ${r.id}`).toEqual([]);
      // Every kind of write ran in every process.
      expect(Object.keys(r.counts).sort(), `writer ${r.id}`).toEqual(['0', '1', '2', '3', '4']);
    }
    const states = `"${db.name}".session_states`;
    const events = `"${db.name}".session_events`;
    const apart = await db.admin.query(
      `SELECT session_id, state->>'updatedAt' AS envelope, updated_at::text AS col FROM ${states}
       WHERE app_name = $1 AND ((state->>'updatedAt')::timestamptz AT TIME ZONE 'UTC') IS DISTINCT FROM updated_at`,
      [appName],
    );
    expect(apart.rows).toEqual([]);
    const moved = await db.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${states} WHERE app_name = $1 AND extract(microseconds FROM updated_at)::int % 1000 <> 0`,
      [appName],
    );
    // The batches' spreads reached the sessions (the clocks only show milliseconds).
    expect(moved.rows[0]!.n).toBeGreaterThan(0);
    const disorder = await db.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT created_at < lag(created_at) OVER (PARTITION BY session_id ORDER BY id) AS back
         FROM ${events} WHERE app_name = $1) e WHERE back`,
      [appName],
    );
    expect(disorder.rows[0]!.n).toBe(0);
    const late = await db.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${events} e JOIN ${states} s USING (app_name, user_id, session_id)
       WHERE e.app_name = $1 AND e.created_at > s.updated_at`,
      [appName],
    );
    expect(late.rows[0]!.n).toBe(0);
    const twice = await db.admin.query(
      `SELECT session_id, event->>'id' AS id FROM ${events} WHERE app_name = $1
       GROUP BY 1, 2 HAVING count(*) > 1`,
      [appName],
    );
    expect(twice.rows).toEqual([]);

    const reader = await db.service(`${appName}_read`);
    try {
      const list = await reader.listSessions({ appName, userId: 'u' });
      expect(list).toHaveLength(sessions.length);
      for (let i = 1; i < list.length; i++)
        expect(compareTime(list[i - 1]!.updatedAt, list[i]!.updatedAt)).toBeGreaterThanOrEqual(0);
    } finally {
      await reader.close();
    }
  }, 120_000);
});
