import type pg from 'pg';
import type { SessionServiceOptions } from '../session/service-options.js';
import type { SqlClient } from '../sql/client.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/**
 * Options of PostgresSessionService. Each seed option of trpc-agent-go maps to one field (see the
 * README's table). Connection precedence: `client` > `pool` > `dsn` > host/port/user/password/database
 * (when `host` is set) > `instance` > the defaults (localhost:5432, database trpc-agent-go-pgsession).
 */
export interface PostgresSessionServiceOptions extends SessionServiceOptions {
  /** A connection string (`postgres://user:pass@host:5432/db?sslmode=disable`). */
  dsn?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslMode?: SslMode;
  /** A name given to registerPostgresInstance (agent-sessions/storage/postgres). */
  instance?: string;
  /** Passed to the pool the service builds (e.g. `{ max: 20, statement_timeout: 5000 }`). */
  extraOptions?: Record<string, unknown>;
  /** Your own pg.Pool; the service uses it and does not end it on close(). */
  pool?: pg.Pool;
  /** Any SqlClient, e.g. `pgliteClient(...)` for embedded PostgreSQL; not closed by close(). */
  client?: SqlClient;

  /** Rows are marked with deleted_at instead of removed (default true). */
  softDelete?: boolean;
  /** Persist events in the background, batched, in per-session order (default false). */
  asyncPersist?: boolean;
  /** Async persistence workers (default 10). */
  asyncPersisterNum?: number;

  /** PostgreSQL schema of the tables (must exist; default: the search path, normally public). */
  schema?: string;
  /** Prefix of table names; `_` is appended when missing (`trpc` -> `trpc_session_states`). */
  tablePrefix?: string;
  /** Neither create nor verify the tables at start. */
  skipDbInit?: boolean;
}
