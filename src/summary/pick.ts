import { readCallerValue } from '../session/errors.js';
import type { Session } from '../session/session.js';
import { FULL_SESSION_FILTER_KEY, type Summary } from '../session/summary.js';
import { compareTime } from '../session/time.js';

/** A summary counts when it has text and is not older than `minTime` (the session's creation). */
function usable(summary: Summary | undefined, minTime: Date | undefined): summary is Summary {
  if (!summary?.summary) return false;
  if (!(minTime instanceof Date) || Number.isNaN(minTime.getTime())) return true;
  return compareTime(summary.updated_at, minTime) >= 0;
}

/**
 * The summary text for `filterKey` among `summaries`, falling back to the full-session summary
 * (trpc-agent-go's PickSummaryText). A summary older than `minTime` belongs to an earlier session
 * with the same id and is skipped. Undefined when none qualifies.
 */
export function pickSummaryText(
  summaries: Readonly<Record<string, Summary>> | ReadonlyMap<string, Summary> | undefined,
  filterKey: string,
  minTime?: Date,
): string | undefined {
  if (!summaries) return undefined;
  const get = (key: string): Summary | undefined =>
    summaries instanceof Map
      ? summaries.get(key)
      : Object.hasOwn(summaries, key)
        ? (summaries as Record<string, Summary>)[key]
        : undefined;
  const exact = get(filterKey);
  if (usable(exact, minTime)) return exact.summary;
  if (filterKey === FULL_SESSION_FILTER_KEY) return undefined;
  const full = get(FULL_SESSION_FILTER_KEY);
  return usable(full, minTime) ? full.summary : undefined;
}

/**
 * What getSessionSummaryText finds in the caller's session object: its creation time (the oldest
 * summary it takes) and the summary text it carries itself. Read through readCallerValue: a
 * getter or Proxy trap of the caller's that throws is an INVALID_ARGUMENT naming the session.
 */
export function ownSummaryText(
  session: Session,
  filterKey: string,
): { createdAt: Date | undefined; own: string | undefined } {
  return readCallerValue('session', () => {
    const createdAt = session.createdAt;
    return { createdAt, own: pickSummaryText(session.summaries, filterKey, createdAt) };
  });
}
