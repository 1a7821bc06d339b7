/**
 * replaceEvents: its validation (shared by every backend, so each refuses the same inputs with the
 * same error before anything is written) and its precondition checks.
 */
import { encodeEventsArg } from './arguments.js';
import { encodeStateMap } from './codec/index.js';
import { ConflictError, InvalidArgumentError, isCallerArray } from './errors.js';
import { type Event, isPersistableEvent } from './event.js';
import { checkSessionKey, checkStoredText, type SessionKey, sessionKeyOf } from './keys.js';
import { optionOf, type ReplaceEventsRequest } from './options.js';
import { APP_PREFIX, checkStateMap, copyState, type StateMap, USER_PREFIX } from './state.js';

/** A replaceEvents request, validated: the JSON of each event, and state snapshots. */
export interface ReplaceEventsArgs {
  key: SessionKey;
  /** Undefined: replace every event. */
  expectedEventIds: readonly string[] | undefined;
  /**
   * The events as validated, snapshots taken at the call (a caller changing its objects later
   * changes nothing): the JSON, whether it is stored, and its state delta (encodeStateMap text).
   */
  events: readonly ReplacementEvent[];
  /** The state delta as encodeStateMap wrote it, or undefined when there is none. */
  stateDelta: string | undefined;
  state: StateMap | undefined;
  expectedState: StateMap | undefined;
}

/** One event of a replaceEvents call, as validated. */
export interface ReplacementEvent {
  json: string;
  persistable: boolean;
  delta: string | undefined;
}

/** Validates a replaceEvents call, in the order its errors are reported: key, then request. */
export function replaceEventsArgs(key: SessionKey, request: ReplaceEventsRequest): ReplaceEventsArgs {
  checkSessionKey(key);
  if (request === null || typeof request !== 'object')
    throw new InvalidArgumentError('request', 'must be an object');
  // Each field read once, through optionOf: a getter that throws is refused naming it.
  const field = (name: keyof ReplaceEventsRequest) => optionOf(request, name, `request.${name}`);
  const expectedEventIds = expectedIdsArg(field('expectedEventIds'));
  const events = field('events') as readonly Event[];
  const eventJsons = encodeEventsArg(events);
  const requestState = field('state');
  let state: StateMap | undefined;
  if (requestState !== undefined) {
    checkSessionStateArg('request.state', requestState);
    state = copyState(requestState);
  }
  const requestExpectedState = field('expectedState');
  let expectedState: StateMap | undefined;
  if (requestExpectedState !== undefined) {
    checkStateMap('request.expectedState', requestExpectedState);
    expectedState = copyState(requestExpectedState);
  }
  return {
    key: sessionKeyOf(key),
    expectedEventIds,
    events: eventJsons.map((json, i) => {
      const event = events[i]!;
      const delta = event.stateDelta
        ? encodeStateMap(event.stateDelta, `events[${i}].stateDelta`)
        : undefined;
      return { json, persistable: isPersistableEvent(event), delta };
    }),
    stateDelta: state && Object.keys(state).length > 0 ? encodeStateMap(state, 'request.state') : undefined,
    state,
    expectedState,
  };
}

function expectedIdsArg(ids: unknown): string[] | undefined {
  if (ids === undefined) return undefined;
  if (!isCallerArray('request.expectedEventIds', ids))
    throw new InvalidArgumentError('request.expectedEventIds', 'must be an array of event ids');
  const count = optionOf(ids, 'length', 'request.expectedEventIds') as number;
  const checked: string[] = [];
  for (let i = 0; i < count; i++) {
    const field = `request.expectedEventIds[${i}]`;
    const id = optionOf(ids, String(i), field);
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError(field, 'must be a non-empty string');
    // An id no event can have would never match; refused as getEventWindow refuses such an anchor.
    checkStoredText(field, id);
    checked.push(id);
  }
  return checked;
}

/** A session-state map without `app:` or `user:` keys (those belong to other rows). */
function checkSessionStateArg(field: string, state: unknown): asserts state is StateMap {
  checkStateMap(field, state);
  for (const key of Object.keys(state)) {
    if (key.startsWith(APP_PREFIX) || key.startsWith(USER_PREFIX))
      throw new InvalidArgumentError(
        `${field}[${JSON.stringify(key)}]`,
        'must be a session key (no app: or user:)',
      );
  }
}

/**
 * Checks the preconditions against what is stored: `storedIds` are the ids of the session's
 * newest `expectedEventIds.length` events (fewer when it has fewer), oldest first, and `stored`
 * its own state. Throws CONFLICT naming the precondition that failed.
 */
export function checkReplacePreconditions(
  args: ReplaceEventsArgs,
  storedIds: readonly string[] | undefined,
  stored: StateMap,
): void {
  const expected = args.expectedEventIds;
  if (expected !== undefined) {
    const same = storedIds?.length === expected.length && expected.every((id, i) => storedIds[i] === id);
    if (!same) {
      throw new ConflictError(
        `replaceEvents: the session's newest events are not the expected ones (session ${args.key.sessionId})`,
        { field: 'request.expectedEventIds' },
      );
    }
  }
  for (const [stateKey, value] of Object.entries(args.expectedState ?? {})) {
    if (!sameValue(stored[stateKey] ?? null, value)) {
      throw new ConflictError(
        `replaceEvents: session state ${JSON.stringify(stateKey)} does not hold the expected value`,
        { field: `request.expectedState[${JSON.stringify(stateKey)}]` },
      );
    }
  }
}

function sameValue(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
