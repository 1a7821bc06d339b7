/**
 * What createSessionSummary and enqueueSummaryJob do in every backend: check the arguments, apply
 * the allowlist, and summarize now or on the job queue (with the cascade to the full-session
 * summary), each call bounded by the job timeout, the caller's signal and the service's close().
 * A backend supplies only where a summary is stored and the scope of its summary lock.
 */
import { checkFilterKey, checkForce, checkSummaryCallOptions, sessionArgKey } from '../session/arguments.js';
import type { Clock } from '../session/clock.js';
import { CallAbortedError, ClosedError, SummaryTimeoutError } from '../session/errors.js';
import { type SessionKey, sessionHash } from '../session/keys.js';
import type { SummaryCallOptions } from '../session/options.js';
import type { Session } from '../session/session.js';
import type { SessionSummarizer } from '../session/summarizer.js';
import type { Summary } from '../session/summary.js';
import { boundedSignal } from './abort.js';
import { runSummaryCascade, summarizeTarget } from './cascade.js';
import type { SummaryJobQueue } from './job-queue.js';
import { isFilterKeyAllowed } from './policy.js';

/**
 * Stores one summary of the session `key` under a filter key. `createdAt` is the creation time of
 * the session the summary was made from: the store keeps the summary only while the live session
 * of that key is the same one (not deleted, and not deleted and created again since), and
 * otherwise stores nothing, without an error.
 */
export type SummaryStore = (
  key: SessionKey,
  createdAt: Date,
) => (filterKey: string, summary: Summary) => void | Promise<void>;

export interface SummaryRunnerOptions {
  summarizer: SessionSummarizer | undefined;
  allowlist: readonly string[] | undefined;
  cascade: boolean;
  clock: Clock;
  /** The background queue; absent without a summarizer. It bounds its jobs by its own timeout. */
  jobs: SummaryJobQueue | undefined;
  store: SummaryStore;
  /** `summaryJobTimeoutMs`: how long a summary made in the caller may take, lock wait included. */
  timeoutMs: number;
  /** Aborts when the service closes: summaries made in callers then end at once with `CLOSED`. */
  closed: AbortSignal;
  /**
   * The scope of the summary lock: the storage the summaries go to. Asked for on each call, as a
   * PostgreSQL service knows its connection only once it first needs it.
   */
  lockScope: () => string;
}

export class SummaryRunner {
  readonly #o: SummaryRunnerOptions;

  constructor(options: SummaryRunnerOptions) {
    this.#o = options;
  }

  /**
   * Summarizes one filter key now, in the caller (no cascade, as trpc-agent-go). Without a
   * summarizer it is a no-op before any validation, as Go's is. Rejects with `TIMEOUT` after
   * `timeoutMs`, an `AbortError` when `options.signal` aborts, `CLOSED` when the service closes,
   * whether the call is waiting for the session's summary lock or for the summarizer.
   */
  async createNow(
    session: Session,
    filterKey: string,
    force: boolean,
    options: SummaryCallOptions = {},
  ): Promise<void> {
    const { summarizer, allowlist, clock, store, timeoutMs, closed } = this.#o;
    if (!summarizer) return;
    const key = sessionArgKey(session);
    checkFilterKey(filterKey);
    checkForce(force);
    checkSummaryCallOptions(options);
    if (!isFilterKeyAllowed(filterKey, allowlist)) return;
    const operation = 'createSessionSummary';
    const call = boundedSignal({
      timeout: { ms: timeoutMs, error: () => new SummaryTimeoutError(operation, timeoutMs) },
      signals: [
        [closed, () => new ClosedError(operation)],
        [options.signal, (reason) => new CallAbortedError(operation, reason)],
      ],
    });
    try {
      await summarizeTarget({
        session,
        filterKey,
        force,
        summarizer,
        clock,
        store: store(key, session.createdAt),
        signal: call.signal,
        lockScope: this.#o.lockScope(),
      });
    } finally {
      call.done();
    }
  }

  /**
   * Queues a summary job (with the cascade); it runs in the caller when the queue is full. The
   * queue bounds it by its timeout and its close(); `options.signal` aborts it too, queued or
   * running (a queued job's abort goes to `onError`).
   */
  async enqueue(
    session: Session,
    filterKey: string,
    force: boolean,
    options: SummaryCallOptions = {},
  ): Promise<void> {
    const { summarizer, allowlist, cascade, clock, jobs, store } = this.#o;
    if (!summarizer || !jobs) return;
    const key = sessionArgKey(session);
    checkFilterKey(filterKey);
    checkForce(force);
    checkSummaryCallOptions(options);
    const operation = 'enqueueSummaryJob';
    const caller = options.signal;
    if (caller?.aborted) throw new CallAbortedError(operation, caller.reason);
    await jobs.enqueue(
      sessionHash(key),
      async (jobSignal) => {
        const job = boundedSignal({
          signals: [
            [jobSignal, (reason) => reason as Error],
            [caller, (reason) => new CallAbortedError(operation, reason)],
          ],
        });
        try {
          await runSummaryCascade({
            session,
            filterKey,
            force,
            summarizer,
            signal: job.signal,
            clock,
            allowlist,
            cascade,
            store: store(key, session.createdAt),
            lockScope: this.#o.lockScope(),
          });
        } finally {
          job.done();
        }
      },
      { ...key, filterKey },
    );
  }
}
