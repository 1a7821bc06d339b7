/**
 * The one seam between the service and a database. The service speaks plain parameterized SQL
 * through it and never learns which driver runs the statement (node-postgres or PGlite).
 *
 * Contract every adapter keeps, so that results do not depend on the driver:
 * - parameters are `$1..$n`; values are strings, numbers, booleans, null, Uint8Array (bytea), or
 *   a JsonArrayParam (a jsonb array given as its elements' JSON texts, see json-array.ts);
 *   timestamps are passed as UTC text (see toSqlTimestamp), never as Date;
 * - `TIMESTAMP` (without time zone) columns come back as Date read as UTC;
 * - `JSONB`/`JSON` columns come back as their text (not parsed), so the service decodes them with
 *   the Go-compatible codec and keeps nanosecond timestamps;
 * - `BIGINT` columns come back as strings; `count(*)` casts to int when a number is wanted;
 * - errors are the driver's own, with PostgreSQL's SQLSTATE in `code` when the server sent one.
 */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
}

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows changed by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number;
}

export interface SqlClient extends SqlExecutor {
  /** Runs `fn` in one transaction (READ COMMITTED); commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one connection held for its whole duration, outside any transaction (each
   * statement commits on its own), e.g. to hold a session-level advisory lock across several
   * commits. The connection returns to the pool afterwards, or is discarded if it broke.
   * On PGlite (one connection) calls of withConnection take turns; other queries interleave.
   */
  withConnection<T>(fn: (conn: SqlExecutor) => Promise<T>): Promise<T>;
  /** Releases connections; only for clients the service created itself. */
  close(): Promise<void>;
  /** Which engine runs the statements, for messages and the few places that differ. */
  readonly kind: 'pg' | 'pglite';
}
