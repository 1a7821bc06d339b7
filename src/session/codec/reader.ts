import type { Int64 } from '../event.js';
import { newStateMap, type StateMap } from '../state.js';
import { goZeroTime, parseRfc3339 } from '../time.js';
import { type StructFields, structObject } from './fields.js';
import { RawJson } from './raw-json.js';
import { childPath, entryPath } from './writer.js';

/**
 * The reading half of the codec: typed accessors over a parsed JSON document that apply Go's
 * decoding rules (null leaves a field at its zero value; a wrong type is an error) and produce
 * the canonical shape of the Go struct: fields Go always writes are always set, omitempty fields
 * are set only when non-zero, pointer fields only when non-null. Errors are plain TypeErrors that
 * name the path; the backends add the row they came from.
 */

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** Parses JSON text, naming what was being read when it is malformed. */
export function parseJson(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new TypeError(`${what}: expected JSON text, got ${describe(text)}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`${what}: malformed JSON: ${(err as Error).message}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RawJson) return `the number ${value.text}`;
  // An exact tree's integer beyond 2^53 (`1e400` is one): "bigint" would name our type, not the value.
  if (typeof value === 'bigint') {
    const digits = String(value);
    return `the number ${digits.length > 40 ? `${digits.slice(0, 40)}… (${digits.length} digits)` : digits}`;
  }
  return typeof value;
}

/**
 * How the tree being decoded was parsed. JSON.parse's tree (`fast`) may have rounded numbers, so
 * an integer field beyond 2^53 stops the decode with {@link NEEDS_EXACT_TREE} and the caller
 * decodes the exact parse of the text instead; raw JSON values that hold a number note it, so the
 * caller can check the text's numbers. A tree decoded on its own is taken as it is.
 */
const reading = { fast: false, rawNumbers: false, goIntegers: false };

/**
 * Runs `decode` on an exact tree (parseValidJson's) as Go reads the document back from a JSONB
 * column: an int field must hold an integer PostgreSQL keeps without decimal places. JSONB keeps
 * `1.0` as `1.0` and `1e-400` as 400 decimal places, and Go's encoding/json refuses either for an
 * int64 field, where our reads take JSON.parse's 1 and 0. For documents that come from outside
 * (import), so that none is stored that a Go service sharing the tables cannot read.
 */
export function decodeAsGoReadsInts<T>(exactTree: unknown, decode: (tree: unknown) => T): T {
  reading.goIntegers = true;
  try {
    return decode(exactTree);
  } finally {
    reading.goIntegers = false;
  }
}

/** Thrown inside a fast decode that met a number JSON.parse may have rounded; never escapes the codec. */
export const NEEDS_EXACT_TREE: Error = new Error('the JSON text must be parsed exactly');

/**
 * Decodes a tree JSON.parse made, noting whether raw JSON values holding a number were read; null
 * when it met an integer field the tree may have rounded, which must be decoded from the text's
 * exact parse.
 */
export function decodeFastTree<T>(
  tree: unknown,
  decode: (tree: unknown) => T,
): { value: T; rawNumbers: boolean } | null {
  reading.fast = true;
  reading.rawNumbers = false;
  try {
    return { value: decode(tree), rawNumbers: reading.rawNumbers };
  } catch (error) {
    if (error === NEEDS_EXACT_TREE) return null;
    throw error;
  } finally {
    reading.fast = false;
  }
}

function mismatch(path: string, name: string | number, expected: string, value: unknown): TypeError {
  return new TypeError(`${childPath(path, name)}: expected ${expected}, got ${describe(value)}`);
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The document itself, which must be an object. */
export function rootObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new TypeError(`${what}: expected a JSON object, got ${describe(value)}`);
  return value;
}

/** A nested struct or map: undefined when absent or null (Go's nil pointer or map). */
export function readObject(o: JsonObject, name: string, path: string): JsonObject | undefined {
  const v = o[name];
  if (v == null) return undefined;
  if (!isObject(v)) throw mismatch(path, name, 'an object', v);
  return v;
}

