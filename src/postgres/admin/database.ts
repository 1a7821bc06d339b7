/**
 * What every operator function works on: a client and the session tables' names. Operator
 * functions take it as their first argument, run their own statements through `client`, and
 * leave opening and closing the connection to the caller.
 */

import { ConfigError } from '../../session/errors.js';
import type { SqlClient } from '../../sql/client.js';
import { type TableNames, tableNames } from '../schema/index.js';
import { optionsArg } from './arguments.js';

/** A database of sessions, as the operator API sees it. */
export interface AdminDatabase {
  /** Runs the statements (a `pg` Pool through `pgClient`, or PGlite through `pgliteClient`). */
  readonly client: SqlClient;
  /** The session tables: schema- and prefix-qualified, quoted for SQL. */
  readonly tables: TableNames;
}

/** Where the session tables are: the same `schema` and `tablePrefix` a service is given. */
export interface AdminTableOptions {
  /** The tables' schema; empty or unset: the connection's current schema. */
  schema?: string | undefined;
  /** A prefix of every table name; empty or unset: none. */
  tablePrefix?: string | undefined;
}

/**
 * The operator API's view of a database. `client` stays the caller's: close it when done.
 *
 * @throws ConfigError when `schema` or `tablePrefix` is not a valid name.
 *
 * @example
 * ```ts
 * const db = adminDatabase(pgClient(new pg.Pool({ connectionString })), { schema: 'agents' });
 * const { rows } = await listApps(db);
 * ```
 */
export function adminDatabase(client: SqlClient, options: AdminTableOptions = {}): AdminDatabase {
  options = optionsArg('options', options);
  return { client, tables: tableNames(options.schema ?? '', options.tablePrefix ?? '') };
}

/** Which session tables are missing, and in which schema they were looked for. */
export interface MissingTables {
  /** The schema searched: the given one, else the connection's current schema. */
  schema: string;
  /** Unqualified names of the tables not there, in the order of `tables.all`; empty when all are. */
  missing: string[];
}

const NO_SCHEMA =
  'no schema of the search_path exists, so no schema is selected; pass --schema (the schema option) to name one';

/**
 * Looks for the session tables without touching them, so a caller can say "run migrate" instead
 * of failing on its first query with a raw SQL error.
 *
 * @throws ConfigError (field `schema`) when no schema is named and none of the search_path exists.
 */
export async function findMissingTables(db: AdminDatabase): Promise<MissingTables> {
  const names = db.tables.all.map((t) => t.name);
  const { rows } = await db.client.query<{ schema: string | null; relname: string | null }>(
    `SELECT s.name AS schema, c.relname FROM (SELECT coalesce(nullif($1::text, ''), current_schema()) AS name) s
     LEFT JOIN pg_namespace n ON n.nspname = s.name
     LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = ANY (string_to_array($2::text, ','))`,
    [db.tables.schema, names.join(',')],
  );
  const schema = rows[0]?.schema;
  // Naming a default schema here would send the caller to migrate, which cannot pick one either.
  if (!schema) throw new ConfigError('schema', NO_SCHEMA);
  const present = new Set(rows.map((r) => r.relname).filter((n): n is string => n !== null));
  return { schema, missing: names.filter((n) => !present.has(n)) };
}
