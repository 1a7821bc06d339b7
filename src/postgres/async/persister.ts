/**
 * Asynchronous persistence (trpc-agent-go's WithEnableAsyncPersist), generic over what is
 * written: a fixed set of workers, each with a bounded FIFO queue; an item always goes to the
 * worker its shard key picks (a session's hash), so one session's items are written in order.
 * A free worker takes everything queued (up to a batch size) and writes it in one call.
 *
 * Where the Go code loses data, this does not: failed writes are reported (onError and the next
 * flush), transient failures are retried, a write after close() is refused with CLOSED rather
 * than dropped, and close() drains every accepted item.
 */
import { AgentSessionsError, ClosedError, StorageError } from '../../session/errors.js';
import { type SessionKey, sessionKeyId } from '../../session/keys.js';
import type { PersisterObserver } from '../../session/observers.js';
import { isTransientError, SqlConfigError, sqlState } from '../../sql/errors.js';
import { asConfigError, redactSecrets } from '../connection/connection-string.js';
import { redactCause } from '../connection/secrets.js';
import { AsyncWriteError, EnqueueAbortedError } from './errors.js';
import { type BatchWriter, type GaveUp, type Outage, type RetryPolicy, writeReliably } from './retry.js';

export { AsyncWriteError, EnqueueAbortedError } from './errors.js';
export type { BatchAttempt, BatchWriter } from './retry.js';

export const DEFAULT_PERSISTER_CAPACITY = 1000;
export const DEFAULT_PERSISTER_MAX_BATCH = 500;
export const DEFAULT_PERSISTER_MAX_RETRY_MS = 60_000;
export const DEFAULT_PERSISTER_MAX_BATCH_WEIGHT = 16 * 1024 * 1024;

/**
 * What `onError` is told about a write that was not stored. A type, not an interface, so a
 * service's ErrorReporter (whose context has an index signature) is accepted as `onError`.
 */
export type PersistFailure<Item> = {
  operation: string;
  key: SessionKey;
  item: Item;
};

export interface AsyncPersisterOptions<Item extends { readonly key: SessionKey }> {
  /** Names the writes in errors and reports, e.g. `appendEvent`. */
  operation: string;
  /**
   * The shard key of an item (a non-negative integer); the item goes to worker `shard % workers`.
   * Items of one session must share it: that is what keeps their order.
   */
  shardOf(item: Item): number;
  /** Writes a batch in one round trip; see {@link BatchWriter}. */
  writeBatch: BatchWriter<Item>;
  /**
   * Told, once per item, of every write that failed for good. Called from background work:
   * whatever it throws is ignored.
   */
  onError: (error: Error, context: PersistFailure<Item>) => void;
  /** Hides the service's secrets in the messages of the errors it reports (default: patterns only). */
  redact?: (text: string) => string;
  /** Worker count (asyncPersisterNum), default 10. */
  workers?: number;
  /** Items each worker may hold queued before enqueue waits, default 1000. */
  capacity?: number;
  /** Most items written in one call, default 500. */
  maxBatchSize?: number;
  /**
   * The size of an item (e.g. its JSON length), and the most a batch may weigh (default 16 MiB):
   * a batch stops growing at that weight, so 500 events with large attachments never become one
   * statement of hundreds of megabytes. A batch always takes at least one item.
   */
  weigh?: (item: Item) => number;
  maxBatchWeight?: number;
  /** How long a batch is retried after its first transient failure, default 60 s. */
  maxRetryMs?: number;
  /** First retry delay, default 50 ms; doubled per attempt up to `retryCapMs` (default 5 s). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Which writer errors are worth retrying; default: lost connections, deadlocks and the like. */
  isTransient?: (error: unknown) => boolean;
  /** Told of acceptances, batches, failures and retries (metrics, logs). */
  observer?: PersisterObserver;
}

interface Waiter<Item> {
  item: Item;
  /** performance.now() when it began waiting (for the observer). */
  since: number;
  resolve(): void;
  reject(error: Error): void;
  detach(): void;
}

interface Milestone {
  /** Resolve once this many items of the worker have settled. */
  seq: number;
  resolve(): void;
}

