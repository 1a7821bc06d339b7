import {
  APP_PREFIX,
  checkStateKey,
  checkStateMap,
  InvalidArgumentError,
  jsonValue,
  newStateMap,
  type StateMap,
  TEMP_PREFIX,
  USER_PREFIX,
} from '../../index.js';

/**
 * ADK state (plain JSON values by key) in the store's scopes. ADK keeps one flat map whose
 * prefixes say where a key lives; the store keeps session state on the session row and `app:` /
 * `user:` values in the shared app_states / user_states rows, which getSession merges back under
 * their prefixes. `temp:` keys live for one invocation and are never stored.
 */
export interface ScopedAdkState {
  /** Session keys, values as JSON bytes. */
  session: StateMap;
  /** `app:` keys without the prefix (updateAppState's form). */
  app: StateMap;
  /** `user:` keys without the prefix (updateUserState's form). */
  user: StateMap;
}

/**
 * Splits an ADK state map or state delta into the store's scopes, each value encoded as its JSON
 * text. A value JSON cannot hold (undefined, a function, a BigInt, a cycle) is refused with an
 * INVALID_ARGUMENT naming the key, before anything is written.
 */
export function splitAdkState(field: string, state: Record<string, unknown> | undefined): ScopedAdkState {
  const scoped: ScopedAdkState = { session: newStateMap(), app: newStateMap(), user: newStateMap() };
  if (state === undefined || state === null) return scoped;
  if (typeof state !== 'object' || Array.isArray(state))
    throw new InvalidArgumentError(field, 'must be an object of state values');
  for (const key of Object.keys(state)) {
    if (key.startsWith(TEMP_PREFIX)) continue;
    const value = encodeStateValue(`${field}[${JSON.stringify(key)}]`, state[key]);
    if (key.startsWith(APP_PREFIX)) scoped.app[key.slice(APP_PREFIX.length)] = value;
    else if (key.startsWith(USER_PREFIX)) scoped.user[key.slice(USER_PREFIX.length)] = value;
    else scoped.session[key] = value;
  }
  // The keys are checked here too, so a bad app:/user: key (`app:` alone names no row) fails
  // before the event is stored rather than after.
  checkStateMap(field, scoped.session);
  for (const key of Object.keys(scoped.app)) checkStateKey(`${field} key "app:${key}"`, key);
  for (const key of Object.keys(scoped.user)) checkStateKey(`${field} key "user:${key}"`, key);
  return scoped;
}

function encodeStateValue(field: string, value: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = jsonValue(value);
  } catch (cause) {
    throw new InvalidArgumentError(field, 'must be a JSON value (ADK state is stored as JSON)', { cause });
  }
  return bytes;
}

/** Whether a scope has any key (to skip a write that would change nothing). */
export function hasKeys(state: StateMap): boolean {
  for (const _ in state) return true;
  return false;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The store's state as ADK state. Values this adapter wrote are JSON text and come back as the
 * value given; a value another writer (a Go service, the core API) stored as plain text comes back
 * as that string, bytes that are not UTF-8 as a Uint8Array, and a null value as null. The map has no
 * prototype, so a key such as `__proto__` is an ordinary key.
 */
export function readAdkState(state: StateMap): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(state)) out[key] = decodeStateValue(state[key] ?? null);
  return out;
}

function decodeStateValue(value: Uint8Array | null): unknown {
  if (value === null) return null;
  let text: string;
  try {
    text = decoder.decode(value);
  } catch {
    return value.slice();
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
