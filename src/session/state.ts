import { parseExactJson } from './codec/exact.js';
import { RawJson } from './codec/raw-json.js';
import { writeJsonValue } from './codec/value.js';
import { JsonWriter } from './codec/writer.js';
import { InvalidArgumentError, isCallerArray, readCallerValue } from './errors.js';
import { LEADING_BOM_RULE } from './keys.js';

/**
 * A state map, as trpc-agent-go's `map[string][]byte`: each value is bytes, or null. Use the helpers
 * below to put and read text or JSON without handling bytes.
 */
export type StateMap = Record<string, Uint8Array | null>;

/** Keys with this prefix are shared by every session of an app (stored in app_states). */
export const APP_PREFIX = 'app:';
/** Keys with this prefix are shared by every session of a user (stored in user_states). */
export const USER_PREFIX = 'user:';
/** Keys with this prefix are meant for one invocation; stored as given, like trpc-agent-go does. */
export const TEMP_PREFIX = 'temp:';
/** Reserved session-state key holding the JSON list of the session's track names. */
export const TRACKS_STATE_KEY = 'tracks';

/**
 * An empty state map without a prototype, so a key such as `__proto__` is an ordinary key and can
 * never reach Object.prototype. Every map this package builds starts here.
 */
export function newStateMap(): StateMap {
  return Object.create(null) as StateMap;
}

const encoder = new TextEncoder();
// ignoreBOM: keep a leading U+FEFF as part of the text. The default strips it, so an app or user
// state value starting with a byte-order mark was stored (and read by readText) without it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Text as a state value (UTF-8). UTF-8 cannot hold an unpaired surrogate: TextEncoder would write
 * U+FFFD in its place, and the value read back would not be the text given, so it is refused.
 * (`jsonValue` keeps such text: JSON writes it as a `\ud800` escape, which reads back as given.)
 */
export function textValue(text: string, field = 'value'): Uint8Array {
  if (!text.isWellFormed())
    throw new InvalidArgumentError(
      field,
      'must be well-formed Unicode: UTF-8 cannot hold unpaired surrogates',
    );
  return encoder.encode(text);
}

/**
 * JSON as a state value: the UTF-8 bytes of `JSON.stringify(value)`, or, for a value holding a
 * bigint (boxed too) or a RawJson (which JSON.stringify refuses or rounds), of Go's JSON writer,
 * which writes their exact digits and text.
 */
export function jsonValue(value: unknown, field = 'value'): Uint8Array {
  // A cycle, a getter, Proxy trap or toJSON that throws, a bigint returned by toJSON, nesting
  // deeper than the stack: refused naming the field, never escaping as a bare TypeError.
  const text = readCallerValue(field, () => {
    if (!holdsExactNumbers(value)) return JSON.stringify(value);
    const w = new JsonWriter();
    writeJsonValue(w, value, '', field, false);
    return w.finish();
  });
  if (text === undefined) throw new InvalidArgumentError(field, 'must be JSON-serializable');
  return encoder.encode(text);
}

/**
 * Whether a value holds a bigint (boxed or not) or a RawJson; each object is looked at once, so
 * cycles end.
 */
function holdsExactNumbers(value: unknown, seen = new Set<object>()): boolean {
  if (typeof value === 'bigint' || value instanceof BigInt || value instanceof RawJson) return true;
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (holdsExactNumbers(item, seen)) return true;
  }
  return false;
}

/** Reads a state value as text; undefined when absent or null. */
export function readText(state: StateMap | undefined, key: string): string | undefined {
  const value = state?.[key];
  return value == null ? undefined : decoder.decode(value);
}

/**
 * Reads a state value as JSON; undefined when absent or null. Numbers are read exactly: one a
 * JavaScript number cannot hold is a bigint (an integer) or a RawJson of its digits.
 */
export function readJson<T = unknown>(state: StateMap | undefined, key: string): T | undefined {
  const text = readText(state, key);
  return text === undefined ? undefined : (parseExactJson(text) as T);
}

/** Builds a StateMap from plain values: strings become UTF-8, bytes stay, null stays, the rest JSON. */
export function stateOf(values: Record<string, unknown>): StateMap {
  const state = newStateMap();
  for (const [key, value] of readCallerValue('values', () => Object.entries(values))) {
    const field = `values[${JSON.stringify(key)}]`;
    // instanceof runs a Proxy's getPrototypeOf trap, which may throw (a revoked Proxy's does).
    if (value === null || readCallerValue(field, () => value instanceof Uint8Array))
      state[key] = value as Uint8Array | null;
    else if (typeof value === 'string') state[key] = textValue(value, field);
    else state[key] = jsonValue(value, field);
  }
  return state;
}

/**
 * Whether the array's buffer was transferred away (structuredClone, postMessage): any read of it
 * throws. Only an empty view can be one, and only it is probed.
 */
