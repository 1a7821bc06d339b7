/**
 * The node-postgres adapter of {@link SqlClient}.
 */
import pg from 'pg';
import type { SqlClient, SqlExecutor, SqlResult } from './client.js';
import {
  isConnectionError,
  PoolExhaustedError,
  startupParameterError,
  statementPoolingError,
  unkeptPreparedStatementError,
} from './errors.js';
import { JsonArrayParam, jsonbBinary } from './json-array.js';
import { resultParsers } from './parsers.js';
import { beginStatement, type ConnectionFacts, connectionFacts, type ServerTimeouts } from './pg-session.js';
import { statementName } from './statement-names.js';

/**
 * Per-query type parsers. Passing them with each query (instead of `pg.types.setTypeParser`)
 * keeps the contract without changing how the rest of the process, or a pool the caller shares
 * with us, parses results.
 */
const queryTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format !== 'binary') {
      const own = resultParsers[oid];
      if (own) return own;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

interface Queryable {
  query(config: pg.QueryConfig, callback: (error: Error | null, result: pg.QueryResult) => void): void;
}

/** The message of a statement whose answer did not come within the read bound (node-postgres's own). */
const READ_TIMEOUT = 'Query read timeout';

/**
 * Sends one statement and waits for its answer, at most `readTimeoutMs` (0: no bound). On that
 * timeout the promise rejects with node-postgres's own "Query read timeout", and the caller
 * discards the connection, whose statement may still be running.
 *
 * The callback form with a promise and a timer of our own, rather than node-postgres's promise
 * form and its `query_timeout`: with either of those, dead query results were kept alive by
 * old-space objects through the next minor collection, so every result was promoted to the old
 * generation (V8 then also pretenured the allocation sites involved). A loop of 10,000 reads of
 * 20 events through our service spent about 0.5 s in scavenges and promoted 259 MB; sent this
 * way, it promotes under 1 MB (`bench/profile/read-gc.ts`).
 */
function send(target: Queryable, config: pg.QueryConfig, readTimeoutMs: number): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const timer =
      readTimeoutMs > 0 ? setTimeout(() => reject(new Error(READ_TIMEOUT)), readTimeoutMs) : undefined;
    target.query(config, (error, result) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(result);
    });
  });
}

/** How {@link run} sends: named or not, on the pool or inside a transaction, and the read bound. */
interface RunSettings {
  prepare: boolean;
  pooled: boolean;
  /** The connection reaches a pooler, not the server itself (see pg-session.ts). */
  behindPooler: boolean;
  readTimeoutMs: number;
}

/** SQLSTATE invalid_sql_statement_name: the server does not know the prepared statement. */
const UNKNOWN_STATEMENT = '26000';
/**
 * SQLSTATE duplicate_prepared_statement: the server connection already holds the name, prepared
 * by another client whose server connection a pooler in transaction mode handed to us (PgBouncer
 * before 1.21, which does not track prepared statements). Names come from the text, so it is
 * this very statement, but node-postgres does not know it is there.
 */
const DUPLICATE_STATEMENT = '42P05';

/**
 * Runs one statement. With `prepare`, a statement with parameters runs as a named prepared
 * statement (see statement-names.ts); a statement without parameters may hold several statements
 * (schema DDL), which the server only accepts unnamed.
 */