/** An array: undefined when absent or null (Go's nil slice). */
export function readArray(o: JsonObject, name: string, path: string): unknown[] | undefined {
  const v = o[name];
  if (v == null) return undefined;
  if (!Array.isArray(v)) throw mismatch(path, name, 'an array', v);
  return v;
}

/** An array element that must be an object (a struct in a Go slice); null is the zero struct. */
export function itemObject(v: unknown, path: string, index: number): JsonObject {
  if (v === null) return {};
  if (!isObject(v)) throw mismatch(path, index, 'an object', v);
  return v;
}

/** A nested struct: undefined when absent or null, its keys matched to fields as Go matches them. */
export function readStruct(
  o: JsonObject,
  name: string,
  path: string,
  struct: StructFields,
): JsonObject | undefined {
  const v = readObject(o, name, path);
  return v && structObject(v, struct);
}

/** A struct in a Go slice: null is the zero struct. */
export function itemStruct(v: unknown, path: string, index: number, struct: StructFields): JsonObject {
  return structObject(itemObject(v, path, index), struct);
}

/** A Go string: the empty string when absent or null. */
export function readString(o: JsonObject, name: string, path: string): string {
  const v = o[name];
  if (v == null) return '';
  if (typeof v !== 'string') throw mismatch(path, name, 'a string', v);
  return v;
}

/** A string in an array (Go's []string): null reads as the empty string. */
export function stringItem(v: unknown, path: string, index: number): string {
  if (v === null) return '';
  if (typeof v !== 'string') throw mismatch(path, index, 'a string', v);
  return v;
}

/** An omitempty string: undefined when empty. */
export function readOptString(o: JsonObject, name: string, path: string): string | undefined {
  return readString(o, name, path) || undefined;
}

/** A *string: undefined only when absent or null. */
export function readPtrString(o: JsonObject, name: string, path: string): string | undefined {
  return o[name] == null ? undefined : readString(o, name, path);
}

/**
 * A Go int or int64: 0 when absent or null; a fraction is an error, as in Go. Beyond
 * Number.MAX_SAFE_INTEGER it is a bigint with every digit.
 */
export function readInt(o: JsonObject, name: string, path: string): Int64 {
  const v = o[name];
  return v == null ? 0 : intValue(v, path, name);
}

/** An omitempty int: undefined when 0. */
export function readOptInt(o: JsonObject, name: string, path: string): Int64 | undefined {
  const v = readInt(o, name, path);
  return v === 0 || v === 0n ? undefined : v;
}

/** A *int: undefined only when absent or null. */
export function readPtrInt(o: JsonObject, name: string, path: string): Int64 | undefined {
  return o[name] == null ? undefined : readInt(o, name, path);
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/** An integer of a Go int field or []int item, as readInt reads it. */
export function intValue(v: unknown, path: string, name: string | number): Int64 {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    if (Number.isFinite(v) && !Number.isInteger(v)) throw mismatch(path, name, 'an integer', v);
    if (reading.fast) throw NEEDS_EXACT_TREE;
    // In an exact tree, a number is written back as its own digits: those are the value.
    const digits = String(v);
    if (/^-?\d+$/.test(digits)) return int64(BigInt(digits), path, name);
  } else if (typeof v === 'bigint') {
    return int64(v, path, name);
  } else if (v instanceof RawJson) {
    if (reading.goIntegers)
      throw mismatch(path, name, 'an integer without decimal places, as Go reads an int64', v);
    // `1.0` or `1e2`: JSON.parse's reading, which the fast path also takes.
    const n = Number(v.text);
    if (Number.isSafeInteger(n)) return n;
  }
  throw mismatch(path, name, 'an integer in the int64 range', v);
}

function int64(v: bigint, path: string, name: string | number): bigint {
  if (v < MIN_INT64 || v > MAX_INT64) throw mismatch(path, name, 'an integer in the int64 range', v);
  return v;
}

/** A Go float64: 0 when absent or null; a number beyond float64's range is an error, as in Go. */
export function readFloat(o: JsonObject, name: string, path: string): number {
  const v = o[name];
  if (v == null) return 0;
  const n = numberValue(v);
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw mismatch(path, name, 'a number in the float64 range', v);
  return n;
}

/** A number of an exact tree (a bigint or RawJson there) as a JavaScript number; else `v` itself. */
function numberValue(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v instanceof RawJson ? Number(v.text) : v;
}

