/**
 * The options of PostgresSessionService as the user writes them, their defaults, and the resolved,
 * validated form the service runs on.
 */
import type pg from 'pg';
import type { Clock } from '../../session/clock.js';
import type { AppendEventHook, GetSessionHook } from '../../session/hooks.js';
import type { ErrorReporter, SessionServiceOptions } from '../../session/service-options.js';
import type { SessionSummarizer } from '../../session/summarizer.js';
import type { SqlClient } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';

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
