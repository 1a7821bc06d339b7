/**
 * The running side of a PostgresSessionService: the connection (opened lazily, retried after a
 * failed start), the schema check at start-up, the sweeper, the background writers and summary
 * jobs, the calls in flight, and the order in which close() stops all of them.
 *
 * It is also the {@link ServiceContext} the operations of `operations/` run in: they get the
 * options, the clock and `run` (connect, count in flight, wrap driver errors) from it and nothing
 * else, so each operation reads top to bottom without the service's lifecycle in the way.
 */
import type { Telemetry } from '../observability/index.js';
import { ClosedError, isAgentSessionsError, StorageError } from '../session/errors.js';
import type { SweepCounts, SweepReport } from '../session/observers.js';
import type { ErrorReporter } from '../session/service-options.js';
import { toSqlTimestamp } from '../session/time.js';
import type { SqlClient } from '../sql/client.js';
import { SqlConfigError } from '../sql/errors.js';
import { SummaryJobQueue } from '../summary/job-queue.js';
import { AsyncWrites } from './async/async-writes.js';
import { installExitFlush } from './async/exit-flush.js';
import { Sweeper } from './cleanup/sweeper.js';
import { asConfigError } from './connection/connection-string.js';
import { connectionError, type OpenedConnection, openConnection } from './connection/open.js';
import { checkDatabase } from './connection/requirements.js';
import { type Redactor, redactCause, redactorFor } from './connection/secrets.js';
import type { ServiceContext } from './operations/context.js';
import type { ResolvedPostgresOptions } from './options.js';
import type { DeleteMode } from './queries/index.js';
import { initSchema, type TableNames } from './schema/index.js';

/** Background failures go here when the caller gives no `onError`: never silently lost. */
const warnOnError: ErrorReporter = (error, context) => {
  process.emitWarning(error, { code: 'AGENT_SESSIONS', detail: `operation: ${context.operation}` });
};

/** The sweeper's interval when none is set: sweepNow() works without a timer all the same. */
const UNSTARTED_SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * The sweeper's advisory lock key: one per set of tables, so the services on them sweep one at a
 * time. `schema` is the schema the tables are in, named or found (current_schema()), so a service
 * given no schema and one given that schema by name share the lock.
 */
export function sweepLockKey(database: string, schema: string, prefix: string): string {
  return `${database}.${schema}.${prefix}`;
}

export class ServiceRuntime implements ServiceContext {
  readonly options: ResolvedPostgresOptions;
  readonly tables: TableNames;
  readonly mode: DeleteMode;
  /** The background writers, when `asyncPersist` is on. */
  readonly async: AsyncWrites | undefined;
  /** The summary job queue, when a summarizer is set. */
  readonly summaryJobs: SummaryJobQueue | undefined;
  readonly #telemetry: Telemetry;
  readonly #onError: ErrorReporter;
  /** Hides every secret of the options in text that leaves the service (see secrets.ts). */
  readonly #redact: Redactor;
  /** Every call that may touch the database, so flush() and close() can wait for them. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #connection: OpenedConnection | undefined;
  #ready: Promise<SqlClient> | undefined;
  #sweeper: Sweeper | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Removes the flushOnExit hooks from the process. */
  #removeExitHooks: (() => void) | undefined;
  /** Aborted when close() starts: summaries made in callers end at once with CLOSED. */
  readonly #closeSignal = new AbortController();

