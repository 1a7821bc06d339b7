/**
 * What a node-postgres connection is connected to, found out once per connection: the server
 * itself, or a connection pooler (PgBouncer, pgcat, Odyssey, ...) that may move the client between
 * server connections. It decides where the statement and lock timeouts go and whether statements
 * may be prepared under a name.
 *
 * Why not startup parameters: PgBouncer refuses the `options` startup parameter ("unsupported
 * startup parameter: options") unless told to ignore it, and a setting made once per connection
 * does not follow a client that a transaction-mode pooler hands a different server connection
 * for its next transaction. Session-level settings are therefore made only on a direct
 * connection; behind a pooler they are made with `SET LOCAL` inside each transaction, which holds
 * one server connection for its whole length in every pooling mode.
 */
import type pg from 'pg';
import { ISO_DATE_STYLE } from './timestamps.js';

/** Server timeouts a client applies on its connections, in milliseconds (0 or absent: not set). */
export interface ServerTimeouts {
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

/** What a client sets on each direct connection besides the timeouts. */
export interface SessionDefaults {
  /** Make READ COMMITTED the isolation of statements outside a transaction. */
  readCommitted?: boolean;
}

/** What one connection talks to. */
export interface ConnectionFacts {
  /**
   * True when the backend's process id differs from the one the connection was given at start-up
   * (BackendKeyData): something between us and the server answered the start-up itself. A direct
   * connection always sees its own backend's pid.
   */
  readonly pooled: boolean;
}

// One round trip per new connection: learn the backend pid and, on a direct connection only, make
// the timeouts session settings (set_config(..., false) is `SET`).
//
// And on every connection, DateStyle ISO when the database's is another (an operator's
// `ALTER DATABASE ... SET DateStyle`; see ISO_DATE_STYLE). Unlike the timeouts it is made behind a
// pooler too: DateStyle is one of the parameters the server reports when it changes, which
// PgBouncer keeps per client and sets again on whichever server connection it hands that client
// next.
//
// And, for a pool the service made, READ COMMITTED as the isolation of single statements on a
// direct connection, when the database's default is another ($4): under SERIALIZABLE, appends
// racing on one session's row fail with a serialization error instead of taking turns. Behind a
// pooler it is left alone, as the timeouts are: it is not a reported parameter, so a session
// setting would stay with a server connection and reach other clients.
const PROBE = `SELECT pg_backend_pid() = $1::int AS direct,
  CASE WHEN pg_backend_pid() = $1::int AND $2::text <> '' THEN set_config('statement_timeout', $2, false) END AS s,
  CASE WHEN pg_backend_pid() = $1::int AND $3::text <> '' THEN set_config('lock_timeout', $3, false) END AS l,
  ${ISO_DATE_STYLE} AS d,
  CASE WHEN pg_backend_pid() = $1::int AND $4::bool
    AND current_setting('default_transaction_isolation') <> 'read committed'
    THEN set_config('default_transaction_isolation', 'read committed', false) END AS i`;

const setting = (ms: number | undefined) => (ms !== undefined && ms > 0 ? `${ms}ms` : '');

/**
 * Learns (once per connection, cached for this client) whether `conn` reaches the server directly,
 * and on a direct connection sets the timeouts (and `defaults`) for the session.
 */
export function connectionFacts(
  cache: WeakMap<object, Promise<ConnectionFacts>>,
  conn: pg.PoolClient,
  timeouts: ServerTimeouts,
  query: (conn: pg.PoolClient, text: string, values: unknown[]) => Promise<pg.QueryResult>,
  defaults: SessionDefaults = {},
): Promise<ConnectionFacts> {
  const known = cache.get(conn);
  if (known) return known;
  const processId = (conn as unknown as { processID?: number }).processID ?? 0;
  const facts = query(conn, PROBE, [
    processId,
    setting(timeouts.statementTimeoutMs),
    setting(timeouts.lockTimeoutMs),
    defaults.readCommitted === true,
  ]).then(({ rows }) =>
    Object.freeze({ pooled: (rows[0] as { direct?: boolean } | undefined)?.direct !== true }),
  );
  cache.set(conn, facts);
  // A failed probe is not remembered: the connection is released with the error and discarded.
  facts.catch(() => cache.delete(conn));
  return facts;
}

/**
 * The statement that opens a transaction: behind a pooler it also sets the timeouts for the
 * transaction (`SET LOCAL`), in the same round trip.
 */
export function beginStatement(facts: ConnectionFacts, timeouts: ServerTimeouts): string {
  let text = 'BEGIN ISOLATION LEVEL READ COMMITTED';
  if (!facts.pooled) return text;
  const statement = setting(timeouts.statementTimeoutMs);
  const lock = setting(timeouts.lockTimeoutMs);
  if (statement) text += `; SET LOCAL statement_timeout = '${statement}'`;
  if (lock) text += `; SET LOCAL lock_timeout = '${lock}'`;
  return text;
}
