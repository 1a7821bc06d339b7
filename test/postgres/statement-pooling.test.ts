/**
 * A pooler in statement pooling mode (PgBouncer `pool_mode = statement`) hands every statement to
 * any server connection and refuses transactions, which the service needs (creating and deleting
 * a session, replacing events, creating the tables). Behind one, the service must say so at
 * start-up, as a ConfigError naming the rule, instead of reporting missing tables or retrying a
 * "connection error" for a minute; and it must write nothing. Checked against a real PgBouncer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { adminDatabase, restore } from '../../src/postgres/admin/index.js';
import { openConnection } from '../../src/postgres/connection/open.js';
import { PostgresSessionService } from '../../src/postgres/index.js';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { resolvePostgresOptions } from '../../src/postgres/options.js';
import { isConnectionError, isTransientError, SqlConfigError } from '../../src/sql/errors.js';
import { ensureBuilt, expectOneLineError, cli as runCli } from '../cli/support.js';
import { startError, withServerSchema } from '../support/database.js';
import { describePgBouncer, type PgBouncer, startPgBouncer } from '../support/pgbouncer.js';

const RULE =
  /^connection: the connection pooler runs in statement pooling mode \(PgBouncer pool_mode = statement\), which refuses transactions; the service needs transaction or session pooling$/;

describePgBouncer('behind PgBouncer in statement pooling mode', () => {
  let bouncer: PgBouncer | undefined;
  let db: Awaited<ReturnType<typeof withServerSchema>> | undefined;
  beforeAll(async () => {
    bouncer = await startPgBouncer('statement');
    db = await withServerSchema();
  });
  afterAll(async () => {
    await db?.drop();
    await bouncer?.stop();
  });

  const tablesIn = async (schema: string) =>
    (
      await db!.client.query<{ name: string }>(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [schema],
      )
    ).rows.map((r) => r.name);

  const refusal = (options: PostgresSessionServiceOptions) =>
    startError({ dsn: bouncer!.url, schema: db!.schema, ...options });

  it.each([
    ['the defaults', {}],
    ['skipDbInit', { skipDbInit: true }],
    ['asyncPersist', { asyncPersist: true }],
  ])(
    'refuses to start with %s: a ConfigError naming the rule, not missing tables, and nothing created',
    async (_name, options) => {
      const started = Date.now();
      const error = await refusal(options);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('connection');
      expect((error as Error).message).toMatch(RULE);
      // The pooler's own error is kept as the cause, for whoever needs the details.
      expect(String(((error as Error).cause as Error | undefined)?.cause)).toMatch(
        /transaction blocks not allowed in statement pooling mode/,
      );
      // Not retried as a lost connection would be.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await tablesIn(db!.schema)).toEqual([]);
    },
  );

  it('refuses to start when the tables exist too (no transaction is needed to create them)', async () => {
    const direct = await PostgresSessionService.create({ pool: db!.pool, schema: db!.schema });
    await direct.close();
    const before = await tablesIn(db!.schema);
    expect(before).toHaveLength(6);
    const error = await refusal({});
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(RULE);
    expect(await tablesIn(db!.schema)).toEqual(before);
  });

  it('runs single statements, and fails every transaction at BEGIN with a setting error that is not transient', async () => {
    const opened = openConnection(resolvePostgresOptions({ dsn: bouncer!.url, extraOptions: { max: 2 } }));
    try {
      const { rows } = await opened.client.query<{ n: number }>('SELECT $1::int + 1 AS n', [41]);
      expect(rows).toEqual([{ n: 42 }]);
      for (const attempt of [
        () => opened.client.transaction((tx) => tx.query('SELECT 1')),
        // withConnection holds one server connection behind a pooler by opening a transaction.
        () => opened.client.withConnection((conn) => conn.query('SELECT 1')),
      ]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SqlConfigError);
        expect((error as Error).message).toMatch(RULE);
        expect(isTransientError(error)).toBe(false);
        // The pooler closed that connection: it is recognised as broken and not reused.
        expect(isConnectionError(error)).toBe(true);
      }
      // The pool still serves single statements on fresh connections.
      expect((await opened.client.query<{ n: number }>('SELECT 7 AS n')).rows).toEqual([{ n: 7 }]);
    } finally {
      await opened.client.close();
    }
  });

  it('reports a pooler switched to statement mode under a running service as a ConfigError, at once, also from async writes', async () => {
    // A pooler of its own, so the switch reaches no other test.
    const moved = await startPgBouncer('transaction');
    // With a TTL, so that sweepNow has work to do (and takes its lock).
    const sync = await PostgresSessionService.create({
      dsn: moved.url,
      schema: db!.schema,
      sessionTtlMs: 3_600_000,
      cleanupIntervalMs: 0,
    });
    const failures: unknown[] = [];
    const async = await PostgresSessionService.create({
      dsn: moved.url,
      schema: db!.schema,
      asyncPersist: true,
      onError: (error) => failures.push(error),
    });
    try {
      const key = { appName: 'moved', userId: 'u' };
      const session = await sync.createSession({ ...key, sessionId: 'before' });
      await moved.reload({ pool_mode: 'statement' });

      const created = await sync.createSession({ ...key, sessionId: 'after' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(created).toBeInstanceOf(ConfigError);
      expect((created as Error).message).toMatch(RULE);
      const deleted = await sync.deleteSession({ ...key, sessionId: 'before' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(deleted).toBeInstanceOf(ConfigError);
      // The sweep holds its lock inside a transaction behind a pooler.
      await expect(sync.sweepNow()).rejects.toBeInstanceOf(ConfigError);

      // A batch of track events is one transaction: refused, reported as the setting it is, and
      // not retried for the minute a lost connection would be.
      const started = Date.now();
      await async.appendTrackEvent(session, { track: 't', payload: 1, timestamp: new Date() });
      const flushed = await async.flush().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(flushed).toBeInstanceOf(Error);
      expect(String((flushed as Error).message)).toMatch(/statement pooling mode/);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(ConfigError);

      // Nothing changed: the session is still there, no other was made, no track event stored.
      const { rows } = await db!.client.query<{ id: string }>(
        `SELECT session_id AS id FROM ${db!.schema}.session_states WHERE app_name = 'moved' AND deleted_at IS NULL`,
      );
      expect(rows).toEqual([{ id: 'before' }]);
      const tracks = await db!.client.query(
        `SELECT 1 FROM ${db!.schema}.session_track_events WHERE app_name = 'moved'`,
      );
      expect(tracks.rowCount).toBe(0);
    } finally {
      await async.close();
      await sync.close();
      await moved.stop();
    }
  });

  it('refuses a restore with the rule, from the operator API and from `agent-sessions restore`', async () => {
    ensureBuilt();
    const opened = openConnection(resolvePostgresOptions({ dsn: bouncer!.url, extraOptions: { max: 1 } }));
    try {
      const key = { appName: 'a', userId: 'u', sessionId: 's' };
      const error = await restore(adminDatabase(opened.client, { schema: db!.schema }), key).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('connection');
      expect((error as Error).message).toMatch(RULE);
    } finally {
      await opened.client.close();
    }
    const result = await runCli(['restore', 'a', 'u', 's', '--dsn', bouncer!.url, '--schema', db!.schema], {
      cwd: process.cwd(),
    });
    expect(expectOneLineError(result)).toMatch(
      /connection: the connection pooler runs in statement pooling mode/,
    );
  }, 240_000);

  it('makes `agent-sessions migrate` fail with one line naming the rule, creating nothing', async () => {
    ensureBuilt();
    const other = await withServerSchema();
    try {
      const result = await runCli(['migrate', '--dsn', bouncer!.url, '--schema', other.schema], {
        cwd: process.cwd(),
      });
      const line = expectOneLineError(result);
      expect(line).toMatch(/connection: the connection pooler runs in statement pooling mode/);
      expect(await tablesIn(other.schema)).toEqual([]);
    } finally {
      await other.drop();
    }
  }, 240_000);
});
