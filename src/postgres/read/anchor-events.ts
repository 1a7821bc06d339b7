/**
 * The user-anchored event read with the limit pushed into SQL.
 *
 * A read fetches only the newest `limit` events (the window). trpc-agent-go's filter
 * (filterEvents) is defined over the whole history, so this module derives, from the window
 * alone, the same result in the common case and asks for exactly one more fact in the rare ones:
 *
 * 1. Time bound (eventTime, or now - sessionTtl): the filter starts at the FIRST event in history
 *    whose own timestamp is >= the bound. If the window's first event qualifies, or some earlier
 *    event does (one EXISTS-style lookup), the cut is at or before the window and the window
 *    stands; otherwise the cut is inside the window, at its first qualifying event (or nothing).
 * 2. The anchor: the result starts at the first user message of what is left; when there is none,
 *    the last user message of the whole history goes in front: found in the window's cut-off
 *    part when there is one, else by one lookup of the newest user message before the window.
 */
import type { Event } from '../../session/event.js';
import { isUserMessage } from '../../session/event.js';
import { filterEvents } from '../../session/session.js';
import { compareTime } from '../../session/time.js';

/** A fetched event with its row id (the keyset cursor for the lookups before it). */
export interface WindowEvent {
  rowId: string;
  event: Event;
}

/** The lookups of the rare cases, each one query over the events stored before a row. */
export interface EarlierEvents {
  /** Whether an event stored before row `rowId` has its own timestamp at or after `bound`. */
  hasAtOrAfter(rowId: string, bound: Date): Promise<boolean>;
  /** The newest user message stored before row `rowId`. */
  lastUserBefore(rowId: string): Promise<Event | undefined>;
}

export interface WindowRead {
  /** The newest events, oldest first: at most `limit` of them. */
  window: readonly WindowEvent[];
  /** The limit the window was fetched with (> 0), or null when every event was fetched. */
  limit: number | null;
  /** The time bound, when there is one. */
  bound: Date | undefined;
}

/**
 * The events a read returns: exactly `filterEvents(allEvents, { eventNum: limit, eventTime: bound })`,
 * computed from the window plus at most two lookups.
 */
export async function anchorEvents(read: WindowRead, earlier: EarlierEvents): Promise<Event[]> {
  const { window, limit, bound } = read;
  const events = window.map((w) => w.event);
  // A window shorter than the limit is the whole history: the filter applies as it is.
  if (limit === null || window.length < limit) {
    return filterEvents(events, { eventNum: limit ?? 0, eventTime: bound });
  }
  const first = window[0];
  if (!first) return [];

  let kept = events;
  let cut = 0;
  if (bound && compareTime(first.event.timestamp, bound) < 0) {
    const earlierQualifies = await earlier.hasAtOrAfter(first.rowId, bound);
    if (!earlierQualifies) {
      cut = events.findIndex((event) => compareTime(event.timestamp, bound) >= 0);
      kept = cut >= 0 ? events.slice(cut) : [];
      if (cut < 0) cut = events.length;
    }
  }

  const firstUser = kept.findIndex(isUserMessage);
  if (firstUser >= 0) return kept.slice(firstUser);

  // No user message left: the last one of the whole history goes in front. The window is the
  // newest part of the history, so its cut-off part is searched before anything older.
  for (let i = cut - 1; i >= 0; i--) {
    const candidate = events[i]!;
    if (isUserMessage(candidate)) return [candidate, ...kept];
  }
  const older = await earlier.lastUserBefore(first.rowId);
  return older ? [older, ...kept] : [];
}
