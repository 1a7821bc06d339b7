import { ClosedError, isAgentSessionsError, SummaryTimeoutError } from '../session/errors.js';
import type { SummaryJobMode, SummaryJobObserver } from '../session/observers.js';
import type { ErrorReporter } from '../session/service-options.js';
import { raceAbort } from './abort.js';

/** One unit of background work; it should stop when `signal` aborts (timeout or close). */
export type SummaryJob = (signal: AbortSignal) => Promise<void>;

export interface SummaryJobQueueOptions {
  /** Worker count, at least 1. A session always goes to the same worker, so its jobs run in order. */
  workers: number;
  /** Jobs that may wait per worker; when a worker's queue is full the job runs in the caller. */
  queueSize: number;
  /** Each job's signal aborts after this long, and the worker moves on. 0 means no limit. */
  jobTimeoutMs: number;
  /** Receives the failures of queued jobs (a job run in the caller rejects to the caller instead). */
  onError: ErrorReporter;
  /** Told of every job and how it ended (metrics, logs). */
  observer?: SummaryJobObserver;
}

interface Entry {
  job: SummaryJob;
  context: Record<string, unknown>;
}

interface Worker {
  queue: Entry[];
  busy: boolean;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function checkCount(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`SummaryJobQueue: ${field} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * The summary workers of trpc-agent-go's AsyncSummaryWorker: `workers` queues of `queueSize`
 * jobs each, a job going to queue `hash % workers` (the session's hash, so one session's jobs
 * never run concurrently in the queue). A full queue does not drop or block: the job runs in the
 * caller, as the Go code does. Failures of queued jobs go to `onError` and never become unhandled
 * rejections.
 */
export class SummaryJobQueue {
  readonly #options: SummaryJobQueueOptions;
  readonly #workers: Worker[];
  /** The running jobs' controllers, and whether each runs in a worker or in its caller. */
  readonly #running = new Map<AbortController, SummaryJobMode>();
  #pending = 0;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SummaryJobQueueOptions) {
    checkCount('workers', options.workers, 1);
    checkCount('queueSize', options.queueSize, 0);
    checkCount('jobTimeoutMs', options.jobTimeoutMs, 0);
    this.#options = { ...options };
    this.#workers = Array.from({ length: options.workers }, () => ({ queue: [], busy: false }));
  }

  /** Jobs queued or running (including those running in a caller). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Queues `job` on worker `hash % workers`. Resolves once queued; when that worker's queue is
   * full, runs the job here and settles with it (rejecting with its error). Rejects with a
   * `CLOSED` error after close().
   */
  enqueue(hash: number, job: SummaryJob, context: Record<string, unknown> = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError('enqueueSummaryJob'));
    const worker = this.#workers[Math.abs(Math.trunc(hash)) % this.#workers.length]!;
    this.#pending++;
    if (worker.queue.length >= this.#options.queueSize) {
      this.#options.observer?.enqueued?.('inline');
      return this.#execute(job, 'inline').finally(() => this.#settle());
    }
    this.#options.observer?.enqueued?.('queued');
    worker.queue.push({ job, context });
    if (!worker.busy) {
      worker.busy = true;
      void this.#work(worker);
    }
    return Promise.resolve();
  }

  /** Resolves when no job is queued or running; jobs added meanwhile are waited for too. */
  drain(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Takes no more jobs and aborts at once, with `CLOSED`, the jobs running in their callers (a
   * caller waiting on close must not wait for its summarizer). Drains the queued jobs for at most
   * one job timeout; then drops what is still queued (reporting each to `onError`) and aborts
   * what is running, with `CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    this.abortCallers();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#pending === 0) return;
    const drained = this.drain();
    const limit = this.#options.jobTimeoutMs;
    if (limit === 0) return drained;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), limit);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    for (const worker of this.#workers) {
      for (const entry of worker.queue.splice(0)) {
        const dropped = new ClosedError('summary job (dropped unstarted)');
        this.#options.observer?.finished?.('queued', 'dropped', 0, dropped);
        this.#report(dropped, entry.context);
        this.#settle();
      }
    }
    this.#abortRunning('queued', () => new ClosedError('summary job'));
    await drained;
  }

  /**
   * Aborts, with `CLOSED`, the jobs running in their callers now (close() does it too): a service
   * that has other work to drain before the queue's close() calls it first.
   */
  abortCallers(): void {
    this.#abortRunning('inline', () => new ClosedError('enqueueSummaryJob'));
  }

  #abortRunning(mode: SummaryJobMode, reason: () => Error): void {
    for (const [controller, running] of this.#running) if (running === mode) controller.abort(reason());
  }

  async #work(worker: Worker): Promise<void> {
    // Start on a later tick: enqueue() returns before any of the job's code runs.
    await Promise.resolve();
    try {
      for (let entry = worker.queue.shift(); entry; entry = worker.queue.shift()) {
        try {
          await this.#execute(entry.job, 'queued');
        } catch (error) {
          this.#report(error, entry.context);
        } finally {
          this.#settle();
        }
      }
    } finally {
      worker.busy = false;
    }
  }

  /** Runs one job with its own signal, aborted at the timeout; settles no later than that. */
  async #execute(job: SummaryJob, mode: SummaryJobMode): Promise<void> {
    const controller = new AbortController();
    const observer = this.#options.observer;
    const started = observer ? performance.now() : 0;
    const limit = this.#options.jobTimeoutMs;
    const timer =
      limit > 0
        ? setTimeout(() => controller.abort(new SummaryTimeoutError('summary job', limit)), limit)
        : undefined;
    this.#running.set(controller, mode);
    try {
      await raceAbort(
        Promise.resolve().then(() => job(controller.signal)),
        controller.signal,
      );
      observer?.finished?.(mode, 'ok', performance.now() - started);
    } catch (error) {
      const timedOut = isAgentSessionsError(controller.signal.reason, 'TIMEOUT');
      observer?.finished?.(mode, timedOut ? 'timed_out' : 'failed', performance.now() - started, error);
      throw error;
    } finally {
      clearTimeout(timer);
      this.#running.delete(controller);
    }
  }

  #settle(): void {
    this.#pending--;
    if (this.#pending > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #report(reason: unknown, context: Record<string, unknown>): void {
    try {
      this.#options.onError(asError(reason), { ...context, operation: 'summaryJob' });
    } catch {
      // A reporter that throws must not stop the worker or leave its queue stuck.
    }
  }
}