interface Worker<Item> {
  queue: Item[];
  /** Callers waiting for room, in arrival order (a Set keeps insertion order and deletes in O(1)). */
  waiters: Set<Waiter<Item>>;
  /** Items ever accepted into the queue. */
  accepted: number;
  /** Items ever settled (stored or reported): always a prefix of the accepted ones. */
  settled: number;
  milestones: Milestone[];
  running: boolean;
  outage: Outage;
}

/**
 * Failures that belong to the rows of some sessions, not to the database: lock_not_available
 * (lock_timeout), deadlock_detected and serialization_failure. The sessions that do not hold
 * these rows are written at once; only the held one waits (see writeReliably).
 */
const CONTENTION_STATES = new Set(['55P03', '40P01', '40001']);

function isContention(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && CONTENTION_STATES.has(state);
}

/** Which session an item belongs to, as a string (a batch hit by contention is split along it). */
function sessionOf(item: unknown): string {
  return sessionKeyId((item as { key: SessionKey }).key);
}

function positiveInt(field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new RangeError(`AsyncPersister: ${field} must be an integer >= 1, got ${value}`);
  }
  return v;
}

/**
 * Batched, ordered, bounded background writes with nothing silently lost.
 *
 * - `enqueue(item)` resolves once the item is accepted; when its worker's queue is full it waits
 *   for room (first come, first served), so memory stays bounded however fast callers go.
 * - `flush()` resolves when every item accepted before the call is stored, and rejects (once)
 *   with an {@link AsyncWriteError} if writes failed since the last flush.
 * - `close()` refuses new items (CLOSED), writes everything accepted, and resolves; idempotent.
 */
export class AsyncPersister<Item extends { readonly key: SessionKey }> {
  readonly #operation: string;
  readonly #shardOf: (item: Item) => number;
  readonly #write: BatchWriter<Item>;
  readonly #onError: (error: Error, context: PersistFailure<Item>) => void;
  readonly #capacity: number;
  readonly #maxBatch: number;
  readonly #weigh: ((item: Item) => number) | undefined;
  readonly #maxWeight: number;
  readonly #policy: RetryPolicy;
  readonly #workers: Worker<Item>[];
  readonly #observer: PersisterObserver | undefined;
  #failed = 0;
  #firstFailure: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #refusal: (w: Worker<Item>) => StorageError | undefined;