  constructor(options: ResolvedPostgresOptions, telemetry: Telemetry) {
    this.options = options;
    this.tables = options.tables;
    this.mode = options.softDelete ? 'soft' : 'hard';
    this.#telemetry = telemetry;
    this.#onError = options.onError ?? warnOnError;
    this.#redact = redactorFor(options);
    if (options.summarizer) {
      this.summaryJobs = new SummaryJobQueue({
        workers: options.asyncSummaryNum,
        queueSize: options.summaryQueueSize,
        jobTimeoutMs: options.summaryJobTimeoutMs,
        onError: this.#onError,
        observer: telemetry.summaryJobs,
      });
    }
    if (options.asyncPersist) {
      this.async = new AsyncWrites({
        client: () => this.client(),
        tables: options.tables,
        workers: options.asyncPersisterNum,
        sessionTtlMs: options.sessionTtlMs,
        trackEventTtlMs: options.trackEventTtlMs,
        onError: this.#onError,
        redact: this.#redact,
        observer: telemetry.persister,
      });
    }
    if (options.flushOnExit) {
      this.#removeExitHooks = installExitFlush(
        this,
        (error) =>
          this.#onError(error instanceof Error ? error : new Error(String(error)), {
            operation: 'flushOnExit',
          }),
        () => this.async?.pending ?? 0,
      );
    }
  }

  /** Throws CLOSED once close() has been called. */
  checkOpen(operation: string): void {
    if (this.#closed) throw new ClosedError(operation);
  }

  /** Aborts when close() starts. */
  get closeSignal(): AbortSignal {
    return this.#closeSignal.signal;
  }

  /**
   * The scope of the summary lock: the database (see connection/identity.ts), the schema and the
   * table prefix, so services on other tables never wait for this one's summaries. Opens the
   * connection object if needed (nothing connects); a connection the options cannot make throws
   * the ConfigError every call would.
   */
  summaryLockScope(): string {
    this.#connection ??= openConnection(this.options);
    return JSON.stringify([this.#connection.identity, this.tables.schema, this.tables.prefix]);
  }

  /** The clock's time, as a Date of our own (a clock may hand out one it keeps changing). */
  now(): Date {
    return new Date(this.options.clock.now().getTime());
  }

  /** `now + ttl` as a TIMESTAMP parameter, or null (never expires) when the TTL is 0. */
  expiry(now: Date, ttlMs: number): string | null {
    return ttlMs > 0 ? toSqlTimestamp(new Date(now.getTime() + ttlMs)) : null;
  }

  /**
   * The client, once connected and with the tables in place. A failed start is retried by the
   * next call (the database may come up later); the pool, once created, is kept.
   */
  client(): Promise<SqlClient> {
    this.#ready ??= this.#start().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #start(): Promise<SqlClient> {
    const o = this.options;
    this.#connection ??= openConnection(o);
    const { client, describe, redact } = this.#connection;
    let database: string;
    let currentSchema: string;
    try {
      ({ database, schema: currentSchema } = await checkDatabase(client));
    } catch (error) {
      // Ours already (the embedded database's directory is held by another process, a database
      // the sessions cannot live in): as it is.
      if (isAgentSessionsError(error)) throw error;
      throw connectionError(error, describe, 'cannot connect', redact);
    }
    this.#telemetry.connected(database);
    if (!o.skipDbInit) await initSchema(client, o.tables);
    if (!this.#sweeper) {
      this.#sweeper = new Sweeper({
        client,
        tables: o.tables,
        clock: o.clock,
        softDelete: o.softDelete,
        sessionTtlMs: o.sessionTtlMs,
        appStateTtlMs: o.appStateTtlMs,
        userStateTtlMs: o.userStateTtlMs,
        trackEventTtlMs: o.trackEventTtlMs,
        intervalMs: o.cleanupIntervalMs > 0 ? o.cleanupIntervalMs : UNSTARTED_SWEEP_INTERVAL_MS,
        lockKey: sweepLockKey(database, o.tables.schema || currentSchema, o.tables.prefix),
        onError: this.#onError,
        observer: this.#telemetry.sweeper,
        redact: this.#redact,
      });
      if (o.cleanupIntervalMs > 0 && !this.#closed) this.#sweeper.start();
    }
    return client;
  }

  /**
   * Runs one operation's database work: connects first if needed, counts it as in flight (for
   * flush and close), and turns a driver error into a StorageError naming the operation, with the
   * driver's error as `cause` and no password in the message. `mapError` may claim an error first.
   */
  run<T>(
    operation: string,
    fn: (db: SqlClient) => Promise<T>,
    mapError?: (error: unknown) => Error | undefined,
  ): Promise<T> {
    const work = (async () => {
      const client = await this.client();
      try {
        return await fn(client);
      } catch (error) {
        if (isAgentSessionsError(error)) throw error;
        if (error instanceof SqlConfigError) throw asConfigError(error);
        const mapped = mapError?.(error);
        if (mapped) throw mapped;
        const message = error instanceof Error ? error.message || error.name : String(error);
        throw new StorageError(this.#redact(`${operation} failed: ${message}`), {
          cause: redactCause(error, this.#redact),
        });
      }
    })();
    return this.track(work);
  }

  /** Counts `work` as in flight until it settles, so flush() and close() wait for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const settle = () => this.#inFlight.delete(work);
    work.then(settle, settle);
    return work;
  }

  /** Sweeps now, on one instance at a time (the sweeper exists once connected). */
  sweepNow(): Promise<SweepReport> {
    return this.run('sweepNow', async () => this.#sweeper!.sweepNow());
  }

  /** What sweepNow would remove now, per table (the sweeper exists once connected). */
  countSweepable(): Promise<SweepCounts> {
    return this.run('countSweepable', async () => this.#sweeper!.countSweepable());
  }

  /** See PostgresSessionService.flush. */
  async flush(): Promise<void> {
    // Appends still waiting for room are in flight: once they are accepted, they count too.
    await Promise.allSettled([...this.#inFlight]);
    const [writes] = await Promise.allSettled([this.async?.flush(), this.summaryJobs?.drain()]);
    if (writes.status === 'rejected') throw writes.reason;
  }

  /** See PostgresSessionService.close: idempotent, every call returns the same promise. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    // First, so a summary waiting for its summarizer or its lock does not hold up the drain below.
    this.#closeSignal.abort();
    this.summaryJobs?.abortCallers();
    // Leaves the hooks in place when they started this drain: a repeated signal must still be heard.
    this.#removeExitHooks?.();
    await Promise.allSettled([...this.#inFlight]);
    await this.async?.close();
    await this.summaryJobs?.close();
    await this.#sweeper?.stop();
    // Jobs drained above may have written; anything they started has settled by now.
    await Promise.allSettled([...this.#inFlight]);
    if (this.#connection?.owned) await this.#connection.client.close();
  }
}