function isDetached(value: Uint8Array): boolean {
  if (value.byteLength !== 0) return false;
  try {
    void new Uint8Array(value.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * A state value's bytes in memory of their own, as a plain Uint8Array: what every backend returns.
 * Not `value.slice()`: a Node.js Buffer overrides slice to return a view of the same memory, so a
 * caller's Buffer stored that way changed with every later write into it, and a subclass kept its
 * class (PostgreSQL decodes a plain Uint8Array).
 */
export function copyBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

/** A deep copy: callers may reuse their buffers without changing what was stored. */
export function copyState(state: StateMap | null | undefined): StateMap {
  const copy = newStateMap();
  if (!state) return copy;
  for (const [key, value] of Object.entries(state)) copy[key] = value === null ? null : copyBytes(value);
  return copy;
}

/**
 * Checks a caller's state map: an object whose values are Uint8Array or null. Keys are stored as
 * JSON object keys or VARCHAR(255) column values, so NUL and unpaired surrogates are refused.
 */
export function checkStateMap(field: string, state: unknown): asserts state is StateMap {
  // Array.isArray runs a Proxy's IsArray check, which a revoked Proxy fails.
  if (state === null || typeof state !== 'object' || isCallerArray(field, state) || notPlain(field, state)) {
    throw new InvalidArgumentError(field, 'must be an object mapping keys to Uint8Array or null');
  }
  // Read through readCallerValue: a getter or Proxy trap of the caller's that throws is refused
  // naming the map, or the value, rather than escaping as a bare error.
  const map = state as Record<string, unknown>;
  for (const key of readCallerValue(field, () => Object.keys(map))) {
    if (key.includes('\u0000') || !key.isWellFormed()) {
      throw new InvalidArgumentError(
        `${field} key ${JSON.stringify(key)}`,
        'must not contain NUL or unpaired surrogates',
      );
    }
    const valueField = `${field}[${JSON.stringify(key)}]`;
    const value = readCallerValue(valueField, () => map[key]);
    // isView first: a Proxy of a Uint8Array, or an object given its prototype, passes instanceof
    // but is no typed array (reading its bytes throws), and isView runs none of a Proxy's traps.
    if (value !== null && !(ArrayBuffer.isView(value) && value instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        valueField,
        'must be a Uint8Array or null (use stateOf/textValue/jsonValue)',
      );
    }
    if (value !== null && isDetached(value)) {
      throw new InvalidArgumentError(
        valueField,
        'is a Uint8Array whose buffer was transferred (detached): it holds nothing to store',
      );
    }
  }
}

/**
 * Merges app and user state into a session's state under their prefixes, as trpc-agent-go's
 * mergeState: the shared value wins over a same-named key stored in the session itself.
 */
export function mergeScopedState(sessionState: StateMap, appState: StateMap, userState: StateMap): StateMap {
  return addScopedState(sessionState, scopedState(appState, userState));
}

/** App and user state as entries of a session's state, keys already prefixed. */
export type ScopedState = readonly (readonly [key: string, value: Uint8Array | null])[];

/**
 * App and user state as the entries every session of a read receives. A list builds them once:
 * concatenating the prefixed keys anew for each of a thousand sessions (and looking each new
 * string up as a property name) cost more than decoding the sessions' own state.
 */
export function scopedState(appState: StateMap, userState: StateMap): ScopedState {
  const entries: [string, Uint8Array | null][] = [];
  for (const key of Object.keys(appState)) entries.push([APP_PREFIX + key, appState[key]!]);
  for (const key of Object.keys(userState)) entries.push([USER_PREFIX + key, userState[key]!]);
  return entries;
}

/** Adds scoped entries to a session's state, the shared value winning as in mergeScopedState. */
export function addScopedState(sessionState: StateMap, scoped: ScopedState): StateMap {
  for (const [key, value] of scoped) sessionState[key] = value;
  return sessionState;
}

/** Removes a prefix if present (app/user state updates accept keys with or without it). */
export function trimPrefix(key: string, prefix: string): string {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

/**
 * App and user state values are stored as raw text (a TEXT column, as trpc-agent-go does), so
 * they must be valid UTF-8 without NUL characters. Returns the text, or null for null.
 */
export function stateValueToText(field: string, value: Uint8Array | null): string | null {
  if (value === null) return null;
  let text: string;
  try {
    text = decoder.decode(value);
  } catch {
    throw new InvalidArgumentError(
      field,
      'must be valid UTF-8 text (app and user state values are stored as TEXT)',
    );
  }
  if (text.includes('\u0000')) throw new InvalidArgumentError(field, 'must not contain NUL characters');
  // Stored as a TEXT column, which embedded PGlite reads back without a leading byte order mark.
  if (text.charCodeAt(0) === 0xfeff) throw new InvalidArgumentError(field, LEADING_BOM_RULE);
  return text;
}

/**
 * Whether a caller's object holds its entries elsewhere than in its properties (a Map, a Set, a
 * Date, a typed array): taken as a state map it would read as empty, so every backend refuses it,
 * as the JSON writer does.
 */
function notPlain(field: string, value: object): boolean {
  return readCallerValue(
    field,
    () => value instanceof Map || value instanceof Set || value instanceof Date || ArrayBuffer.isView(value),
  );
}
