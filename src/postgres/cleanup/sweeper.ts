/**
 * The TTL sweeper: soft- or hard-deletes expired sessions, stale events, expired track events
 * and expired app and user state, each table by its own rule as trpc-agent-go's cleanup, on a
 * timer.
 *
 * Built like pg-boss's maintenance supervisor: stoppable, never two passes at once, never throws
 * from a timer, and one instance per table set across processes by a PostgreSQL advisory lock
 * (keyed by database, schema and prefix), so a fleet of services sweeps once per interval instead
 * of racing each other over the same rows.
 */
import type { Clock } from '../../session/clock.js';
import { ClosedError, ConfigError, isAgentSessionsError, StorageError } from '../../session/errors.js';
import type { SweepCounts, SweeperObserver, SweepReport } from '../../session/observers.js';
import type { ErrorReporter } from '../../session/service-options.js';
import type { SqlClient } from '../../sql/client.js';
import { SqlConfigError } from '../../sql/errors.js';
import { asConfigError } from '../connection/connection-string.js';
import { type Redactor, redactCause } from '../connection/secrets.js';
import type { TableNames } from '../schema/index.js';
import { advisoryLockKey, withAdvisoryLock } from './lock.js';
import { DEFAULT_BATCH_SIZE } from './purge.js';
import { countSweep, emptyCounts, runSweep } from './sweep.js';

export { advisoryLockKey } from './lock.js';
export { DEFAULT_BATCH_SIZE, type PurgeOptions, purgeSoftDeleted } from './purge.js';
export { type RestoreCounts, type RestoreOptions, restoreSession } from './restore.js';

/** Options of {@link Sweeper}. Durations are milliseconds; a TTL of 0 leaves its tables alone. */
export interface SweeperOptions {
  client: SqlClient;
  tables: TableNames;
  /** "Now" of each pass: rows with expires_at at or before it are expired. */
  clock: Clock;
  /** true: set deleted_at (the rows stay, hidden); false: delete them. */
  softDelete: boolean;
  /** Expired session rows; events of sessions whose newest event is the TTL old or older; expired summaries. */
  sessionTtlMs: number;
  appStateTtlMs: number;
  userStateTtlMs: number;
  /** Expired track events (pass the effective value: the session TTL when none was set). */
  trackEventTtlMs: number;
  /** Time between passes started by {@link Sweeper.start}. */
  intervalMs: number;
  /** Rows per statement (default 1000); each statement commits on its own. */
  batchSize?: number;
  /**
   * Names the table set, e.g. `${database}.${schema}.${prefix}`; hashed into the advisory-lock key,
   * so sweepers of the same tables exclude each other and sweepers of other tables do not.
   */
  lockKey: string;
  /** Told about failed passes started by the timer (default: a process warning). */
  onError?: ErrorReporter;
  /** Told of every pass, on demand or by the timer, and how it ended (metrics, logs). */
  observer?: SweeperObserver;
  /**
   * Hides the service's secrets in a failed pass's error, as every other error of the service
   * (a server or pooler may quote the password it was sent; see connection/secrets.ts).
   */
  redact?: Redactor;
}

// setInterval turns a longer delay into 1 ms (with only a warning): a typo would sweep nonstop.
const MAX_INTERVAL_MS = 2 ** 31 - 1;

function checkOptions(options: SweeperOptions): void {
  if (options === null || typeof options !== 'object') throw new ConfigError('options', 'are required');
  if (!options.client) throw new ConfigError('client', 'is required');
  if (!options.tables) throw new ConfigError('tables', 'is required');
  if (!options.clock || typeof options.clock.now !== 'function')
    throw new ConfigError('clock', 'is required');
  for (const field of ['sessionTtlMs', 'appStateTtlMs', 'userStateTtlMs', 'trackEventTtlMs'] as const) {
    const value = options[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(field, `must be a finite number of milliseconds >= 0, got ${value}`);
    }
  }
  const { intervalMs, batchSize, lockKey } = options;
  if (
    typeof intervalMs !== 'number' ||
    !Number.isFinite(intervalMs) ||
    intervalMs <= 0 ||
    intervalMs > MAX_INTERVAL_MS
  ) {
    throw new ConfigError(
      'intervalMs',
      `must be a number of milliseconds in (0, ${MAX_INTERVAL_MS}], got ${intervalMs}`,
    );
  }
  if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1)) {
    throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  }
  if (typeof lockKey !== 'string' || lockKey.length === 0) throw new ConfigError('lockKey', 'is required');
}

const warn: ErrorReporter = (error) => process.emitWarning(error);
const ignore = () => undefined;

/**
 * Sweeps expired rows: once per `intervalMs` after {@link Sweeper.start}, or on demand with
 * {@link Sweeper.sweepNow}.
 *
 * A pass takes a session-level advisory lock on a dedicated connection and returns `ran: false`
 * at once when another instance holds it. Inside, every statement changes at most `batchSize`
 * rows and commits on its own, skipping rows that application transactions hold, so a pass never
 * blocks requests and a large backlog is worked off without long transactions.
 *
 * What a pass does, each only when its TTL is set (see SWEEP_STEPS in sweep.ts):
 * - session rows whose expires_at has passed go, alone: their events, summaries and track events
 *   go by their own rules, as in trpc-agent-go;
 * - events of sessions whose newest event was updated `sessionTtlMs` ago or longer (events carry
 *   no expires_at; this is trpc-agent-go's rule), whether or not the session row expired;
 * - track events, summaries, app state and user state whose own expires_at has passed.
 * Soft mode sets deleted_at to the pass's "now", hard mode deletes; rows that are already
 * soft-deleted are left to {@link purgeSoftDeleted} in both.
 */