async function run<Row>(
  target: Queryable,
  text: string,
  params: readonly unknown[] | undefined,
  { prepare, pooled, behindPooler, readTimeoutMs }: RunSettings,
): Promise<SqlResult<Row>> {
  const values = params ? params.map(driverValue) : [];
  const name = prepare && values.length > 0 ? statementName(text) : undefined;
  let result: pg.QueryResult | pg.QueryResult[];
  try {
    result = await send(target, { text, values, types: queryTypes, name }, readTimeoutMs);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (name === undefined || (code !== UNKNOWN_STATEMENT && code !== DUPLICATE_STATEMENT)) throw error;
    // Something dropped our statement on the server (DEALLOCATE ALL, DISCARD ALL, a pooler that
    // switched server connections) while node-postgres still counts it as prepared there, or a
    // pooler gave us a server connection that has it while node-postgres thinks it has not.
    forgetStatement(target, name);
    // The statement failed at Parse or Bind, before it ran. On the pool, which discarded that
    // connection, running it once more unnamed is safe; inside a transaction the error has
    // aborted it. Behind a pooler that is no accident but the pooler's way (see
    // unkeptPreparedStatementError): the caller learns which setting to change, not a SQLSTATE.
    if (!pooled) throw behindPooler ? unkeptPreparedStatementError(error) : error;
    result = await send(target, { text, values, types: queryTypes }, readTimeoutMs);
  }
  // A parameterless query runs over the simple protocol and may carry several statements; the
  // last one is the answer the caller asked for.
  const last = (Array.isArray(result) ? result[result.length - 1] : result) as pg.QueryResult;
  return { rows: last.rows as Row[], rowCount: last.rowCount ?? last.rows.length };
}

/** A parameter as node-postgres takes it: a {@link JsonArrayParam} goes as binary jsonb. */
const driverValue = (value: unknown): unknown =>
  value instanceof JsonArrayParam ? jsonbBinary(value) : value;

/** Makes a checked-out connection parse `name` again on its next use. */
function forgetStatement(target: Queryable, name: string): void {
  const parsed = (target as { connection?: { parsedStatements?: Record<string, string> } }).connection
    ?.parsedStatements;
  if (parsed) delete parsed[name];
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/**
 * Listens for 'error' on a checked-out connection until it is released. pg.Pool listens only on
 * idle connections; a connection that dies while we hold it between statements (server restart,
 * pg_terminate_backend) would otherwise emit an unhandled 'error' and crash the process. A
 * connection that failed is released with its error, so the pool discards it.
 */
function watchCheckedOut(conn: pg.PoolClient): { release(error?: Error): void } {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  conn.on('error', onError);
  return {
    release(error?: Error) {
      conn.off('error', onError);
      conn.release(error ?? failure);
    },
  };
}

const guardedPools = new WeakSet<pg.Pool>();
const ignoreUntilWatched = () => {};
/**
 * How many connections of each pool are checked out, from 'acquire' to 'release'. pg.Pool counts
 * a connection it is still opening as it counts one in use, and tells its waiters the same
 * "timeout exceeded" either way; only this count says which it was.
 */
const checkedOut = new WeakMap<pg.Pool, number>();

/**
 * pg.Pool stops listening for 'error' on a connection the moment it hands it out, and our own
 * listener (watchCheckedOut) can only be attached after `pool.connect()` settles. A FATAL from a
 * killed backend that arrives in that gap would be an unhandled 'error' and crash the process, so
 * every checked-out connection carries a no-op listener from 'acquire' to 'release'; the failure
 * itself still surfaces as the next statement's error.
 */
function guardCheckouts(pool: pg.Pool): void {
  if (guardedPools.has(pool)) return;
  guardedPools.add(pool);
  pool.on('acquire', (conn) => {
    conn.on('error', ignoreUntilWatched);
    checkedOut.set(pool, (checkedOut.get(pool) ?? 0) + 1);
  });
  pool.on('release', (_error, conn) => {
    conn.off('error', ignoreUntilWatched);
    // A connection checked out before this pool was guarded may come back: not below zero.
    checkedOut.set(pool, Math.max(0, (checkedOut.get(pool) ?? 0) - 1));
  });
}

/**
 * What a failed checkout means: a pooler that refuses the DSN's settings (the startup `options`
 * the pool sends, see startupParameterError) is a setting to change; anything else as it came.
 */
function connectFailure(pool: pg.Pool, error: unknown): unknown {
  const config = (pool as unknown as { options?: PoolSettings }).options ?? {};
  const refused = startupParameterError(error, config.options);
  if (refused) return refused;
  const max = config.max ?? 10;
  if (error instanceof Error && error.message === POOL_TIMEOUT && (checkedOut.get(pool) ?? 0) >= max) {
    return new PoolExhaustedError(max, config.connectionTimeoutMillis ?? 0, poolTarget(config), {
      cause: error,
    });
  }
  return error;
}

/** pg-pool's words for a checkout that found no free connection within connectionTimeoutMillis. */
const POOL_TIMEOUT = 'timeout exceeded when trying to connect';

/** The settings of a pg.Pool this file reads (pg-pool keeps them as `options`). */
interface PoolSettings {
  options?: string;
  max?: number;
  connectionTimeoutMillis?: number;
  connectionString?: string;
  user?: string;
  host?: string;
  port?: number | string;
  database?: string;
}

/** user@host:port/database of a pool's settings, never its password. */
function poolTarget(config: PoolSettings): string {
  let { user, host, port, database } = config;
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      user ??= decodeURIComponent(url.username) || undefined;
      host ??= url.hostname || undefined;
      port ??= url.port || undefined;
      database ??= decodeURIComponent(url.pathname.slice(1)) || undefined;
    } catch {
      // A key=value string: the discrete settings, if any, are all there is to name.
    }
  }
  return `${user ? `${user}@` : ''}${host ?? 'localhost'}:${port ?? 5432}/${database ?? ''}`;
}

