/**
 * The conformance suite on a server database whose operator changed, with `ALTER DATABASE ... SET`,
 * every setting that changes how the server parses or prints a value: array literals
 * (`array_nulls = off` reads an unquoted NULL element as the string "NULL"), string literals
 * (`standard_conforming_strings = off`), dates, intervals, floats and bytea. The service must
 * behave as on a default database, synchronously and with asyncPersist; the rows its batches write
 * are checked one by one, since a NULL that became a word would not show in the API.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { createEvent } from '../../src/session/event.js';
import { createPgPool, pgClient } from '../../src/sql/index.js';
import { describeServer, type TestDatabase, withServerDatabase } from '../support/database.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

const SETTINGS = {
  array_nulls: 'off',
  standard_conforming_strings: 'off',
  backslash_quote: 'off',
  DateStyle: 'German, DMY',
  TimeZone: 'America/St_Johns',
  IntervalStyle: 'sql_standard',
  extra_float_digits: '-15',
  bytea_output: 'escape',
};

/** A database of its own with SETTINGS, as a TestDatabase the services reach by DSN. */
async function openSettingsDatabase(): Promise<TestDatabase> {
  const database = await withServerDatabase('ops', SETTINGS);
  const pool = createPgPool({ connectionString: database.url, max: 4 });
  return {
    connect: { dsn: database.url },
    sql: pgClient(pool, { owned: true }),
    schema: 'public',
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

for (const asyncPersist of [false, true]) {
  describeServer(`on a database with an operator's settings${asyncPersist ? ', asyncPersist' : ''}`, () => {
    runConformanceSuite(
      postgresBackend(`server PostgreSQL with ${Object.keys(SETTINGS).join(', ')}`, openSettingsDatabase, {
        asyncPersist,
      }),
    );
  });
}

describeServer('async batches on a database with array_nulls = off', () => {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await openSettingsDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('store "no expiry" as NULL and a TTL as its time, in sessions and track events alike', async () => {
    const now = new Date('2026-03-01T10:00:00.000Z');
    const clock = { now: () => new Date(now) };
    const rows = async (sql: string) => (await db!.sql.query<Record<string, unknown>>(sql)).rows;
    for (const ttl of [0, 60_000]) {
      const svc = await PostgresSessionService.create({
        ...db!.connect,
        asyncPersist: true,
        clock,
        sessionTtlMs: ttl,
        trackEventTtlMs: ttl,
      });
      try {
        // Two sessions, so each batch holds a NULL-or-not element per session.
        const app = `ttl-${ttl}`;
        for (const id of ['a', 'b']) {
          const session = await svc.createSession({ appName: app, userId: 'u', sessionId: id });
          await svc.appendEvent(
            session,
            createEvent({ author: 'user', message: { role: 'user', content: id } }),
          );
          await svc.appendTrackEvent(session, { track: 't', payload: { id }, timestamp: now });
        }
        await svc.flush();
        const expected = ttl === 0 ? null : new Date(now.getTime() + ttl);
        const sessions = await rows(
          `SELECT session_id, expires_at FROM session_states WHERE app_name = '${app}' ORDER BY session_id`,
        );
        expect(sessions).toEqual([
          { session_id: 'a', expires_at: expected },
          { session_id: 'b', expires_at: expected },
        ]);
        const tracks = await rows(
          `SELECT session_id, track, expires_at FROM session_track_events WHERE app_name = '${app}' ORDER BY session_id`,
        );
        expect(tracks).toEqual([
          { session_id: 'a', track: 't', expires_at: expected },
          { session_id: 'b', track: 't', expires_at: expected },
        ]);
        const events = await rows(`SELECT count(*)::int AS n FROM session_events WHERE app_name = '${app}'`);
        expect(events).toEqual([{ n: 2 }]);
      } finally {
        await svc.close();
      }
    }
  });
});
