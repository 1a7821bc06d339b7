/**
 * What the reliability suites share: a schema of their own on the test server, an administrator
 * connection that watches (and kills) the service's connections by application_name, and small
 * assertions on typed errors and elapsed time.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../../src/postgres/options.js';
import { PostgresSessionService } from '../../../src/postgres/service.js';
import { AgentSessionsError, type ErrorCode } from '../../../src/session/errors.js';
import { serverUrl } from '../../support/database.js';
import { sleep } from '../../support/wait.js';

export { describeServer, serverUrl } from '../../support/database.js';
export { sleep, waitUntil } from '../../support/wait.js';

/** A short random name: schemas, application names, app names. */
export function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A connection for the test itself: never one of the service's, so killing those spares it. */
export function adminPool(max = 2): pg.Pool {
  if (!serverUrl) throw new Error('AGENT_SESSIONS_TEST_DATABASE_URL is not set');
  const pool = new pg.Pool({ connectionString: serverUrl, max, application_name: 'reliability-admin' });
  // A restart or a terminate may hit an idle admin connection: the pool drops it and reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** A schema of the test's own, dropped by `drop()` (with everything in it). */
export interface TestSchema {
  readonly name: string;
  readonly admin: pg.Pool;
  /** Options for a service on this schema with its own pool, named `applicationName`. */
  options(applicationName: string, extra?: PostgresSessionServiceOptions): PostgresSessionServiceOptions;
  /** A service on this schema (tables created) with its own pool named `applicationName`. */
  service(applicationName: string, extra?: PostgresSessionServiceOptions): Promise<PostgresSessionService>;
  /** Connections the server holds for `applicationName` right now. */
  connections(applicationName: string): Promise<number>;
  /** Terminates every backend of `applicationName`; returns how many. */
  terminate(applicationName: string): Promise<number>;
  /**
   * Keeps terminating the backends of `applicationName`, pausing a random `pauseMs[0]` to
   * `pauseMs[1]` ms between rounds, until `stop()`, which resolves to how many it terminated.
   */
  keepTerminating(applicationName: string, pauseMs: readonly [number, number]): { stop(): Promise<number> };
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  if (!serverUrl) throw new Error('AGENT_SESSIONS_TEST_DATABASE_URL is not set');
  const name = randomName('rel');
  const admin = adminPool(4);
  await admin.query(`CREATE SCHEMA "${name}"`);
  const options = (applicationName: string, extra: PostgresSessionServiceOptions = {}) => ({
    dsn: serverUrl,
    schema: name,
    onError: () => undefined,
    ...extra,
    extraOptions: { application_name: applicationName, ...(extra.extraOptions ?? {}) },
  });
  const terminate = async (applicationName: string) => {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [applicationName],
    );
    return rows[0]!.n;
  };
  return {
    name,
    admin,
    options,
    service: (applicationName, extra) => PostgresSessionService.create(options(applicationName, extra)),
    async connections(applicationName) {
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return rows[0]!.n;
    },
    terminate,
    keepTerminating(applicationName, [least, most]) {
      let done = false;
      const killer = (async () => {
        let kills = 0;
        while (!done) {
          kills += await terminate(applicationName);
          await sleep(least + Math.floor(Math.random() * (most - least)));
        }
        return kills;
      })();
      return {
        stop() {
          done = true;
          return killer;
        },
      };
    },
    async drop() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<AgentSessionsError> {
  try {
    await promise;
  } catch (error) {
    return error as AgentSessionsError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Asserts a typed error of this package with `code`. */
export function expectCode(error: unknown, code: ErrorCode): asserts error is AgentSessionsError {
  expect(error, String(error)).toBeInstanceOf(AgentSessionsError);
  expect((error as AgentSessionsError).code, (error as Error).message).toBe(code);
}

/** How long `fn` took, with its outcome. */
export async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; value?: T; error?: unknown; ok: boolean }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value, ok: true };
  } catch (error) {
    return { ms: performance.now() - start, error, ok: false };
  }
}

/** Text of every event of a session as stored (live rows, insertion order), read by SQL. */
export async function storedEventIds(
  admin: pg.Pool,
  schema: string,
  key: { appName: string; userId: string; sessionId: string },
): Promise<string[]> {
  const { rows } = await admin.query<{ id: string }>(
    `SELECT event->>'id' AS id FROM "${schema}".session_events
     WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL
     ORDER BY created_at, session_events.id`,
    [key.appName, key.userId, key.sessionId],
  );
  return rows.map((r) => r.id);
}
