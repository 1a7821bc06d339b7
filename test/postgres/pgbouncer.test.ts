/**
 * What the service does differently behind a connection pooler, checked against a real PgBouncer
 * in transaction mode with one server connection shared by every client: no startup `options`,
 * timeouts per transaction instead of per session, and no named prepared statements unless asked.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminDatabase, exportSessions } from '../../src/postgres/admin/index.js';
import { openConnection } from '../../src/postgres/connection/open.js';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { type PostgresSessionServiceOptions, resolvePostgresOptions } from '../../src/postgres/options.js';
import { ConfigError } from '../../src/session/errors.js';
import { createEvent } from '../../src/session/event.js';
import { isTransientError, sqlState } from '../../src/sql/errors.js';
import { startError } from '../support/database.js';
import {
  describePgBouncer,
  openBouncerDatabase,
  type PgBouncer,
  startPgBouncer,
} from '../support/pgbouncer.js';

describePgBouncer('behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer | undefined;
  beforeAll(async () => {
    // One server connection: every client's statements meet on it, as under load in production.
    bouncer = await startPgBouncer('transaction', { settings: { default_pool_size: '1' } });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  const open = (extra: PostgresSessionServiceOptions = {}) =>
    openConnection(resolvePostgresOptions({ dsn: bouncer!.url, extraOptions: { max: 4 }, ...extra }));

  it('sets the statement and lock timeouts inside each transaction, and leaves the shared server session alone', async () => {
    const opened = open({ statementTimeoutMs: 1500, lockTimeoutMs: 700 });
    try {
      const inside = await opened.client.transaction(async (tx) => {
        const { rows } = await tx.query<{ s: string; l: string }>(
          "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l",
        );
        return rows[0];
      });
      expect(inside).toEqual({ s: '1500ms', l: '700ms' });
      // Outside a transaction the one server connection is shared with every other client: a
      // session-level SET would have leaked to them.
      const { rows } = await opened.client.query<{ s: string; l: string }>(
        "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l",
      );
      expect(rows[0]).toEqual({ s: '0', l: '0' });
    } finally {
      await opened.client.close();
    }
  });

  it('cancels a statement in a transaction after statementTimeoutMs (57014)', async () => {
    const opened = open({ statementTimeoutMs: 300 });
    try {
      const error = await opened.client
        .transaction((tx) => tx.query('SELECT pg_sleep(5)'))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(sqlState(error)).toBe('57014');
    } finally {
      await opened.client.close();
    }
  });

  it("says the pooler refuses a DSN's settings, which go as the startup options, naming them", async () => {
    const dsn = `${bouncer!.url}?search_path=myschema&statement_timeout=5000&TimeZone=UTC`;
    const error = await startError({ dsn, connectTimeoutMs: 5_000 });
    expect((error as { code?: string }).code).toBe('CONFIG');
    expect((error as { field?: string }).field).toBe('connection');
    const message = (error as Error).message;
    expect(message).toContain(
      'refuses the startup parameter options ("unsupported startup parameter: options"), which carries the connection string\'s settings (search_path, statement_timeout, TimeZone)',
    );
    expect(message).toContain('ignore_startup_parameters');
    expect(message).toContain('ALTER ROLE');
    // It is no failure to retry: every new connection is refused the same way.
    expect(isTransientError((error as Error).cause)).toBe(false);
  });

  /** Runs concurrent parameterized statements from several client connections; returns the SQLSTATEs of failures. */
  async function concurrentFailures(extra: PostgresSessionServiceOptions): Promise<string[]> {
    const opened = open(extra);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? opened.client.query('SELECT $1::int + 1 AS n', [i])
            : opened.client.transaction((tx) => tx.query('SELECT $1::text AS t', [String(i)])),
        ),
      );
      return results.flatMap((r) =>
        r.status === 'rejected' ? [sqlState(r.reason) ?? String(r.reason)] : [],
      );
    } finally {
      await opened.client.close();
    }
  }

  it('runs without named prepared statements by default, so clients sharing a server connection never collide', async () => {
    expect(await concurrentFailures({})).toEqual([]);
  });

  it('exports every session through the pooler, each page in a read-only snapshot of its own', async () => {
    const db = await openBouncerDatabase(bouncer!);
    const svc = await PostgresSessionService.create(db.connect);
    const opened = open({ statementTimeoutMs: 5000, schema: db.schema });
    try {
      for (const id of ['a', 'b', 'c']) {
        const session = await svc.createSession({ appName: 'exp', userId: 'u', sessionId: id });
        await svc.appendEvent(
          session,
          createEvent({ author: 'user', message: { role: 'user', content: id } }),
        );
      }
      const admin = adminDatabase(opened.client, { schema: db.schema });
      const records = [];
      for await (const r of exportSessions(admin, { includeDeleted: false }, { pageSize: 2 }))
        records.push(r);
      expect(records.map((r) => [r.sessionId, r.events.length])).toEqual([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]);
    } finally {
      await opened.client.close();
      await svc.close();
      await db.close();
    }
  });

  it('shows why: forcing prepared statements on this pooler fails (42P05 or 26000)', async () => {
    const failures = await concurrentFailures({ preparedStatements: true });
    expect(failures.length).toBeGreaterThan(0);
    for (const code of failures) expect(['42P05', '26000']).toContain(code);
  });

  it('says preparedStatements: true cannot work on this pooler, in a CONFIG error, when a transaction meets it', async () => {
    const db = await openBouncerDatabase(bouncer!);
    const svc = await PostgresSessionService.create({ ...db.connect, preparedStatements: true });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, async (_, i) => {
          const session = await svc.createSession({
            appName: 'prep',
            userId: `u${i % 6}`,
            sessionId: `s${i}`,
          });
          await svc.appendEvent(
            session,
            createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }),
          );
        }),
      );
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      // On one server connection shared by every client, some transaction meets another
      // client's statement (42P05) or misses its own (26000).
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(ConfigError);
        expect((failure as ConfigError).field).toBe('preparedStatements');
        expect(failure.message).toContain('does not keep prepared statements per client');
        expect(failure.message).toContain('set preparedStatements to false');
      }
    } finally {
      await svc.close();
      await db.close();
    }
  });
});