  constructor(options: AsyncPersisterOptions<Item>) {
    const workers = positiveInt('workers', options.workers, 10);
    this.#capacity = positiveInt('capacity', options.capacity, DEFAULT_PERSISTER_CAPACITY);
    this.#maxBatch = positiveInt('maxBatchSize', options.maxBatchSize, DEFAULT_PERSISTER_MAX_BATCH);
    this.#weigh = options.weigh;
    this.#maxWeight = positiveInt(
      'maxBatchWeight',
      options.maxBatchWeight,
      DEFAULT_PERSISTER_MAX_BATCH_WEIGHT,
    );
    const operation = options.operation;
    this.#operation = operation;
    this.#shardOf = options.shardOf;
    this.#write = options.writeBatch;
    this.#onError = options.onError;
    const observer = options.observer;
    this.#observer = observer;
    this.#policy = {
      baseMs: positiveInt('retryBaseMs', options.retryBaseMs, 50),
      capMs: positiveInt('retryCapMs', options.retryCapMs, 5_000),
      maxRetryMs: positiveInt('maxRetryMs', options.maxRetryMs, DEFAULT_PERSISTER_MAX_RETRY_MS),
      isTransient: options.isTransient ?? isTransientError,
      isContention,
      groupOf: sessionOf,
      failure: (error, timing) => asStorageError(operation, error, timing, options.redact ?? redactSecrets),
      onRetry: observer?.retrying
        ? (error, attempt, delayMs) => observer.retrying?.(operation, error, attempt, delayMs)
        : undefined,
    };
    this.#workers = Array.from({ length: workers }, () => ({
      queue: [],
      waiters: new Set(),
      accepted: 0,
      settled: 0,
      milestones: [],
      running: false,
      outage: { since: undefined },
    }));
    const redact = options.redact ?? redactSecrets;
    this.#refusal = (w) => refusal(operation, w.outage, this.#policy.maxRetryMs, redact);
  }

  /** Items queued and not yet taken by a worker (for metrics). At most `capacity` per worker. */
  get depth(): number {
    let n = 0;
    for (const w of this.#workers) n += w.queue.length;
    return n;
  }

  /** Accepted items not yet stored or reported: queued or in a batch being written. */
  get pending(): number {
    let n = 0;
    for (const w of this.#workers) n += w.accepted - w.settled;
    return n;
  }

  /** Callers waiting for room in a full queue (for metrics). */
  get waiting(): number {
    let n = 0;
    for (const w of this.#workers) n += w.waiters.size;
    return n;
  }

  /**
   * Hands `item` to its worker. Resolves once accepted: from then on it is written, or reported
   * to onError and the next flush. Waits while the queue is full.
   *
   * @throws ClosedError (CLOSED) after close(); EnqueueAbortedError (INVALID_ARGUMENT, name
   *   AbortError) when `signal` is aborted before the item is accepted; StorageError (STORAGE)
   *   while the worker's database outage has lasted longer than the retry window and the worker
   *   is still failing its backlog (also for callers that were waiting for room then). In each
   *   case the item was not accepted.
   */
  enqueue(item: Item, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError(this.#operation));
    if (signal?.aborted) return Promise.reject(new EnqueueAbortedError(this.#operation, signal.reason));
    const w = this.#workerOf(item);
    const refused = this.#refusal(w);
    if (refused) return Promise.reject(refused);
    // Queue only behind no one: an item must not overtake earlier callers still waiting, or a
    // session's later event could be written before its earlier one.
    if (w.waiters.size === 0 && w.queue.length < this.#capacity) {
      this.#accept(w, item);
      this.#observer?.accepted?.(this.#operation, 0);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (!w.waiters.delete(waiter)) return;
        reject(new EnqueueAbortedError(this.#operation, signal!.reason));
      };
      const waiter: Waiter<Item> = {
        item,
        since: this.#observer ? performance.now() : 0,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      w.waiters.add(waiter);
    });
  }

  /**
   * Resolves when every item accepted before this call is stored or reported. Rejects with an
   * {@link AsyncWriteError} (code STORAGE: the count and the first cause) when writes failed for
   * good since the last flush; the failures are then cleared, so the next flush reports only new
   * ones. Allowed after close(), to collect the last failures.
   */
  async flush(): Promise<void> {
    await Promise.all(this.#workers.map((w) => this.#settledThrough(w, w.accepted)));
    this.#throwFailures();
  }

  /**
   * Takes no more items (enqueue fails with CLOSED), lets callers already waiting for room in,
   * writes everything accepted, and resolves when done. Failures were given to onError; the next
   * flush() reports them. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= Promise.all(this.#workers.map((w) => this.#drained(w))).then(() => undefined);
    return this.#closing;
  }

  #workerOf(item: Item): Worker<Item> {
    const shard = this.#shardOf(item);
    const index = Number.isFinite(shard) ? Math.abs(Math.trunc(shard)) % this.#workers.length : 0;
    return this.#workers[index]!;
  }

  #accept(w: Worker<Item>, item: Item): void {
    w.queue.push(item);
    w.accepted++;
    if (!w.running) {
      w.running = true;
      // Start on the next turn of the event loop rather than now: appends made in the same turn
      // (a burst, or a loop of awaited enqueues) then leave together in the first batch.
      setImmediate(() => void this.#run(w));
    }
  }

  /**
   * Moves waiting callers into the queue, oldest first, while there is room; refuses them all
   * while the worker's outage has outlasted the retry window (they were never accepted).
   */
  #admit(w: Worker<Item>): void {
    const refused = w.waiters.size > 0 ? this.#refusal(w) : undefined;
    for (const waiter of w.waiters) {
      if (refused) {
        w.waiters.delete(waiter);
        waiter.detach();
        waiter.reject(refused);
        continue;
      }
      if (w.queue.length >= this.#capacity) return;
      w.waiters.delete(waiter);
      waiter.detach();
      this.#accept(w, waiter.item);
      this.#observer?.accepted?.(this.#operation, performance.now() - waiter.since);
      waiter.resolve();
    }
  }

  async #run(w: Worker<Item>): Promise<void> {
    try {
      while (w.queue.length > 0) {
        const batch = w.queue.splice(0, this.#batchLength(w.queue));
        this.#admit(w);
        const started = performance.now();
        const results = await writeReliably(batch, this.#write, this.#policy, w.outage).catch(
          (error: unknown) => batch.map(() => this.#policy.failure(error, undefined)),
        );
        results.forEach((error, i) => {
          if (error) this.#fail(error, batch[i]!);
        });
        this.#observer?.batch?.(this.#operation, batch.length, performance.now() - started);
        w.settled += batch.length;
        this.#reachMilestones(w);
      }
    } finally {
      w.running = false;
      // Idle: nothing is being tried, so nothing tells whether the database is still failing. The
      // next item starts a retry window of its own rather than being tried once and reported.
      w.outage = { since: undefined };
    }
  }

  /** How many queued items the next batch takes: up to the count and weight limits, at least one. */
  #batchLength(queue: readonly Item[]): number {
    const max = Math.min(queue.length, this.#maxBatch);
    if (!this.#weigh) return max;
    let weight = 0;
    for (let i = 0; i < max; i++) {
      weight += this.#weigh(queue[i]!);
      if (weight > this.#maxWeight) return Math.max(i, 1);
    }
    return max;
  }

  #fail(error: Error, item: Item): void {
    this.#failed++;
    this.#firstFailure ??= error;
    try {
      this.#observer?.failed?.(this.#operation, error);
      this.#onError(error, { operation: this.#operation, key: item.key, item });
    } catch {
      // A reporter that throws must not stop the worker; the failure still reaches flush().
    }
  }

  #throwFailures(): void {
    if (this.#failed === 0) return;
    const error = new AsyncWriteError(this.#operation, this.#failed, this.#firstFailure!);
    this.#failed = 0;
    this.#firstFailure = undefined;
    throw error;
  }

  #settledThrough(w: Worker<Item>, seq: number): Promise<void> {
    if (w.settled >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      // Flushes capture ever larger `accepted` counts, so the list stays sorted by seq.
      w.milestones.push({ seq, resolve });
    });
  }

  #reachMilestones(w: Worker<Item>): void {
    while (w.milestones.length > 0 && w.milestones[0]!.seq <= w.settled) w.milestones.shift()!.resolve();
  }

  /** Resolves when the worker has no one waiting, nothing queued and nothing in flight. */
  async #drained(w: Worker<Item>): Promise<void> {
    while (w.waiters.size > 0 || w.settled < w.accepted) {
      // Waiters only wait behind a full queue, which a running worker empties; admitting here as
      // well guarantees progress (no spinning on an already reached milestone).
      if (w.settled >= w.accepted) this.#admit(w);
      await this.#settledThrough(w, w.accepted);
    }
  }
}

/**
 * The error refusing a new item while its worker's outage has outlasted the retry window and the
 * worker is still failing its backlog: accepting it would only mean reporting it as failed a
 * moment later, after the caller was told it was accepted.
 */
function refusal(
  operation: string,
  outage: Outage,
  maxRetryMs: number,
  redact: (text: string) => string,
): StorageError | undefined {
  if (outage.since === undefined) return undefined;
  const elapsed = Date.now() - outage.since;
  if (elapsed < maxRetryMs) return undefined;
  return new StorageError(
    `${operation} refused: the database has been failing for ${elapsed} ms, longer than the retry window (${maxRetryMs} ms); not accepted`,
    { cause: redactCause(outage.error, redact) },
  );
}

/** The error reported for an item: ours as they are, a driver's wrapped with the operation named. */
function asStorageError(
  operation: string,
  error: unknown,
  timing: GaveUp | undefined,
  redact: (text: string) => string,
): Error {
  if (error instanceof AgentSessionsError) return error;
  if (error instanceof SqlConfigError) return asConfigError(error);
  const message = error instanceof Error ? error.message || error.name : String(error);
  return new StorageError(redact(`${operation} failed${gaveUpNote(timing)}: ${message}`), {
    cause: redactCause(error, redact),
  });
}

/** What the report of a write given up on says about its retries: only what happened. */
function gaveUpNote(timing: GaveUp | undefined): string {
  if (timing === undefined) return '';
  if ('retriedForMs' in timing) return ` (still failing after retrying for ${timing.retriedForMs} ms)`;
  return ` (tried once, not retried: the database had been failing for ${timing.outageMs} ms, longer than the retry window)`;
}
