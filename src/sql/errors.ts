/**
 * Reading driver errors: the SQLSTATE PostgreSQL sent, whether retrying may help, and whether a
 * statement broke a unique index. Both adapters put the SQLSTATE in `code`; network failures of
 * node-postgres carry Node's `code` (ECONNRESET, ...) or only a message.
 */

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** PostgreSQL's unique_violation. */
export const UNIQUE_VIOLATION = '23505';

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The error itself and its `cause` chain (bounded, in case of a cycle). */
function* chain(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The five-character SQLSTATE of `error` or of an error in its `cause` chain, if any. */
export function sqlState(error: unknown): string | undefined {
  for (const e of chain(error)) {
    const code = codeOf(e);
    if (code !== undefined && SQLSTATE.test(code)) return code;
  }
  return undefined;
}

/**
 * True when a statement failed because a row with the same key exists (23505). With
 * `constraint`, only when that index or constraint was the one violated.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (const e of chain(error)) {
    if (codeOf(e) !== UNIQUE_VIOLATION) continue;
    return constraint === undefined || (e as { constraint?: unknown }).constraint === constraint;
  }
  return false;
}

// SQLSTATEs after which the same statement may succeed if run again.
const TRANSIENT_STATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout): the statement was rolled back
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting up or in recovery)
  '25006', // read_only_sql_transaction: a primary that failed over is a standby now; the next
  //           connection (the failed one is dropped) may reach the new primary
  '53000', // insufficient_resources
  '53100', // disk_full: space comes back when WAL is archived or an operator frees it
  '53200', // out_of_memory
  '53300', // too_many_connections
  '58000', // system_error
  '58030', // io_error
]);

// Class 08 is "connection exception"; any state in it means the connection failed.
const CONNECTION_CLASS = '08';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

// node-postgres reports some connection failures with a message only. 'Query read timeout' is
// its client-side statement timer (query_timeout): the server did not answer in time, the
// connection is discarded, and the statement may or may not have run.
const NETWORK_MESSAGES = [
  'Connection terminated',
  'Query read timeout',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended',
];

/**
 * True when the connection to the server failed (refused, reset, timed out, server shutting
 * down). A statement that was in flight when this happened may or may not have committed, so a
 * caller retrying a write must make it idempotent first.
 */
export function isConnectionError(error: unknown): boolean {
  for (const e of chain(error)) {
    // The statement never left the pool, and the server is not the one at fault.
    if (e instanceof PoolExhaustedError) return false;
    const code = codeOf(e);
    if (code !== undefined) {
      if (code.startsWith(CONNECTION_CLASS) && SQLSTATE.test(code)) return true;
      if (code === '57P01' || code === '57P02' || code === '57P03') return true;
      if (NETWORK_CODES.has(code)) return true;
    }
    const message = e instanceof Error ? e.message : '';
    if (NETWORK_MESSAGES.some((m) => message.includes(m))) return true;
  }
  return false;
}

/**
 * True when running the same statement again may succeed: lost or refused connections,
 * serialization failures, deadlocks, lock or statement timeouts, a server short of resources.
 * Everything else (constraint violations, syntax, permissions, unknown errors) is permanent:
 * retrying would fail the same way.
 */
export function isTransientError(error: unknown): boolean {
  // A setting that cannot work (a pooler in statement mode) fails the same way every time, though
  // the driver's error under it is a connection error.
  if (error instanceof SqlConfigError) return false;
  // A connection frees up as calls finish.
  for (const e of chain(error)) if (e instanceof PoolExhaustedError) return true;
  const state = sqlState(error);
  if (state !== undefined && TRANSIENT_STATES.has(state)) return true;
  return isConnectionError(error);
}

/**
 * A setting of the driver seam that cannot work: `field` names it, `rule` says what is wrong.
 * Its `code` is `CONFIG`, as the package's ConfigError's; the service reports it as a ConfigError
 * (sql/ knows nothing of the package's error classes).
 */
export class SqlConfigError extends Error {
  override readonly name: string = 'SqlConfigError';
  readonly code = 'CONFIG';
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, options?: { cause?: unknown }) {
    super(`${field}: ${rule}`, options);
    this.field = field;
    this.rule = rule;
  }
}

/**
 * A connection string that breaks a rule. The message never quotes the string (its password
 * could not be hidden).
 */
export class ConnectionStringError extends SqlConfigError {
  override readonly name = 'ConnectionStringError';
}

// PgBouncer's answer (FATAL, 08P01, then it closes the connection) to BEGIN under
// `pool_mode = statement`, where every statement may go to another server connection.
const STATEMENT_POOLING = 'transaction blocks not allowed in statement pooling mode';