/** Options of {@link createPgPool}. */
export interface CreatePgPoolOptions {
  /**
   * Told when an idle pooled connection fails (server restart, network cut). The pool drops that
   * connection and opens a new one when needed; without a listener Node would crash the process
   * on the pool's unhandled 'error' event.
   */
  onError?: (error: Error) => void;
}

/**
 * Creates a pg.Pool with an 'error' listener, so a connection that dies while idle is reported
 * (through `onError`) instead of crashing the process.
 */
export function createPgPool(config: pg.PoolConfig, options: CreatePgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', (error) => {
    // pg-pool hangs the failed connection on its error (`error.client`). It is closed and useless,
    // and it holds the connection settings, password included (only hidden from a plain inspect),
    // so a report that logs the error in full would print it. The error is ours to pass on.
    delete (error as Error & { client?: unknown }).client;
    options.onError?.(error);
  });
  return pool;
}

/** Options of {@link pgClient}. */
export interface PgClientOptions {
  /** Whether close() ends the pool: true for a pool we created, false for the caller's. */
  owned: boolean;
  /**
   * Run statements with parameters as named prepared statements, parsed and planned once per
   * connection. Default: yes on a direct connection, no behind a connection pooler (found out per
   * connection, see pg-session.ts), since PgBouncer in transaction mode before 1.21 (or without
   * `max_prepared_statements`) moves a client between server connections without its prepared
   * statements. `true` prepares behind a pooler too (a transaction that then meets a lost or
   * foreign statement fails with a SqlConfigError, field `preparedStatements`); `false` never
   * prepares.
   */
  preparedStatements?: boolean;
  /**
   * Server timeouts for every statement: session settings on a direct connection, `SET LOCAL` in
   * each transaction behind a pooler. Absent: the connection keeps whatever it has.
   */
  timeouts?: ServerTimeouts;
  /**
   * Make READ COMMITTED the isolation of single statements on each direct connection when the
   * database's default is another (for a pool we created: a caller's pool keeps its own).
   */
  readCommitted?: boolean;
  /**
   * How long to wait for the answer to each statement before failing it with "Query read
   * timeout" and discarding its connection (0 or absent: no bound). The pool's own
   * `query_timeout`, when it has one, applies as well.
   */
  readTimeoutMs?: number;
}

