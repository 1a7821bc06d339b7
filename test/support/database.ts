/**
 * Shared database fixtures for the test suites.
 *
 * Server suites run only when AGENT_SESSIONS_TEST_DATABASE_URL names a PostgreSQL server; each
 * gets its own random schema so suites can run in parallel against one database. PGlite suites
 * always run, in memory.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { describe } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import type { SqlClient } from '../../src/sql/client.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { emptyPglite } from './pglite-template.js';

/** The server the server suites use, or undefined when they are skipped. */
export const serverUrl: string | undefined = process.env.AGENT_SESSIONS_TEST_DATABASE_URL || undefined;

if (!serverUrl) {
  console.info('server PostgreSQL suites skipped: set AGENT_SESSIONS_TEST_DATABASE_URL');
}

/** `describe` when a server is configured, `describe.skip` otherwise. */
export const describeServer: typeof describe.skip = serverUrl ? describe : describe.skip;

/**
 * The error `PostgresSessionService.create(options)` rejects with, for tests of a start that must
 * be refused; undefined (the service closed again) when it started after all.
 */
export function startError(options: PostgresSessionServiceOptions): Promise<unknown> {
  return PostgresSessionService.create(options).then(
    async (service) => {
      await service.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

/**
 * Creates a fresh schema `t_<hex>` on the test server. The pool's search_path points at it, so
 * unqualified names (and current_schema()) resolve there. `drop()` drops the schema and ends the pool.
 */
export async function withServerSchema(): Promise<{
  schema: string;
  pool: pg.Pool;
  client: SqlClient;
  drop(): Promise<void>;
}> {
  if (!serverUrl) throw new Error('withServerSchema: AGENT_SESSIONS_TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = createPgPool({ connectionString: serverUrl, max: 1 });
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  const pool = createPgPool({ connectionString: serverUrl, max: 4, options: `-c search_path=${schema}` });
  const client = pgClient(pool, { owned: false });
  let dropped = false;
  return {
    schema,
    pool,
    client,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/** A new in-memory PGlite database behind the SqlClient contract (from the empty template). */
export async function newPglite(): Promise<{ client: SqlClient; close(): Promise<void> }> {
  const db = await emptyPglite();
  const client = await pgliteClient(db);
  return {
    client,
    close: async () => {
      await client.close();
      await db.close();
    },
  };
}

/** A fresh database for one test file's cases: PGlite, or a schema of its own on the server. */
export interface TestDatabase {
  /** Options that point a service at it: PGlite's client, or the server's pool (or DSN) and schema. */
  connect: { client?: SqlClient; pool?: pg.Pool; dsn?: string; schema?: string };
  /** A client on it, to read rows back, or to wrap before handing it to a service. */
  sql: SqlClient;
  /** The schema of the server's tables; undefined on PGlite (its current schema). */
  schema: string | undefined;
  close(): Promise<void>;
}

/** A fresh in-memory PGlite as a TestDatabase. */
export async function openPgliteDatabase(): Promise<TestDatabase> {
  const db = await newPglite();
  return { connect: { client: db.client }, sql: db.client, schema: undefined, close: db.close };
}

/** A fresh schema on the test server as a TestDatabase; close() drops it. */
export async function openServerDatabase(): Promise<TestDatabase> {
  const s = await withServerSchema();
  return { connect: { pool: s.pool, schema: s.schema }, sql: s.client, schema: s.schema, close: s.drop };
}

/**
 * The databases the PostgreSQL tests run on, for `describe.each`: PGlite always, server
 * PostgreSQL when AGENT_SESSIONS_TEST_DATABASE_URL is set.
 */
export const testDatabases: readonly (readonly [name: string, open: () => Promise<TestDatabase>])[] = [
  ['PGlite', openPgliteDatabase],
  ...(serverUrl ? [['server PostgreSQL', openServerDatabase] as const] : []),
];

/**
 * A fresh database `<prefix>_<hex>` on the test server with `settings` as its defaults
 * (`ALTER DATABASE ... SET`) and, if given, another `encoding`, as an operator may have made it.
 * `url` reaches it; `drop()` drops it, its connections included.
 */
export async function withServerDatabase(
  prefix: string,
  settings: Record<string, string>,
  { encoding }: { encoding?: 'UTF8' | 'LATIN1' | 'SQL_ASCII' } = {},
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  if (!serverUrl) throw new Error('withServerDatabase: AGENT_SESSIONS_TEST_DATABASE_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const asAdmin = async (statements: string[]) => {
    const admin = createPgPool({ connectionString: serverUrl, max: 1 });
    try {
      for (const statement of statements) await admin.query(statement);
    } finally {
      await admin.end();
    }
  };
  await asAdmin([
    encoding
      ? `CREATE DATABASE "${name}" ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`
      : `CREATE DATABASE "${name}"`,
    // Values go as literals: ALTER DATABASE takes no parameters. The tests' own constants only.
    ...Object.entries(settings).map(
      ([k, v]) => `ALTER DATABASE "${name}" SET ${k} = '${v.replaceAll("'", "''")}'`,
    ),
  ]);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => asAdmin([`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]),
  };
}
