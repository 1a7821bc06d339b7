import { readCallerValue } from './errors.js';
import { type Event, isPersistableEvent, isUserMessage } from './event.js';
import type { SessionKey } from './keys.js';
import { copyBytes, newStateMap, type StateMap, TRACKS_STATE_KEY } from './state.js';
import type { Summary } from './summary.js';
import { compareTime } from './time.js';
import { addTrackEvent, type TrackEvent, type TrackEvents } from './track.js';

/** One conversation of one user with one app, as a backend returns it. */
export interface Session {
  id: string;
  appName: string;
  userId: string;
  /** Session state, with the app's and user's shared state merged in under `app:` and `user:`. */
  state: StateMap;
  /**
   * Stored events, oldest first, limited by `eventNum` / `eventTime` and user-anchored as
   * trpc-agent-go reads them: the list starts at a user message, so a model never sees a reply
   * without its question.
   */
  events: Event[];
  /** Track events by track name. */
  tracks: Record<string, TrackEvents>;
  /** Summaries by filter key (`''` is the full-session summary). */
  summaries: Record<string, Summary>;
  createdAt: Date;
  updatedAt: Date;
}

export function newSession(key: SessionKey, now: Date, state: StateMap = newStateMap()): Session {
  return {
    id: key.sessionId,
    appName: key.appName,
    userId: key.userId,
    state,
    events: [],
    tracks: {},
    summaries: {},
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Where a store keeps, on a session object it returns, the creation time of the stored session the
 * object describes. Not enumerable: copies (spread, structuredClone) and objects made by hand do
 * not carry it.
 */
const STORED_CREATED_AT = Symbol('agent-sessions.storedCreatedAt');

/** Marks a session object a store returns with its stored session's creation time. */
export function markStoredIncarnation(session: Session, createdAt: Date): Session {
  Object.defineProperty(session, STORED_CREATED_AT, {
    value: createdAt,
    enumerable: false,
    configurable: true,
  });
  return session;
}

/**
 * The creation time of the stored session this object was returned for, which tells that session
 * from one created later under the same key; undefined for an object made by hand or copied.
 */
export function storedIncarnation(session: Session): Date | undefined {
  const value: unknown = (session as { [STORED_CREATED_AT]?: unknown })[STORED_CREATED_AT];
  return value instanceof Date ? value : undefined;
}

export function keyOfSession(session: Pick<Session, 'appName' | 'userId' | 'id'>): SessionKey {
  return { appName: session.appName, userId: session.userId, sessionId: session.id };
}

export interface EventFilter {
  /** Keep at most this many of the newest events; 0 or absent keeps all. */
  eventNum?: number | undefined;
  /** Start at the first event whose own timestamp is at or after this time. */
  eventTime?: Date | undefined;
}

/**
 * The read filter of trpc-agent-go (ApplyEventFiltering), exactly:
 * 1. with `eventTime`, drop everything before the first event whose timestamp is >= eventTime
 *    (none: nothing is left);
 * 2. with `eventNum` > 0, keep the last `eventNum`;
 * 3. start at the first user message that is left;
 * 4. if none is left, put the last user message of the unfiltered list in front of what is left
 *    (so the result can hold eventNum + 1 events); if the list has no user message at all, [].
 * The result always starts with a user message, so a model never sees a reply without its question.
 */
export function filterEvents(events: readonly Event[], filter: EventFilter = {}): Event[] {
  let kept = events.slice();
  if (filter.eventTime) {
    const { eventTime } = filter;
    const start = kept.findIndex((event) => compareTime(event.timestamp, eventTime) >= 0);
    kept = start >= 0 ? kept.slice(start) : [];
  }
  const eventNum = filter.eventNum ?? 0;
  if (eventNum > 0 && kept.length > eventNum) kept = kept.slice(kept.length - eventNum);
  const firstUser = kept.findIndex(isUserMessage);
  if (firstUser >= 0) return kept.slice(firstUser);
  const lastUser = events.findLast(isUserMessage);
  return lastUser ? [lastUser, ...kept] : [];
}

/**
 * Whether {@link filterEvents} would return `events` unchanged: nothing is past the limit, the
 * first event is not before the time bound, and it is a user message. Re-filtering after each
 * append copies the whole list, which for a long session made every append cost a copy of it
 * (and its garbage); this check is constant time.
 */
function filterKeepsAll(events: readonly Event[], filter: EventFilter): boolean {
  const first = events[0];
  if (first === undefined || !isUserMessage(first)) return false;
  const eventNum = filter.eventNum ?? 0;
  if (eventNum > 0 && events.length > eventNum) return false;
  return !filter.eventTime || compareTime(first.timestamp, filter.eventTime) >= 0;
}

/**
 * Applies an appended event to the caller's in-memory session, as trpc-agent-go's
 * UpdateUserSession: a stored event is added and the events re-filtered (which also anchors them
 * on a user message); `updatedAt` moves; the state delta is applied whether or not the event is
 * stored (keys are set, never removed; null is a value).
 */
export function applyEventToSession(session: Session, event: Event, filter: EventFilter, now: Date): void {
  if (isPersistableEvent(event)) {
    session.events.push(event);
    if (!filterKeepsAll(session.events, filter)) session.events = filterEvents(session.events, filter);
  }
  session.updatedAt = now;
  if (event.stateDelta) {
    if (!session.state) session.state = newStateMap();
    for (const [key, value] of Object.entries(event.stateDelta))
      session.state[key] = value === null ? null : copyBytes(value);
  }
}

/**
 * Applies an appended track event to the caller's session object: the event under its track,
 * the `tracks` index when it changed (`index`), `updatedAt`. The object is the caller's: a getter
 * or setter of it that throws is an INVALID_ARGUMENT naming the session, before anything is stored.
 */
export function applyTrackEventToSession(
  session: Session,
  trackEvent: TrackEvent,
  index: Uint8Array | undefined,
  now: Date,
): void {
  readCallerValue('session', () => {
    session.state ??= newStateMap();
    if (index) session.state[TRACKS_STATE_KEY] = index;
    session.tracks ??= Object.create(null) as Session['tracks'];
    addTrackEvent(session.tracks, trackEvent);
    session.updatedAt = now;
  });
}

/** The caller's `tracks` index value, read through readCallerValue (see applyTrackEventToSession). */
export function callerTrackIndex(session: Session): Uint8Array | null {
  return readCallerValue('session', () => session.state?.[TRACKS_STATE_KEY] ?? null);
}
