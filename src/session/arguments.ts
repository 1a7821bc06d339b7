/**
 * Checks of arguments every backend's methods share; each throws an InvalidArgumentError naming
 * the argument before anything is written.
 */

import { randomUUID } from 'node:crypto';
import { encodeEvent } from './codec/index.js';
import { callerValueError, InvalidArgumentError, isCallerArray, readCallerValue } from './errors.js';
import type { Event } from './event.js';
import { goTrimSpace, isGoBlank } from './go-text.js';
import {
  checkSessionKey,
  checkStateKey,
  checkStoredText,
  checkUserKey,
  keyPartOf,
  type SessionKey,
} from './keys.js';
import {
  type AppendEventOptions,
  checkAppendEventOptions,
  checkEventWindowOptions,
  checkSignalOption,
  checkTrackEventsOptions,
  type EventWindowOptions,
  optionOf,
  type SummaryCallOptions,
  type SummaryTextOptions,
  type TrackEventsOptions,
} from './options.js';
import type { CreateSessionKey } from './service.js';
import { keyOfSession, type Session } from './session.js';
import { APP_PREFIX, checkStateMap, type StateMap, USER_PREFIX } from './state.js';
import type { TrackEvent } from './track.js';

/** Per-call options must be an object when given. */
export function checkOptionsObject(options: unknown): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options', 'must be an object');
}

/** The key of a session object passed to a write, validated (appName, userId, sessionId). */
export function sessionArgKey(session: Session): SessionKey {
  if (session === null || typeof session !== 'object')
    throw new InvalidArgumentError('session', 'is required');
  let key: SessionKey;
  try {
    key = keyOfSession(session);
  } catch (error) {
    // A getter of the caller's object that throws.
    throw callerValueError('session', error);
  }
  checkSessionKey(key);
  return key;
}

/**
 * The events of appendEvents, each encoded (which validates it): an array of event objects. The
 * JSON texts come back in order, so no event is refused after another was written.
 */
export function encodeEventsArg(events: unknown): string[] {
  if (!isCallerArray('events', events))
    throw new InvalidArgumentError('events', 'must be an array of events');
  // An index loop, not map: map skips the holes of a sparse array, which must be refused too.
  const jsons: string[] = [];
  const count = readCallerValue('events', () => events.length);
  for (let i = 0; i < count; i++) {
    const event: unknown = readCallerValue(`events[${i}]`, () => events[i]);
    if (event === null || typeof event !== 'object')
      throw new InvalidArgumentError(`events[${i}]`, 'must be an event object');
    jsons.push(encodeEvent(event as Event, `events[${i}]`));
  }
  return jsons;
}

/** A filter key names a summary row (VARCHAR(255)); `''` is the full session. */
export function checkFilterKey(filterKey: unknown): asserts filterKey is string {
  if (typeof filterKey !== 'string') throw new InvalidArgumentError('filterKey', 'must be a string');
  if (filterKey !== '') checkStateKey('filterKey', filterKey);
}

/** `force` of the summary calls must be a boolean. */
export function checkForce(force: unknown): asserts force is boolean {
  if (typeof force !== 'boolean') throw new InvalidArgumentError('force', 'must be a boolean');
}

/** The options of createSessionSummary and enqueueSummaryJob: an object whose `signal` is one. */
export function checkSummaryCallOptions(options: unknown): asserts options is SummaryCallOptions {
  checkOptionsObject(options);
  checkSignalOption(options as SummaryCallOptions);
}

/** The track event of appendTrackEvent: an object whose `track` is a valid state key. */
export function checkTrackEventArg(trackEvent: unknown): asserts trackEvent is TrackEvent {
  if (trackEvent === null || typeof trackEvent !== 'object')
    throw new InvalidArgumentError('trackEvent', 'is required');
  const track = readCallerValue('trackEvent.track', () => (trackEvent as TrackEvent).track);
  checkStateKey('trackEvent.track', track);
}

/** The arguments of getTrackEvents, in the order they are reported: key, track, options. */
export function checkTrackEventsArgs(key: SessionKey, track: unknown, options: TrackEventsOptions): void {
  checkSessionKey(key);
  checkStateKey('track', track);
  checkOptionsObject(options);
  checkTrackEventsOptions(options);
}

/**
 * The key of a session to create, checked (a UUID v4 when `sessionId` is absent or empty), after
 * checking the initial state when one is given.
 */
export function createSessionArgs(key: CreateSessionKey, state: StateMap | undefined): SessionKey {
  checkUserKey(key);
  const given = keyPartOf(key, 'sessionId');
  const sessionId = given === undefined || given === '' ? randomUUID() : (given as string);
  const sessionKey: SessionKey = { appName: key.appName, userId: key.userId, sessionId };
  checkSessionKey(sessionKey);
  if (state !== undefined && state !== null) checkStateMap('state', state);
  return sessionKey;
}

/** The arguments of appendEvent and appendEvents: the session's key, checked, then the options. */
export function appendArgs(session: Session, options: AppendEventOptions): SessionKey {
  const key = sessionArgKey(session);
  checkOptionsObject(options);
  checkAppendEventOptions(options);
  return key;
}

/** The arguments of getEventWindow, in the order they are reported; the anchor id, trimmed. */
export function eventWindowArgs(
  key: SessionKey,
  anchorEventId: unknown,
  options: EventWindowOptions,
): string {
  checkSessionKey(key);
  const anchorId = anchorIdArg(anchorEventId);
  checkEventWindowOptions(options);
  return anchorId;
}

/**
 * The anchor of getEventWindow: a non-blank event id, trimmed as Go trims it. An id no event can have (NUL, an
 * unpaired surrogate) is refused: sent to PostgreSQL it would fail, or, as the driver writes
 * U+FFFD for a lone surrogate, find an event whose id holds U+FFFD, where memory finds none.
 */
export function anchorIdArg(anchorEventId: unknown): string {
  if (typeof anchorEventId !== 'string' || isGoBlank(anchorEventId))
    throw new InvalidArgumentError('anchorEventId', 'is required');
  checkStoredText('anchorEventId', anchorEventId);
  return goTrimSpace(anchorEventId);
}

/**
 * What getSessionSummaryText looks up: the filter key (checked first, so a bad one is always an
 * error) and the session's key; undefined when the session is missing or its key is not valid,
 * which, as in trpc-agent-go, means no summary rather than an error.
 */
export function summaryTextArgs(
  session: Session | null | undefined,
  options: SummaryTextOptions,
): { key: SessionKey; filterKey: string } | undefined {
  checkOptionsObject(options);
  const filterKey = optionOf(options, 'filterKey') ?? '';
  checkFilterKey(filterKey);
  if (session === null || typeof session !== 'object') return undefined;
  const key = readCallerValue('session', () => keyOfSession(session));
  try {
    checkSessionKey(key);
  } catch {
    return undefined;
  }
  return { key, filterKey };
}

/** The prefixes updateSessionState refuses, with the call their keys belong to. */
const SCOPED_PREFIXES: readonly (readonly [prefix: string, owner: string])[] = [
  [APP_PREFIX, 'updateAppState'],
  [USER_PREFIX, 'updateUserState'],
];

/** The state of updateSessionState: a state map without `app:` or `user:` keys. */
export function checkSessionStateUpdate(state: unknown): asserts state is StateMap {
  checkStateMap('state', state);
  for (const key of Object.keys(state)) {
    for (const [prefix, owner] of SCOPED_PREFIXES) {
      if (key.startsWith(prefix))
        throw new InvalidArgumentError(`state[${JSON.stringify(key)}]`, `is not allowed: use ${owner}`);
    }
  }
}
