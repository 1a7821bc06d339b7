import { inspect } from 'node:util';
import type pg from 'pg';
import { loggerErrorReporter } from '../observability/index.js';
import { type Clock, systemClock } from '../session/clock.js';
import { ConfigError } from '../session/errors.js';
import type { AppendEventHook, GetSessionHook } from '../session/hooks.js';
import {
  DEFAULT_ASYNC_SUMMARY_NUM,
  DEFAULT_CLEANUP_INTERVAL_MS,
  DEFAULT_SESSION_EVENT_LIMIT,
  DEFAULT_SUMMARY_JOB_TIMEOUT_MS,
  DEFAULT_SUMMARY_QUEUE_SIZE,
  type ErrorReporter,
  type SessionServiceOptions,
} from '../session/service-options.js';
import type { SessionSummarizer } from '../session/summarizer.js';
import type { SqlClient } from '../sql/client.js';
import { getPostgresInstance } from '../storage/postgres/registry.js';
import { parseConnectionString, redactConnectionString } from './connection/connection-string.js';
import { type TableNames, tableNames } from './schema/index.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/**
 * Options of PostgresSessionService. Each seed option of trpc-agent-go maps to one field (see the
 * README's table). Connection precedence: `client` > `pool` > `dsn` > host/port/user/password/database
 * (when `host` is set) > `instance` > `dataDir` (embedded) > the defaults (localhost:5432, database
 * trpc-agent-go-pgsession). `optionsFromEnv()` fills in what is left open from the environment.
 *
 * Numbers: Go replaces counts below 1 with their default; here a negative or fractional value is
 * a ConfigError (it is a mistake, not a request for the default) and 0 or absent means the default.
 * TTLs are the exception: 0 means "never expires", as in Go.
 */
export interface PostgresSessionServiceOptions extends SessionServiceOptions {
  /**
   * A connection string: `postgres://user:pass@host:5432/db?sslmode=disable`, or libpq's
   * `host=... port=... dbname=... user=... password=... sslmode=...` form. Its `sslmode` wins over
   * the `sslMode` option; parameters PostgreSQL knows as settings (`search_path`,
   * `statement_timeout`, ...) are sent at connect, as pgx does.
   */
  dsn?: string;
  host?: string;
  /** 1..65535 (default 5432). */
  port?: number;
  user?: string;
  password?: string;
  /** Default `trpc-agent-go-pgsession`, as in Go. */
  database?: string;
  /**
   * TLS, as libpq means it: `disable` (default), `require` (encrypted, certificate not checked),
   * `verify-ca` (certificate signed by a trusted CA), `verify-full` (and issued for the host).
   * Applies to host settings, the defaults, and a DSN without its own `sslmode`. The trusted CAs
   * are Node's unless `sslRootCert` names a file; `extraOptions.ssl` (e.g. `{ ssl: { ca } }`) is
   * merged over what the mode and the files set.
   */
  sslMode?: SslMode;
  /**
   * Path of a PEM file with the CA certificate(s) to trust for `verify-ca` and `verify-full`
   * (libpq's `sslrootcert`). A DSN's own `sslrootcert` wins.
   */
  sslRootCert?: string;
  /** Path of a PEM client certificate, for servers that ask for one (libpq's `sslcert`). */
  sslCert?: string;
  /** Path of the PEM private key of `sslCert` (libpq's `sslkey`). */
  sslKey?: string;
  /** A name given to registerPostgresInstance (agent-sessions/storage/postgres). */
  instance?: string;
  /**
   * Merged into the pg.PoolConfig of the pool the service builds, over everything derived from
   * the options above (e.g. `{ max: 20, statement_timeout: 5000, idleTimeoutMillis: 30000 }`).
   */
  extraOptions?: Record<string, unknown>;
  /**
   * How long opening a connection may take before the call fails with a StorageError (default
   * 10000; 0 waits forever). A DSN's `connect_timeout` wins over it, as its `sslmode` does.
   */
  connectTimeoutMs?: number;
  /**
   * How long one statement may run (default 30000; 0 means no limit). Sent as the server's
   * `statement_timeout`, so a statement stuck behind a lock or a slow plan is cancelled there and
   * the call fails with a StorageError (SQLSTATE 57014 as its `cause`). The client also stops
   * waiting a little after it (and drops that connection), so a server that has stopped answering
   * cannot hang a caller either. A DSN's `statement_timeout` wins over it.
   */
  statementTimeoutMs?: number;
  /**
   * How long a statement may wait for a row or table lock (default 10000; 0 means as long as the
   * statement timeout allows). Sent as the server's `lock_timeout`; the call fails with a
   * StorageError (SQLSTATE 55P03 as its `cause`). A DSN's `lock_timeout` wins over it.
   *
   * The statement and lock timeouts are never startup parameters (PgBouncer refuses `options`):
   * on a direct connection they are set once per connection, behind a pooler with `SET LOCAL` in
   * each transaction; single statements outside a transaction are then bounded by the client's
   * read timeout only (set `statement_timeout`/`lock_timeout` for the role on the server for a
   * server-side bound too). They apply to the pool the service creates; a `pool` or `client` you
   * pass in keeps its own settings.
   */
  lockTimeoutMs?: number;
  /**
   * Run statements as named prepared statements, which each connection parses and plans once (in
   * the benchmark a synchronous append went from 1.2 to 0.7 ms and a limit-20 read from 4.0 to
   * 1.2 ms). Default: on for a direct connection, off behind a connection pooler, which each
   * connection detects when it opens (the backend's pid differs from the one the start-up gave):
   * PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`, moves a client
   * between server connections without its prepared statements. `true` forces them (PgBouncer
   * 1.21+ with `max_prepared_statements` set), `false` turns them off.
   * Applies to the pool the service builds and to a `pool` you pass; a `client` keeps its own.
   */
  preparedStatements?: boolean;
  /** Your own pg.Pool; the service uses it and does not end it on close(). */
  pool?: pg.Pool;
  /** Any SqlClient, e.g. `pgliteClient(...)` for embedded PostgreSQL; not closed by close(). */
  client?: SqlClient;
  /**
   * Embedded PostgreSQL (PGlite) in this directory, created when missing, kept between runs
   * (`'memory://'`: in memory only). Used when no server is named (`client`, `pool`, `dsn`,
   * `host`, `instance`), so `{ dsn: process.env.DATABASE_URL, dataDir: './data' }` means "the
   * server when configured, else embedded". The service opens it on first use and closes it on
   * close(), so a script exits by itself. One process at a time: a second process opening the
   * same directory fails with a ConfigError. PGlite is imported only when this is used.
   */
  dataDir?: string;

  /** Rows are marked with deleted_at instead of removed (default true). */
  softDelete?: boolean;
  /** Persist events in the background, batched, in per-session order (default false). */
  asyncPersist?: boolean;
  /** Async persistence workers (default 10). */
  asyncPersisterNum?: number;
  /**
   * Close the service (draining the async queue) when the process ends by itself (`beforeExit`)
   * or on SIGTERM/SIGINT, then let the signal end the process as it would have (default false).
   * `process.exit()` cannot wait: close the service before calling it.
   */
  flushOnExit?: boolean;

  /**
   * PostgreSQL schema of the tables (must exist; default: the connection's current schema,
   * normally public). Letters, digits and `_`; folded to lower case as PostgreSQL folds Go's
   * unquoted names.
   */
  schema?: string;
  /** Prefix of table names; `_` is appended when missing (`trpc` -> `trpc_session_states`). */
  tablePrefix?: string;
  /** Neither create nor verify the tables at start. */
  skipDbInit?: boolean;
}

export const DEFAULT_ASYNC_PERSISTER_NUM = 10;
export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 5432;
export const DEFAULT_DATABASE = 'trpc-agent-go-pgsession';
export const DEFAULT_SSL_MODE: SslMode = 'disable';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

// Node's timers take at most 2^31-1 ms; a longer interval fires at once, so a huge
// cleanupIntervalMs would turn the sweeper into a busy loop instead of a rare one.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every option with its default applied, validated, frozen. Printing it (`util.inspect`,
 * `JSON.stringify`, `String`) shows the password and the DSN's password as `***`.
 */
