import { eventMatchesFilter } from '../session/event.js';
import { keyOfSession, type Session } from '../session/session.js';
import { FULL_SESSION_FILTER_KEY, type Summary } from '../session/summary.js';
import { copyTime, newBoundary } from './delta.js';
import { withSummaryLock } from './lock.js';
import { type SummaryPolicy, summaryTargets } from './policy.js';
import { type SummarizeSessionInput, summarizeSession } from './summarize-session.js';

/**
 * Where a backend keeps a new summary (an upsert by session and filter key). It receives the
 * summary object also placed on the caller's session, so it must copy what it keeps.
 */
export type SummaryStore = (filterKey: string, summary: Summary) => Promise<void> | void;

export interface SummarizeTargetInput extends SummarizeSessionInput {
  store: SummaryStore;
  /**
   * The storage `store` writes to (default `''`): summaries of one session and filter key take
   * turns within a scope and never wait for those of another (see {@link withSummaryLock}).
   */
  lockScope?: string | undefined;
}

/** A deep copy of a summary, with its boundary's filter key set to `filterKey`. */
export function copySummary(summary: Summary, filterKey?: string): Summary {
  const copy: Summary = { summary: summary.summary, updated_at: copyTime(summary.updated_at) };
  if (summary.topics?.length) copy.topics = [...summary.topics];
  const { boundary } = summary;
  if (boundary) {
    copy.boundary = newBoundary(
      filterKey ?? boundary.filter_key ?? '',
      boundary.cutoff_at,
      boundary.last_event_id,
    );
    copy.boundary.version = boundary.version;
  }
  return copy;
}

/** Sets an own property, so a filter key named `__proto__` cannot replace a plain object's prototype. */
function recordOnSession(session: Session, filterKey: string, summary: Summary): void {
  if (!session.summaries) session.summaries = Object.create(null) as Session['summaries'];
  Object.defineProperty(session.summaries, filterKey, {
    value: summary,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Summarizes one filter key (trpc-agent-go's CreateSessionSummary): under the lock of that
 * session and key, so two jobs for the same target never read the same previous summary, it
 * summarizes, puts the summary on `session.summaries` and stores it. Returns it, or null when
 * nothing changed. An abort of `signal` ends the wait for the lock and the summarizer's call at
 * once (rejecting with its reason); once the summary is being stored, the store runs to its end,
 * so a call never reports an abort for a summary it stored.
 */
export function summarizeTarget(input: SummarizeTargetInput): Promise<Summary | null> {
  const { session, filterKey, store, signal, lockScope } = input;
  return withSummaryLock(
    keyOfSession(session),
    filterKey,
    async () => {
      const summary = await summarizeSession(input);
      if (!summary) return null;
      signal?.throwIfAborted();
      recordOnSession(session, filterKey, summary);
      await store(filterKey, summary);
      return summary;
    },
    { signal, scope: lockScope },
  );
}

/** Whether every event of the session belongs to `filterKey`, so its summary is the full one. */
function allEventsMatch(session: Session, filterKey: string): boolean {
  return (session.events ?? []).every((event) => eventMatchesFilter(event, filterKey));
}

export interface SummaryCascadeInput extends SummarizeTargetInput, SummaryPolicy {}

/**
 * A summary job (trpc-agent-go's CreateSessionSummaryWithCascade): refreshes every target of
 * {@link summaryTargets}. With two targets whose inputs are the same (every event of the session
 * matches the branch key), the summarizer runs once and its summary is stored for both keys;
 * otherwise both run side by side, and the first failure is thrown after both have settled.
 */
export async function runSummaryCascade(input: SummaryCascadeInput): Promise<void> {
  const { session, filterKey, signal, store, lockScope } = input;
  const targets = summaryTargets(filterKey, input);
  if (targets.length === 0) return;
  if (targets.length === 1) {
    await summarizeTarget({ ...input, filterKey: targets[0]! });
    return;
  }
  if (allEventsMatch(session, filterKey)) {
    const summary = await summarizeTarget(input);
    if (!summary) return;
    const full = copySummary(summary, FULL_SESSION_FILTER_KEY);
    await withSummaryLock(
      keyOfSession(session),
      FULL_SESSION_FILTER_KEY,
      async () => {
        signal?.throwIfAborted();
        recordOnSession(session, FULL_SESSION_FILTER_KEY, full);
        await store(FULL_SESSION_FILTER_KEY, full);
      },
      { signal, scope: lockScope },
    );
    return;
  }
  const results = await Promise.allSettled(
    targets.map((target) => summarizeTarget({ ...input, filterKey: target })),
  );
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