/** Wraps a pg.Pool as a {@link SqlClient}. */
export function pgClient(
  pool: pg.Pool,
  { owned, preparedStatements, timeouts = {}, readCommitted = false, readTimeoutMs = 0 }: PgClientOptions,
): SqlClient {
  let closing: Promise<void> | undefined;
  guardCheckouts(pool);
  const facts = new WeakMap<object, Promise<ConnectionFacts>>();
  const defaults = { readCommitted };
  /** How run sends on a connection: prepared unless behind a pooler (or as the caller chose). */
  const settingsOn = (f: ConnectionFacts, pooled: boolean): RunSettings => ({
    prepare: preparedStatements ?? !f.pooled,
    pooled,
    behindPooler: f.pooled,
    readTimeoutMs,
  });
  /** A statement of our own (BEGIN, COMMIT, ROLLBACK, the probe), bounded like the caller's. */
  const plain = (conn: pg.PoolClient, text: string, values?: unknown[]) =>
    send(conn, { text, values }, readTimeoutMs);
  /** Opens a transaction; a pooler that allows none (statement mode) is a setting to change. */
  const begin = (conn: pg.PoolClient, f: ConnectionFacts) =>
    plain(conn, beginStatement(f, timeouts)).catch((error: unknown) => {
      throw statementPoolingError(error) ?? error;
    });

  /** Checks out a connection, learns what it reaches, runs `fn`, and gives it back (or drops it). */
  async function onConnection<T>(
    fn: (conn: pg.PoolClient, f: ConnectionFacts, release: (error?: Error) => void) => Promise<T>,
  ): Promise<T> {
    const conn = await pool.connect().catch((error: unknown) => {
      throw connectFailure(pool, error);
    });
    const broken = watchCheckedOut(conn);
    let released = false;
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      broken.release(error);
    };
    try {
      return await fn(conn, await connectionFacts(facts, conn, timeouts, plain, defaults), release);
    } catch (error) {
      // As pg.Pool's own query(): a connection whose statement failed is not reused, since it
      // may be broken, still running the statement (a read timeout) or in an unknown state.
      release(asError(error));
      throw error;
    } finally {
      release();
    }
  }

  return {
    kind: 'pg',
    query: <Row>(text: string, params?: readonly unknown[]) =>
      onConnection((conn, f) => run<Row>(conn, text, params, settingsOn(f, true))),

    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      return onConnection(async (conn, f, release) => {
        let finished = false;
        const settings = settingsOn(f, false);
        const tx: SqlExecutor = {
          query: <Row>(text: string, params?: readonly unknown[]) => {
            // A statement issued after the transaction ended would run on a connection that is
            // back in the pool, outside any transaction, or inside someone else's.
            if (finished) return Promise.reject(new Error('the transaction has already ended'));
            return run<Row>(conn, text, params, settings);
          },
        };
        try {
          await begin(conn, f);
          const value = await fn(tx);
          await plain(conn, 'COMMIT');
          finished = true;
          return value;
        } catch (error) {
          finished = true;
          if (isConnectionError(error)) {
            // The connection is gone or not answering (a read timeout): a ROLLBACK would fail the
            // same way, or wait out a second timeout on a silent server. Discarding the connection
            // ends its server session, which rolls the transaction back.
            release(asError(error));
            throw error;
          }
          try {
            await plain(conn, 'ROLLBACK');
          } catch (rollbackError) {
            // The connection itself is broken (or in an unknown state): destroy it rather than
            // handing it to the next caller.
            release(asError(rollbackError));
            throw error;
          }
          release();
          throw error;
        }
      });
    },

    withConnection<T>(fn: (conn: SqlExecutor) => Promise<T>): Promise<T> {
      return onConnection(async (conn, f) => {
        let finished = false;
        const settings = settingsOn(f, false);
        const executor: SqlExecutor = {
          query: <Row>(text: string, params?: readonly unknown[]) => {
            if (finished) return Promise.reject(new Error('the connection has been released'));
            return run<Row>(conn, text, params, settings);
          },
        };
        try {
          if (!f.pooled) return await fn(executor);
          // Behind a pooler, one server connection is ours only inside a transaction: without
          // one, a session-level advisory lock could be taken on one server connection and
          // released on another (or never). The statements inside then commit together.
          await begin(conn, f);
          const value = await fn(executor);
          await plain(conn, 'COMMIT');
          return value;
        } finally {
          // fn may have failed half-way through (a transaction left open, a session setting
          // changed, a broken socket); onConnection then drops this connection.
          finished = true;
        }
      });
    },

    close(): Promise<void> {
      if (!owned) return Promise.resolve();
      closing ??= pool.end();
      return closing;
    },
  };
}