export interface ResolvedPostgresOptions {
  readonly dsn: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** As given; undefined lets a DSN's own sslmode decide, and means `disable` otherwise. */
  readonly sslMode: SslMode | undefined;
  readonly sslRootCert: string | undefined;
  readonly sslCert: string | undefined;
  readonly sslKey: string | undefined;
  readonly instance: string | undefined;
  readonly extraOptions: Readonly<Record<string, unknown>>;
  /** As given; undefined means the default (DEFAULT_CONNECT_TIMEOUT_MS), applied by the pool settings. */
  readonly connectTimeoutMs: number | undefined;
  /** As given; undefined means the default (DEFAULT_STATEMENT_TIMEOUT_MS). */
  readonly statementTimeoutMs: number | undefined;
  /** As given; undefined means the default (DEFAULT_LOCK_TIMEOUT_MS). */
  readonly lockTimeoutMs: number | undefined;
  /** As given; undefined: prepared on a direct connection, not behind a pooler. */
  readonly preparedStatements: boolean | undefined;
  readonly pool: pg.Pool | undefined;
  readonly client: SqlClient | undefined;
  readonly dataDir: string | undefined;

  readonly sessionEventLimit: number;
  readonly sessionTtlMs: number;
  readonly appStateTtlMs: number;
  readonly userStateTtlMs: number;
  /** Effective: the session TTL when none was given; 0 when explicitly disabled. */
  readonly trackEventTtlMs: number;
  /** Effective: 5 minutes when 0 and any TTL is set; 0 (no sweeper) when no TTL is set. */
  readonly cleanupIntervalMs: number;
  readonly softDelete: boolean;
  readonly asyncPersist: boolean;
  readonly asyncPersisterNum: number;
  readonly flushOnExit: boolean;
  readonly summarizer: SessionSummarizer | undefined;
  readonly asyncSummaryNum: number;
  readonly summaryQueueSize: number;
  readonly summaryJobTimeoutMs: number;
  /** Trimmed, empty entries dropped; undefined allows every filter key. */
  readonly summaryFilterAllowlist: readonly string[] | undefined;
  readonly cascadeFullSessionSummary: boolean;
  readonly schema: string;
  readonly tablePrefix: string;
  readonly skipDbInit: boolean;
  readonly appendEventHooks: readonly AppendEventHook[];
  readonly getSessionHooks: readonly GetSessionHook[];
  readonly clock: Clock;
  readonly onError: ErrorReporter | undefined;
  /** The table and index names from `schema` and `tablePrefix`. */
  readonly tables: TableNames;
}