/** A Go bool: false when absent or null. */
export function readBool(o: JsonObject, name: string, path: string): boolean {
  const v = o[name];
  if (v == null) return false;
  if (typeof v !== 'boolean') throw mismatch(path, name, 'a boolean', v);
  return v;
}

/** An omitempty bool: undefined when false. */
export function readOptBool(o: JsonObject, name: string, path: string): true | undefined {
  return readBool(o, name, path) || undefined;
}

/** A time.Time: Go's zero time when absent or null, nanoseconds kept, any RFC 3339 offset. */
export function readTime(o: JsonObject, name: string, path: string): Date {
  const v = o[name];
  if (v == null) return goZeroTime();
  if (typeof v !== 'string') throw mismatch(path, name, 'an RFC 3339 timestamp string', v);
  const date = parseRfc3339(v);
  if (!date)
    throw new TypeError(`${childPath(path, name)}: expected an RFC 3339 timestamp, got ${JSON.stringify(v)}`);
  return date;
}

/** A []byte: null when absent or null, else decoded from standard base64. */
export function readBytes(o: JsonObject, name: string, path: string): Uint8Array | null {
  return bytesValue(o[name], path, name, childPath);
}

/**
 * A base64 value; `place(path, name)` names it in an error. The name is only built on failure:
 * a session list reads thousands of state values, and formatting a path for each was a tenth of
 * the work. Go also reads a []byte from an array of byte values (Marshal never writes one).
 */
function bytesValue(
  v: unknown,
  path: string,
  name: string,
  place: (path: string, name: string) => string,
): Uint8Array | null {
  if (v == null) return null;
  if (Array.isArray(v)) return byteArray(v, path, name, place);
  if (typeof v !== 'string')
    throw new TypeError(`${place(path, name)}: expected a base64 string or null, got ${describe(v)}`);
  const bytes = decodeBase64(v);
  if (!bytes) throw new TypeError(`${place(path, name)}: expected standard base64, got ${JSON.stringify(v)}`);
  return bytes;
}

/**
 * A []byte read from a JSON array, as Go reads one: each item a uint8 (an integer from 0 to 255;
 * null is 0). A number is taken as readInt takes it, by its value.
 */
function byteArray(
  items: unknown[],
  path: string,
  name: string,
  place: (path: string, name: string) => string,
): Uint8Array {
  const bytes = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const n = item === null ? 0 : numberValue(item);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255)
      throw new TypeError(
        `${place(path, name)}[${i}]: expected a byte (an integer from 0 to 255), got ${describe(item)}`,
      );
    bytes[i] = n;
  }
  return bytes;
}

const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * Decodes standard padded base64 as strictly as Go's base64.StdEncoding (which skips CR and LF),
 * because Node's decoder silently ignores anything it does not understand. Returns null when
 * the text is not base64.
 */
function decodeBase64(text: string): Uint8Array | null {
  if (text.length <= SMALL_BASE64) {
    const bytes = decodeSmallBase64(text);
    if (bytes !== undefined) return bytes;
  }
  const s = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;
  const length = s.length;
  if (length % 4 !== 0 || NOT_BASE64.test(s)) return null;
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const firstPad = s.indexOf('=');
  if (firstPad !== -1 && firstPad < length - padding) return null;
  if (length <= SMALL_BASE64) return decodeSmallBase64(s) ?? null;
  const bytes = new Uint8Array((length / 4) * 3 - padding);
  // Decode straight into a right-sized array of our own: no pooled Buffer slab is shared or kept.
  if (bytes.length > 0) Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(s, 'base64');
  return bytes;
}

/**
 * Up to this many characters, base64 is decoded in JavaScript. Handing a value to Node's decoder
 * needs an ArrayBuffer of its own, and for the many short values of a session list (a few per
 * session, a thousand sessions) allocating and collecting those cost ten times the decoding:
 * about a third of the CPU time of listSessions({ onlyMeta: true }).
 */
const SMALL_BASE64 = 256;

/** Each base64 character's 6 bits by character code; -1 for any other character, `=` included. */
const SEXTETS = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

const EQUALS = 61;