/**
 * `error` as a {@link SqlConfigError} when it is a pooler refusing a transaction because it runs
 * in statement pooling mode; undefined otherwise. The service needs transactions (creating and
 * deleting a session, replacing events, ...), so no retry can help: the pooler's mode must change.
 */
export function statementPoolingError(error: unknown): SqlConfigError | undefined {
  for (const e of chain(error)) {
    if (e instanceof SqlConfigError) return e;
    if (e instanceof Error && e.message.includes(STATEMENT_POOLING)) {
      return new SqlConfigError(
        'connection',
        'the connection pooler runs in statement pooling mode (PgBouncer pool_mode = statement), which refuses transactions; the service needs transaction or session pooling',
        { cause: error },
      );
    }
  }
  return undefined;
}

// PgBouncer's answer (FATAL, 08P01) to a startup parameter it does not know, before any server
// connection is involved. node-postgres sends a DSN's settings (`?search_path=…`,
// `?statement_timeout=…`, `options=-c…`) as the one startup parameter `options`.
const REFUSED_STARTUP_PARAMETER = /unsupported startup parameter: (\S+)/;

/** The names of the settings an `options` startup parameter makes (`-c name=value`, `--name=value`). */
function settingNames(options: string | undefined): string[] {
  const names = [...(options ?? '').matchAll(/(?:^|\s)(?:-c\s*|--)([A-Za-z_][\w.]*)=/g)].map((m) => m[1]!);
  return [...new Set(names)];
}

/**
 * `error` as a {@link SqlConfigError} when it is a pooler refusing a startup parameter, naming the
 * settings `options` (the connection's startup `options`, if known) carries; undefined otherwise.
 * Every new connection fails the same way, so it is a setting to change, not a failure to retry.
 * Only the names are given: a value may be anything the DSN held.
 */
export function startupParameterError(error: unknown, options?: string): SqlConfigError | undefined {
  for (const e of chain(error)) {
    const refused = e instanceof Error ? REFUSED_STARTUP_PARAMETER.exec(e.message)?.[1] : undefined;
    if (refused === undefined) continue;
    const names = refused === 'options' ? settingNames(options) : [];
    const said = `("unsupported startup parameter: ${refused}")`;
    const what =
      refused === 'options'
        ? `the startup parameter options ${said}, which carries the connection string's settings${names.length > 0 ? ` (${names.join(', ')})` : ''}`
        : `the startup parameter ${refused} ${said}`;
    return new SqlConfigError(
      'connection',
      `the connection pooler (PgBouncer) refuses ${what}: set them on the role or database instead (ALTER ROLE … SET) and leave them out of the connection string, or add ${refused} to PgBouncer's ignore_startup_parameters (which drops them)`,
      { cause: error },
    );
  }
  return undefined;
}

/**
 * A {@link SqlConfigError} for a named prepared statement that a pooler lost or mixed up inside a
 * transaction (`error` is the server's 42P05 or 26000): the pooler moves a client between server
 * connections without its prepared statements, so `preparedStatements: true` cannot work there.
 * Outside a transaction the statement is run again unnamed; inside one the error has aborted it,
 * and the next transaction may meet the same, so the setting is what must change.
 */
export function unkeptPreparedStatementError(error: unknown): SqlConfigError {
  const said = error instanceof Error ? ` (${error.message})` : '';
  return new SqlConfigError(
    'preparedStatements',
    `the connection pooler does not keep prepared statements per client${said}: PgBouncer before 1.21 in transaction mode, or with max_prepared_statements = 0, hands a client server connections without its statements or with another client's; set preparedStatements to false, or leave it unset (off behind a pooler), or set max_prepared_statements on PgBouncer 1.21+`,
    { cause: error },
  );
}

/**
 * No connection of a client-side pool became free within its connect timeout because every one
 * of them was in use: the pool is too small for the load, the server may be fine. node-postgres
 * says only "timeout exceeded when trying to connect" (the `cause`), the words it also uses when
 * the connections it is opening do not get through. Retrying may succeed once calls finish; the
 * statement never reached the server.
 */
export class PoolExhaustedError extends Error {
  override readonly name = 'PoolExhaustedError';
  /** The pool's size (`max`). */
  readonly max: number;
  /** How long the call waited for a connection, in milliseconds. */
  readonly waitedMs: number;

  /** `target` names the server without a password (user@host:port/database). */
  constructor(max: number, waitedMs: number, target: string, options?: { cause?: unknown }) {
    super(
      `all ${max} connections of the pool to ${target} were in use for ${waitedMs} ms (the connect timeout), so none was free for this call; the server answers: raise the pool's max (extraOptions.max), lower the concurrency, or wait longer (connectTimeoutMs)`,
      options,
    );
    this.max = max;
    this.waitedMs = waitedMs;
  }
}