// ---------------------------------------------------------------------------------------------
// Field checks: each names the option and the rule.

function count(field: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(field, `must be a non-negative integer, got ${inspect(value)}`);
  }
  if (value > max) throw new ConfigError(field, `must be at most ${max}, got ${value}`);
  return value === 0 ? fallback : value;
}

function duration(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(
      field,
      `must be a non-negative integer number of milliseconds, got ${inspect(value)}`,
    );
  }
  return value;
}

function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `must be true or false, got ${inspect(value)}`);
  return value;
}

/** A string option; '' counts as not given, as in Go. */
function text(field: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(field, `must be a string, got ${typeof value}`);
  return value;
}

function functions<T>(field: string, value: unknown): readonly T[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || value.some((h) => typeof h !== 'function')) {
    throw new ConfigError(field, 'must be an array of functions');
  }
  return Object.freeze([...value]) as readonly T[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasMethods(value: unknown, names: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function')
  );
}

function allowlist(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((k) => typeof k !== 'string')) {
    throw new ConfigError('summaryFilterAllowlist', 'must be an array of strings');
  }
  // As Go: entries trimmed and empty ones dropped; an empty list still means "only ''".
  return Object.freeze(value.map((k: string) => k.trim()).filter((k) => k !== ''));
}

// ---------------------------------------------------------------------------------------------
// Printing without secrets

const SECRET_KEY = /pass(word|phrase)?|secret|token|^key$|^pfx$|^cert$/i;

/** A copy of plain-object settings with every secret-looking value (password, key, ...) as `***`. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (!isPlainObject(value) || depth > 4) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && v !== undefined
        ? '***'
        : typeof v === 'function'
          ? '[Function]'
          : maskSecrets(v, depth + 1),
    ]),
  );
}

function printable(o: ResolvedPostgresOptions): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined) continue;
    if (key === 'password') shown[key] = '***';
    else if (key === 'dsn') shown[key] = redactConnectionString(value as string);
    else if (key === 'pool') shown[key] = '[pg.Pool]';
    else if (key === 'client') shown[key] = `[SqlClient ${(value as SqlClient).kind}]`;
    else if (key === 'extraOptions') shown[key] = maskSecrets(value);
    else if (key === 'tables') shown[key] = { schema: o.tables.schema, prefix: o.tables.prefix };
    else if (key === 'summarizer') shown[key] = '[SessionSummarizer]';
    else if (key === 'clock') shown[key] = value === systemClock ? '[systemClock]' : '[Clock]';
    else if (typeof value === 'function') shown[key] = '[Function]';
    else if (Array.isArray(value) && value.some((v) => typeof v === 'function'))
      shown[key] = `[${value.length} hooks]`;
    else shown[key] = value;
  }
  return shown;
}

/** Makes `target`'s inspect/JSON/toString output the redacted view. */
function hideSecrets<T extends object>(target: T, view: () => Record<string, unknown>): T {
  Object.defineProperties(target, {
    toJSON: { value: view },
    toString: { value: () => `PostgresSessionServiceOptions ${JSON.stringify(view())}` },
    [inspect.custom]: { value: view },
  });
  return target;
}