export class Sweeper {
  readonly #options: SweeperOptions;
  readonly #batchSize: number;
  readonly #lockKey: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Settles when the last accepted pass has ended; undefined when none is running or queued. */
  #tail: Promise<void> | undefined;
  #stopped = false;
  #stopping: Promise<void> | undefined;

  constructor(options: SweeperOptions) {
    checkOptions(options);
    this.#options = { ...options };
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#lockKey = advisoryLockKey(options.lockKey);
  }

  /**
   * Starts sweeping every `intervalMs` (the first pass one interval from now). The timer is
   * unref'd: it never keeps the process alive. A tick that comes while a pass is still running is
   * skipped. Calling start() again does nothing.
   *
   * @throws ClosedError after {@link Sweeper.stop}.
   */
  start(): void {
    if (this.#stopped) throw new ClosedError('Sweeper.start');
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /**
   * Runs one pass now, after any pass already running, and resolves with what it did.
   *
   * @throws ClosedError after {@link Sweeper.stop}; StorageError when the database failed (what
   *   earlier batches committed stays done).
   */
  sweepNow(): Promise<SweepReport> {
    if (this.#stopped) return Promise.reject(new ClosedError('Sweeper.sweepNow'));
    return this.#enqueue();
  }

  /**
   * What a pass now would change, per table, by the same rules, changing nothing. It only reads,
   * so it takes no lock and does not wait for a running pass.
   *
   * @throws ClosedError after {@link Sweeper.stop}; StorageError when the database failed.
   */
  countSweepable(): Promise<SweepCounts> {
    if (this.#stopped) return Promise.reject(new ClosedError('Sweeper.countSweepable'));
    const o = this.#options;
    return countSweep(o.client, o.tables, o.clock.now(), o);
  }

  /**
   * Stops the timer and waits for the running pass, which ends after its current batch. Idempotent:
   * every call returns the same promise. Passes that were queued and had not started reject with
   * ClosedError.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      clearInterval(this.#timer);
      this.#timer = undefined;
      // No pass can be queued once stopped, so the tail seen now is the last one.
      await this.#tail;
    })();
    return this.#stopping;
  }

  #tick(): void {
    // Skipped, not queued: the running pass already covers what this tick would do, and queueing
    // behind a pass slower than the interval would pile up passes without end.
    if (this.#stopped || this.#tail !== undefined) return;
    this.#enqueue().catch((error: unknown) => this.#report(error));
  }

  #enqueue(): Promise<SweepReport> {
    const previous = this.#tail;
    const run = previous === undefined ? this.#sweep() : previous.then(() => this.#sweep());
    const tail = run.then(ignore, ignore);
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    return run;
  }

  async #sweep(): Promise<SweepReport> {
    if (this.#stopped) throw new ClosedError('Sweeper.sweepNow');
    const observer = this.#options.observer;
    if (!observer) return this.#pass();
    const started = performance.now();
    try {
      const report = await this.#pass();
      observer.swept?.(report, performance.now() - started);
      return report;
    } catch (error) {
      observer.failed?.(error, performance.now() - started);
      throw error;
    }
  }

  async #pass(): Promise<SweepReport> {
    const o = this.#options;
    if (o.sessionTtlMs <= 0 && o.appStateTtlMs <= 0 && o.userStateTtlMs <= 0 && o.trackEventTtlMs <= 0) {
      return { ran: true, ...emptyCounts() };
    }
    try {
      const result = await withAdvisoryLock(o.client, this.#lockKey, (conn) =>
        runSweep(conn, {
          tables: o.tables,
          mode: o.softDelete ? 'soft' : 'hard',
          // Read once the lock is held: a pass that waited for its connection still uses a fresh now.
          now: o.clock.now(),
          sessionTtlMs: o.sessionTtlMs,
          appStateTtlMs: o.appStateTtlMs,
          userStateTtlMs: o.userStateTtlMs,
          trackEventTtlMs: o.trackEventTtlMs,
          batchSize: this.#batchSize,
          keepGoing: () => !this.#stopped,
        }),
      );
      return result.locked ? { ran: true, ...result.value } : { ran: false, ...emptyCounts() };
    } catch (error) {
      this.#hideSecrets(error);
      if (isAgentSessionsError(error)) throw error;
      if (error instanceof SqlConfigError) throw asConfigError(error);
      const message = error instanceof Error ? error.message || error.name : String(error);
      throw new StorageError(`sweep failed: ${message}`, { cause: error });
    }
  }

  /**
   * Hides the service's secrets in a failed pass's error and its causes, in place: the sweep's own
   * StorageErrors quote the server's text as much as the driver's errors do.
   */
  #hideSecrets(error: unknown): void {
    const redact = this.#options.redact;
    if (!redact) return;
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
      redactCause(e, redact);
    }
  }

  #report(error: unknown): void {
    const reported = error instanceof Error ? error : new StorageError(String(error));
    try {
      (this.#options.onError ?? warn)(reported, { operation: 'sweep' });
    } catch {
      // A reporter that throws must not turn into an unhandled rejection from a timer.
    }
  }
}
