/**
 * What the service needs of the database it reaches, checked once when it connects, so that a
 * database that cannot hold sessions fails at start-up with a ConfigError saying why, instead of
 * failing later on the first session, emoji or transaction that meets the problem:
 *
 * - transactions: creating and deleting a session, replacing events and the sweep each run one,
 *   which a pooler in statement pooling mode refuses (the check runs in one);
 * - a UTF8 database: session text is any Unicode (emoji, CJK, U+2028, which trpc-agent-go's JSON
 *   writes as `\u2028`). A LATIN1 database cannot store most of it; a SQL_ASCII one stores raw
 *   bytes but refuses every `\u` escape beyond ASCII in JSONB and measures the 255-character key
 *   columns in bytes. Either fails some user's message long after the service started.
 */
import { ConfigError } from '../../session/errors.js';
import type { SqlClient } from '../../sql/client.js';
import { SqlConfigError } from '../../sql/errors.js';
import { asConfigError } from './connection-string.js';

/** What the check learned of the database. */
export interface DatabaseFacts {
  /** current_database(): it keys the sweeper's lock. */
  readonly database: string;
  /**
   * current_schema(), the schema unqualified tables are in ('' when no schema of the search_path
   * exists): it keys the sweeper's lock of a service given no schema, so that it and one given
   * that schema by name, on the same tables, share one lock.
   */
  readonly schema: string;
}

const FACTS =
  "SELECT current_database() AS database, current_schema() AS schema, current_setting('server_encoding') AS encoding";

/**
 * Checks the database `client` reaches (see the module comment). With `newSessions: false` (a
 * command that works on what is stored, such as exporting a LATIN1 database before moving it to
 * UTF8), it only connects: that needs neither transactions nor a UTF8 database.
 *
 * @throws ConfigError (field `connection`) behind a pooler that refuses transactions, (field
 *   `database`) when the database's encoding is not UTF8; the driver's error, unchanged, when the
 *   database cannot be reached, for the caller to report with its target.
 */
export async function checkDatabase(
  client: SqlClient,
  { newSessions = true }: { newSessions?: boolean } = {},
): Promise<DatabaseFacts> {
  type Row = { database: string; schema: string | null; encoding: string };
  let row: Row | undefined;
  try {
    const { rows } = newSessions
      ? await client.transaction((tx) => tx.query<Row>(FACTS))
      : await client.query<Row>(FACTS);
    row = rows[0];
  } catch (error) {
    if (error instanceof SqlConfigError) throw asConfigError(error);
    throw error;
  }
  const encoding = row?.encoding ?? '';
  if (newSessions && encoding !== 'UTF8') {
    throw new ConfigError(
      'database',
      `its encoding is ${encoding || 'unknown'}, and the session tables need UTF8 to hold any text a session may carry (emoji, CJK, JSON's \\u escapes); create the database with ENCODING 'UTF8'`,
    );
  }
  return { database: row?.database ?? '', schema: row?.schema ?? '' };
}