// ---------------------------------------------------------------------------------------------

/**
 * Applies defaults and checks every option, so a bad configuration fails at construction with a
 * ConfigError naming the option, not at the first query.
 *
 * Rules: counts and durations are non-negative integers (0 or absent means the default, except
 * TTLs where 0 means never); `cleanupIntervalMs` and `summaryJobTimeoutMs` fit a Node timer
 * (<= 2^31-1); `port` is 1..65535; `sslMode` is one of disable/require/verify-ca/verify-full;
 * `schema` and `tablePrefix` are identifiers that keep every table and index name within 63 bytes;
 * `pool` and `client` are not both given; the `instance` is registered when it is the connection
 * used; a `dsn` parses.
 *
 * `sessionEventLimit`: Go reads 0 as "no limit"; here 0 is the default (1000), so a forgotten
 * value never makes every read load a whole session. Pass a large number for no practical limit.
 */
export function resolvePostgresOptions(options: PostgresSessionServiceOptions = {}): ResolvedPostgresOptions {
  const o: PostgresSessionServiceOptions = options;
  if (!isPlainObject(options as unknown)) throw new ConfigError('options', 'must be an object');

  const dsn = text('dsn', o.dsn);
  if (dsn !== undefined) parseConnectionString(dsn, 'dsn');
  const host = text('host', o.host);
  let port: number | undefined;
  if (o.port !== undefined) {
    if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
      throw new ConfigError('port', `must be an integer from 1 to 65535, got ${inspect(o.port)}`);
    }
    port = o.port;
  }
  const sslMode = text('sslMode', o.sslMode) as SslMode | undefined;
  if (sslMode !== undefined && !SSL_MODES.includes(sslMode)) {
    throw new ConfigError('sslMode', `must be one of ${SSL_MODES.join(', ')}, got "${sslMode}"`);
  }
  if (o.extraOptions !== undefined && !isPlainObject(o.extraOptions)) {
    throw new ConfigError('extraOptions', 'must be an object of pg.Pool settings');
  }
  if (o.pool !== undefined && !hasMethods(o.pool, ['connect', 'query'])) {
    throw new ConfigError('pool', 'must be a pg.Pool');
  }
  if (o.client !== undefined && !hasMethods(o.client, ['query', 'transaction', 'close'])) {
    throw new ConfigError('client', 'must be a SqlClient (pgClient(...) or pgliteClient(...))');
  }
  if (o.pool !== undefined && o.client !== undefined) {
    throw new ConfigError('client', 'give either pool or client, not both');
  }
  const instance = text('instance', o.instance);
  // Checked only when it is the connection used, as Go looks it up only then.
  const usesInstance =
    !o.client && !o.pool && dsn === undefined && host === undefined && instance !== undefined;
  if (usesInstance && !getPostgresInstance(instance)) {
    throw new ConfigError(
      'instance',
      `no PostgreSQL instance is registered as "${instance}"; call registerPostgresInstance("${instance}", { connectionString }) first`,
    );
  }

  // Timeouts become timers (node-postgres) and server settings (int milliseconds): both must fit.
  const timeout = (field: string, value: unknown) => {
    const ms = duration(field, value);
    if (ms !== undefined && ms > MAX_TIMER_MS)
      throw new ConfigError(field, `must be at most ${MAX_TIMER_MS}, got ${ms}`);
    return ms;
  };
  const connectTimeoutMs = timeout('connectTimeoutMs', o.connectTimeoutMs);
  const statementTimeoutMs = timeout('statementTimeoutMs', o.statementTimeoutMs);
  const lockTimeoutMs = timeout('lockTimeoutMs', o.lockTimeoutMs);

  const sessionTtlMs = duration('sessionTtlMs', o.sessionTtlMs) ?? 0;
  const appStateTtlMs = duration('appStateTtlMs', o.appStateTtlMs) ?? 0;
  const userStateTtlMs = duration('userStateTtlMs', o.userStateTtlMs) ?? 0;
  const trackEventTtlMs = duration('trackEventTtlMs', o.trackEventTtlMs) ?? sessionTtlMs;
  const anyTtl = sessionTtlMs > 0 || appStateTtlMs > 0 || userStateTtlMs > 0 || trackEventTtlMs > 0;
  const interval = duration('cleanupIntervalMs', o.cleanupIntervalMs) ?? 0;
  if (interval > MAX_TIMER_MS)
    throw new ConfigError('cleanupIntervalMs', `must be at most ${MAX_TIMER_MS}, got ${interval}`);
  const summaryJobTimeoutMs = count(
    'summaryJobTimeoutMs',
    o.summaryJobTimeoutMs,
    DEFAULT_SUMMARY_JOB_TIMEOUT_MS,
    MAX_TIMER_MS,
  );

  if (o.summarizer !== undefined && !hasMethods(o.summarizer, ['summarize', 'shouldSummarize'])) {
    throw new ConfigError('summarizer', 'must be a SessionSummarizer (with summarize and shouldSummarize)');
  }
  if (o.clock !== undefined && !hasMethods(o.clock, ['now'])) {
    throw new ConfigError('clock', 'must have a now() method returning a Date');
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw new ConfigError('onError', 'must be a function');
  }
  const schema = text('schema', o.schema) ?? '';
  const tablePrefix = text('tablePrefix', o.tablePrefix) ?? '';

  const resolved: ResolvedPostgresOptions = {
    dsn,
    host,
    port,
    user: text('user', o.user),
    password: text('password', o.password),
    database: text('database', o.database),
    sslMode,
    sslRootCert: text('sslRootCert', o.sslRootCert),
    sslCert: text('sslCert', o.sslCert),
    sslKey: text('sslKey', o.sslKey),
    instance,
    extraOptions: Object.freeze({ ...(o.extraOptions ?? {}) }),
    connectTimeoutMs,
    statementTimeoutMs,
    lockTimeoutMs,
    preparedStatements:
      o.preparedStatements === undefined ? undefined : flag('preparedStatements', o.preparedStatements, true),
    pool: o.pool,
    client: o.client,
    dataDir: text('dataDir', o.dataDir),
    sessionEventLimit: count('sessionEventLimit', o.sessionEventLimit, DEFAULT_SESSION_EVENT_LIMIT),
    sessionTtlMs,
    appStateTtlMs,
    userStateTtlMs,
    trackEventTtlMs,
    cleanupIntervalMs: interval > 0 ? interval : anyTtl ? DEFAULT_CLEANUP_INTERVAL_MS : 0,
    softDelete: flag('softDelete', o.softDelete, true),
    asyncPersist: flag('asyncPersist', o.asyncPersist, false),
    asyncPersisterNum: count('asyncPersisterNum', o.asyncPersisterNum, DEFAULT_ASYNC_PERSISTER_NUM),
    flushOnExit: flag('flushOnExit', o.flushOnExit, false),
    summarizer: o.summarizer,
    asyncSummaryNum: count('asyncSummaryNum', o.asyncSummaryNum, DEFAULT_ASYNC_SUMMARY_NUM),
    summaryQueueSize: count('summaryQueueSize', o.summaryQueueSize, DEFAULT_SUMMARY_QUEUE_SIZE),
    summaryJobTimeoutMs,
    summaryFilterAllowlist: allowlist(o.summaryFilterAllowlist),
    cascadeFullSessionSummary: flag('cascadeFullSessionSummary', o.cascadeFullSessionSummary, true),
    schema,
    tablePrefix,
    skipDbInit: flag('skipDbInit', o.skipDbInit, false),
    appendEventHooks: functions<AppendEventHook>('appendEventHooks', o.appendEventHooks),
    getSessionHooks: functions<GetSessionHook>('getSessionHooks', o.getSessionHooks),
    clock: o.clock ?? systemClock,
    onError: o.onError ?? loggerErrorReporter(o.logger),
    tables: tableNames(schema, tablePrefix),
  };
  return Object.freeze(hideSecrets(resolved, () => printable(resolved)));
}
