/**
 * What createSessionSummary and enqueueSummaryJob do in every backend: check the arguments, apply
 * the allowlist, and summarize now or on the job queue (with the cascade to the full-session
 * summary). A backend supplies only where a summary is stored.
 */
import { checkFilterKey, checkForce, sessionArgKey } from '../session/arguments.js';
import type { Clock } from '../session/clock.js';
import { type SessionKey, sessionHash } from '../session/keys.js';
import type { Session } from '../session/session.js';
import type { SessionSummarizer } from '../session/summarizer.js';
import type { Summary } from '../session/summary.js';
import { runSummaryCascade, summarizeTarget } from './cascade.js';
import type { SummaryJobQueue } from './job-queue.js';
import { isFilterKeyAllowed } from './policy.js';

/** Stores one summary of the session `key` under a filter key. */
export type SummaryStore = (key: SessionKey) => (filterKey: string, summary: Summary) => void | Promise<void>;

export interface SummaryRunnerOptions {
  summarizer: SessionSummarizer | undefined;
  allowlist: readonly string[] | undefined;
  cascade: boolean;
  clock: Clock;
  /** The background queue; absent without a summarizer. */
  jobs: SummaryJobQueue | undefined;
  store: SummaryStore;
}

export class SummaryRunner {
  readonly #o: SummaryRunnerOptions;

  constructor(options: SummaryRunnerOptions) {
    this.#o = options;
  }

  /**
   * Summarizes one filter key now, in the caller (no cascade, as trpc-agent-go). Without a
   * summarizer it is a no-op before any validation, as Go's is.
   */
  async createNow(session: Session, filterKey: string, force: boolean): Promise<void> {
    const { summarizer, allowlist, clock, store } = this.#o;
    if (!summarizer) return;
    const key = sessionArgKey(session);
    checkFilterKey(filterKey);
    checkForce(force);
    if (!isFilterKeyAllowed(filterKey, allowlist)) return;
    await summarizeTarget({ session, filterKey, force, summarizer, clock, store: store(key) });
  }

  /** Queues a summary job (with the cascade); it runs in the caller when the queue is full. */
  async enqueue(session: Session, filterKey: string, force: boolean): Promise<void> {
    const { summarizer, allowlist, cascade, clock, jobs, store } = this.#o;
    if (!summarizer || !jobs) return;
    const key = sessionArgKey(session);
    checkFilterKey(filterKey);
    checkForce(force);
    await jobs.enqueue(
      sessionHash(key),
      (signal) =>
        runSummaryCascade({
          session,
          filterKey,
          force,
          summarizer,
          signal,
          clock,
          allowlist,
          cascade,
          store: store(key),
        }),
      { ...key, filterKey },
    );
  }
}
