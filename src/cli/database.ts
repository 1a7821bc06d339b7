/**
 * Opens the database a command works on and checks that the session tables are there.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findMissingTables } from '../postgres/admin/index.js';
import { asConfigError, parseConnectionString } from '../postgres/connection/connection-string.js';
import { tlsFromEnv } from '../postgres/connection/environment.js';
import { checkConnection, openConnection } from '../postgres/connection/open.js';
import { secretsOf as secretsOfOptions } from '../postgres/connection/secrets.js';
import { resolvePostgresOptions } from '../postgres/options.js';
import { type TableNames, tableNames } from '../postgres/schema/index.js';
import type { SqlClient } from '../sql/client.js';
import { pgliteClient } from '../sql/pglite-client.js';
import { type ConnectionFlags, dsnOf, tableFlags, targetOf } from './connection-options.js';
import { CliError } from './errors.js';

/** An open database with the resolved table names. */
export interface Database {
  readonly client: SqlClient;
  readonly tables: TableNames;
  /** Where we are connected, password hidden: for messages. */
  readonly describe: string;
  /** The flags it was opened with, to suggest follow-up commands. */
  readonly flags: ConnectionFlags;
  close(): Promise<void>;
}

/** Strings that must never be printed: the DSN's password (from --dsn or the environment) and PGPASSWORD. */
export function secretsOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string[] {
  let dsn: string | undefined;
  try {
    dsn = dsnOf(flags, env);
  } catch {
    // A malformed PG* variable is reported when the database is opened; its secrets are still
    // to be hidden until then.
    dsn = flags.dsn ?? env.DATABASE_URL;
  }
  return secretsOfOptions({ dsn }, env);
}

/**
 * Rejects a malformed DSN without echoing it: when it cannot be parsed, neither can its
 * password be found and hidden.
 */
function checkDsn(dsn: string): void {
  try {
    parseConnectionString(dsn);
  } catch (error) {
    const rule = (error as Error).message.replace(/^dsn: /, '').replace(/\s*\(got .*\)$/s, '');
    throw new CliError(
      // The hint names the parts of a URL in words: a `user:password@` example would itself be
      // masked as a password when the message is printed.
      `the DSN (--dsn or DATABASE_URL) ${rule}; expected a postgres:// URL (user, password, host, port and database) or host=... dbname=... key=value pairs`,
    );
  }
}

/** PGlite writes PG_VERSION when it initializes a data directory. */
function hasEmbeddedDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

function missingTablesError(flags: ConnectionFlags, problem: string): CliError {
  return new CliError(
    `${problem}; run \`agent-sessions migrate${tableFlags(flags)}\` to create the session tables`,
  );
}

/**
 * Opens the selected database. `create: false` (read commands) refuses to initialize a new
 * embedded database: creating one only to report that it is empty would take seconds and leave a
 * directory behind.
 *
 * @throws ConfigError for a malformed DSN, schema or prefix; StorageError when the server cannot
 *   be reached; CliError when there is no embedded database and `create` is false.
 */
export async function openDatabase(
  flags: ConnectionFlags,
  { create }: { create: boolean },
): Promise<Database> {
  const tables = tableNames(flags.schema ?? '', flags.tablePrefix ?? '');
  const target = targetOf(flags);
  if (target.kind === 'pglite') {
    const describe = `the embedded database in ${target.dataDir}`;
    if (existsSync(target.dataDir) && !statSync(target.dataDir).isDirectory()) {
      throw new CliError(`--data-dir ${target.dataDir} is not a directory`);
    }
    if (!hasEmbeddedDatabase(target.dataDir)) {
      if (!create) throw missingTablesError(flags, `there is no embedded database in ${target.dataDir} yet`);
      mkdirSync(target.dataDir, { recursive: true });
    }
    const client = await pgliteClient(target.dataDir).catch((error: unknown) => {
      throw asConfigError(error);
    });
    return { client, tables, describe, flags, close: () => client.close() };
  }
  checkDsn(target.dsn);
  const options = resolvePostgresOptions({
    dsn: target.dsn,
    // libpq's rule: what the DSN does not say (sslmode, sslrootcert, ...) comes from PGSSLMODE
    // and the other TLS variables; the DSN's own values win (see fromConnectionString).
    ...tlsFromEnv(process.env),
    schema: flags.schema,
    tablePrefix: flags.tablePrefix,
    // The command runs a handful of statements one after another; a failed idle connection is
    // reported by the next statement that needs one.
    extraOptions: { max: 2 },
    onError: () => undefined,
  });
  const connection = openConnection(options);
  try {
    // Commands that make tables or import sessions need a database that can hold any session;
    // the others also serve one that cannot (to export what a LATIN1 database holds, say).
    await checkConnection(connection, { newSessions: create });
  } catch (error) {
    await connection.client.close().catch(() => undefined);
    throw error;
  }
  return {
    client: connection.client,
    tables,
    describe: connection.describe,
    flags,
    close: () => connection.client.close(),
  };
}

/**
 * Fails with one line naming the first missing table when the session tables are not all there
 * (read commands say so instead of failing on the first query with a raw SQL error).
 */
export async function requireTables(db: Database): Promise<void> {
  const { schema, missing } = await findMissingTables(db);
  if (missing.length === 0) return;
  const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
  throw missingTablesError(db.flags, `table ${schema}.${missing[0]} does not exist${more} in ${db.describe}`);
}

/** Opens the database, runs `fn`, and closes it whatever happens. */
export async function withDatabase<T>(
  flags: ConnectionFlags,
  options: { create: boolean; requireTables: boolean },
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(flags, options);
  try {
    if (options.requireTables) await requireTables(db);
    return await fn(db);
  } finally {
    await db.close().catch(() => undefined);
  }
}