/** A character's 6 bits, or -1 when it is not of the base64 alphabet. */
const sextet = (s: string, i: number): number => {
  const c = s.charCodeAt(i);
  return c < 128 ? SEXTETS[c]! : -1;
};

/**
 * Validates and decodes padded base64 in one pass (session lists decode thousands of short
 * values; separate scans for line breaks, the alphabet and the padding were half the work). Bits
 * beyond the last byte are ignored, as Go and Node do. Returns null when the text is not
 * base64, and undefined when it holds a CR or LF, which Go skips: decodeBase64 strips them first.
 */
function decodeSmallBase64(s: string): Uint8Array | null | undefined {
  const length = s.length;
  if (length % 4 !== 0) return notBase64(s);
  const padding =
    length === 0 || s.charCodeAt(length - 1) !== EQUALS ? 0 : s.charCodeAt(length - 2) === EQUALS ? 2 : 1;
  const bytes = new Uint8Array((length / 4) * 3 - padding);
  const whole = padding === 0 ? length : length - 4;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = sextet(s, i + 2);
    const d = sextet(s, i + 3);
    if ((a | b | c | d) < 0) return notBase64(s);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    bytes[o++] = n >>> 16;
    bytes[o++] = (n >>> 8) & 0xff;
    bytes[o++] = n & 0xff;
  }
  if (padding > 0) {
    const a = sextet(s, whole);
    const b = sextet(s, whole + 1);
    const c = padding === 1 ? sextet(s, whole + 2) : 0;
    if ((a | b | c) < 0) return notBase64(s);
    bytes[o++] = (a << 2) | (b >> 4);
    if (padding === 1) bytes[o] = ((b << 4) | (c >> 2)) & 0xff;
  }
  return bytes;
}

/** Not base64 as it stands: undefined when line breaks (which Go skips) may be why, else null. */
const notBase64 = (s: string): null | undefined => (s.includes('\n') || s.includes('\r') ? undefined : null);

/** A map[string][]byte (a state map): base64 values or null, into a prototype-free map. */
export function readStateMap(value: unknown, path: string): StateMap {
  const state = newStateMap();
  if (value == null) return state;
  if (!isObject(value)) throw new TypeError(`${path}: expected an object, got ${describe(value)}`);
  for (const key of Object.keys(value)) state[key] = bytesValue(value[key], path, key, entryPath);
  return state;
}

/** A raw JSON value (json.RawMessage, any): one holding a number is noted (see noteRawValue). */
export function readRawValue(v: unknown): unknown {
  noteRawValue(v);
  return v;
}

/**
 * Notes a raw value of a fast decode that holds a number, which JSON.parse may have rounded, so
 * the caller checks the text's numbers. A value of strings, booleans and nulls alone (the common
 * extensions) needs no such check: the scan of the whole text was most of the cost of decoding an
 * event that has extensions.
 */
function noteRawValue(v: unknown): void {
  if (reading.fast && !reading.rawNumbers && holdsNumber(v)) reading.rawNumbers = true;
}

/**
 * Whether a JSON tree may hold a number. Recursive without allocating, as it runs on every event
 * with extensions; a tree deeper than `depth` is taken to hold one, so the caller checks the text.
 */
function holdsNumber(v: unknown, depth = 64): boolean {
  if (typeof v === 'number') return true;
  if (v === null || typeof v !== 'object') return false;
  if (depth === 0) return true;
  if (Array.isArray(v)) {
    for (const item of v) if (holdsNumber(item, depth - 1)) return true;
    return false;
  }
  for (const key in v) if (holdsNumber((v as Record<string, unknown>)[key], depth - 1)) return true;
  return false;
}

/**
 * A map of arbitrary JSON values: the parsed object itself, which no one else holds. Both parsers
 * define every key as an own property, so a `__proto__` key is an ordinary key already; copying
 * into a prototype-free map cost more than the rest of an extension's decode.
 */
export function readValueMap(o: JsonObject, name: string, path: string): Record<string, unknown> | undefined {
  const v = readObject(o, name, path);
  if (!v) return undefined;
  for (const _ in v) {
    noteRawValue(v);
    return v;
  }
  return undefined;
}
