/**
 * Reading the newest part of a conversation as the history rewrites need it: the events with
 * their items, enough of them to cover a number of items, and how a suffix of items maps onto
 * whole events (the store replaces events, and an event a Go service wrote may hold several
 * items).
 */
import type { Event, Session, SessionKey, SessionService } from '../../index.js';
import { eventToItems, type Item, itemToEvent } from './item-event.js';

/** The largest page a read accepts (PostgreSQL's integer): every event of the session. */
export const ALL_EVENTS = 2_147_483_647;

/** What the rewrites need of the adapter's session. */
export interface HistoryStore {
  service: SessionService;
  key: SessionKey;
  /** The author of the events of model items. */
  author: string;
  /** Creates the store session; one another request created first is just as good. */
  create(): Promise<void>;
}

/**
 * The session with at least its newest `minItems` items' events (all events when it has fewer),
 * or null when it was never written. Pages double until they cover the items, so a suffix of a
 * long conversation costs a read of about that suffix.
 */
export async function readNewest(store: HistoryStore, minItems: number): Promise<Session | null> {
  let limit = Math.max(1, minItems);
  for (;;) {
    const session = await store.service.getSession(store.key, { eventPage: { offset: 0, limit } });
    if (!session) return null;
    const items = session.events.reduce((n, event) => n + eventToItems(event).length, 0);
    if (items >= minItems || session.events.length < limit || limit >= ALL_EVENTS) return session;
    limit = Math.min(ALL_EVENTS, limit * 2);
  }
}

/** The newest `count` items as stored, and the events that replacing them replaces. */
export interface Tail {
  /** The newest `count` items, oldest first. */
  items: Item[];
  /** The events holding them, oldest first (their ids are the replacement's precondition). */
  events: Event[];
  /**
   * What of those events is not in the suffix and must be stored again before the replacement:
   * the leading items of an event that holds more than the suffix's part, and events with no
   * item at all (a Go service's, which the items do not show), as they were.
   */
  keep: Event[];
}

/**
 * The tail of `events` (oldest first) that holds their newest `count` items, or undefined when
 * they hold fewer.
 */
export function tailOf(events: readonly Event[], count: number, store: HistoryStore): Tail | undefined {
  const perEvent = events.map((event) => eventToItems(event));
  let first = events.length;
  let covered = 0;
  while (covered < count && first > 0) covered += perEvent[--first]!.length;
  if (covered < count) return undefined;
  const now = new Date();
  const keep: Event[] = [];
  const items: Item[] = [];
  for (let i = first; i < events.length; i++) {
    const held = perEvent[i]!;
    if (held.length === 0) {
      keep.push(events[i]!);
      continue;
    }
    // Only the oldest covered event can hold items before the suffix.
    const lead = i === first ? covered - count : 0;
    for (const item of held.slice(0, lead)) keep.push(itemToEvent(item, { author: store.author, now }));
    items.push(...held.slice(lead));
  }
  return { items, events: events.slice(first), keep };
}
