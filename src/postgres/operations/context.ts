/**
 * What an operation of PostgresSessionService needs from the running service, and nothing more:
 * the options and table names, the clock, and `run` to reach the database. The service's runtime
 * implements it; each module of this folder is a set of functions of it.
 */
import type { SqlClient, SqlExecutor } from '../../sql/client.js';
import type { AsyncWrites } from '../async/async-writes.js';
import type { ResolvedPostgresOptions } from '../options.js';
import type { DeleteMode, SqlQuery } from '../queries/index.js';
import type { TableNames } from '../schema/index.js';

export interface ServiceContext {
  readonly options: ResolvedPostgresOptions;
  readonly tables: TableNames;
  /** How deletes are made: `soft` (deleted_at) or `hard` (DELETE), from `softDelete`. */
  readonly mode: DeleteMode;
  /** The background writers, when `asyncPersist` is on. */
  readonly async: AsyncWrites | undefined;
  /** The clock's time, as a Date of our own. */
  now(): Date;
  /** `now + ttl` as a TIMESTAMP parameter, or null (never expires) when the TTL is 0. */
  expiry(now: Date, ttlMs: number): string | null;
  /**
   * Runs one operation's database work: connects if needed, counts it in flight for flush() and
   * close(), and turns a driver error into a StorageError naming `operation` (unless `mapError`
   * claims it first).
   */
  run<T>(
    operation: string,
    fn: (db: SqlClient) => Promise<T>,
    mapError?: (error: unknown) => Error | undefined,
  ): Promise<T>;
  /** Counts `work` as in flight until it settles, so flush() and close() wait for it. */
  track<T>(work: Promise<T>): Promise<T>;
}

/** Runs one statement of `queries/`. */
export function exec<Row>(db: SqlExecutor, query: SqlQuery) {
  return db.query<Row>(query.text, query.params);
}
