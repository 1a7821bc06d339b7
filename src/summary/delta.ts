import { type Event, eventMatchesFilter } from '../session/event.js';
import {
  FULL_SESSION_FILTER_KEY,
  SUMMARY_BOUNDARY_VERSION,
  type Summary,
  type SummaryBoundary,
} from '../session/summary.js';
import { compareTime, isGoZeroTime, PreciseDate, subMillisecondNanos } from '../session/time.js';

/** A copy of a timestamp that keeps its nanoseconds and shares nothing with the original. */
export function copyTime(date: Date): Date {
  const nanos = subMillisecondNanos(date);
  return nanos === 0 ? new Date(date.getTime()) : new PreciseDate(date.getTime(), nanos);
}

/** Go's zero time (what an unset time.Time reads back as) counts as "no time". */
function isUnsetTime(date: Date | undefined): date is undefined {
  return date === undefined || isGoZeroTime(date);
}

/** A boundary, with `filter_key` present only when it is not the full session's `''`. */
export function newBoundary(filterKey: string, cutoffAt: Date, lastEventId?: string): SummaryBoundary {
  const boundary: SummaryBoundary = { version: SUMMARY_BOUNDARY_VERSION, cutoff_at: copyTime(cutoffAt) };
  if (filterKey !== FULL_SESSION_FILTER_KEY) boundary.filter_key = filterKey;
  if (lastEventId) boundary.last_event_id = lastEventId;
  return boundary;
}

/**
 * Where a stored summary stops. A summary written before boundaries existed stops at its
 * `updated_at`; a boundary without a cutoff borrows `updated_at`. Undefined when neither has a
 * time: then every event is new.
 */
export function cutoffBoundary(summary: Summary | undefined): SummaryBoundary | undefined {
  if (!summary) return undefined;
  const { boundary } = summary;
  if (boundary) {
    const cutoff = isUnsetTime(boundary.cutoff_at) ? summary.updated_at : boundary.cutoff_at;
    if (!isUnsetTime(cutoff)) {
      const copy: SummaryBoundary = { ...boundary, version: boundary.version || SUMMARY_BOUNDARY_VERSION };
      copy.cutoff_at = copyTime(cutoff);
      return copy;
    }
  }
  if (isUnsetTime(summary.updated_at)) return undefined;
  return newBoundary(FULL_SESSION_FILTER_KEY, summary.updated_at);
}

/** The events a new summary covers, and the boundary that would end after the last of them. */
export interface SummaryDelta {
  events: Event[];
  /**
   * The boundary after the delta: its last event in stored order, and the newest timestamp among
   * its events as the cutoff; undefined when empty.
   */
  latest: SummaryBoundary | undefined;
}

/**
 * The events after `boundary` that match `filterKey`. An exact boundary (its last event is still
 * in the list) resumes right after that event, in list order, so events sharing a timestamp are
 * neither lost nor repeated. Otherwise events at or after the cutoff time are taken: at, not
 * after, because an event with the cutoff's own timestamp may not have been covered, and
 * summarizing one twice is better than never.
 */
export function computeSummaryDelta(
  events: readonly Event[],
  boundary: SummaryBoundary | undefined,
  filterKey: string,
): SummaryDelta {
  let start = -1;
  if (boundary?.last_event_id) {
    const index = events.findIndex((event) => event.id === boundary.last_event_id);
    if (index >= 0) start = index + 1;
  }
  const cutoff = boundary && !isUnsetTime(boundary.cutoff_at) ? boundary.cutoff_at : undefined;
  const out: Event[] = [];
  let newest: Date | undefined;
  events.forEach((event, index) => {
    if (start >= 0 ? index < start : cutoff !== undefined && compareTime(event.timestamp, cutoff) < 0) return;
    if (filterKey !== FULL_SESSION_FILTER_KEY && !eventMatchesFilter(event, filterKey)) return;
    out.push(event);
    if (!newest || compareTime(event.timestamp, newest) > 0) newest = event.timestamp;
  });
  // The last event in stored order, not the one with the newest timestamp (Go's choice): an event
  // stamped before another but stored after it (two requests racing) is covered, so the next
  // delta, which resumes after this id, does not take it again. The cutoff stays the newest time,
  // so a reader falling back to the time (the id gone) skips both.
  const last = out.at(-1);
  return { events: out, latest: last ? newBoundary(filterKey, newest!, last.id) : undefined };
}
