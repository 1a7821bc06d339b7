import { InvalidArgumentError } from '../errors.js';
import { formatRfc3339Nano, isStorableTime, STORABLE_TIME_RULE } from '../time.js';

/**
 * The low-level half of the Go-compatible JSON codec: a writer that emits JSON text exactly as
 * Go's encoding/json does (escaping, number and time formats, map key order), and checks each
 * value as it goes so a bad value is reported by its path instead of being stored.
 */

// Anything that is not copied through verbatim by Go's encoder: quotes, backslashes, control
// characters, the HTML-sensitive `<>&`, the JavaScript line separators, and surrogates (which
// must be checked for pairing).
const NEEDS_CARE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Quotes text as Go's encoding/json does with HTML escaping on (json.Marshal's default): `<`, `>`,
 * `&`, U+2028 and U+2029 as `\uXXXX`, `\b \f \n \r \t` by name, other control characters as
 * `\u00XX` (lower-case hex), everything else verbatim. Returns undefined when the text holds NUL
 * or an unpaired surrogate, which the caller reports with the value's path.
 */
export function quoteGo(text: string): string | undefined {
  if (!NEEDS_CARE.test(text)) return `"${text}"`;
  let out = '"';
  let start = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    let escaped: string;
    if (c < 0x20) {
      if (c === 0) return undefined;
      escaped = CONTROL_ESCAPES[c]!;
    } else if (c === 0x22) {
      escaped = '\\"';
    } else if (c === 0x5c) {
      escaped = '\\\\';
    } else if (c === 0x3c || c === 0x3e || c === 0x26) {
      escaped = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x2028 || c === 0x2029) {
      escaped = `\\u${c.toString(16)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return undefined;
      i++;
      continue;
    } else {
      continue;
    }
    out += text.slice(start, i) + escaped;
    start = i + 1;
  }
  return `${out}${text.slice(start)}"`;
}

const CONTROL_ESCAPES: readonly string[] = Array.from({ length: 0x20 }, (_, c) => {
  switch (c) {
    case 0x08:
      return '\\b';
    case 0x09:
      return '\\t';
    case 0x0a:
      return '\\n';
    case 0x0c:
      return '\\f';
    case 0x0d:
      return '\\r';
    default:
      return `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
  }
});

/** Why {@link quoteGo} refused a text, as an InvalidArgumentError rule. */
export function textProblem(text: string): string {
  return text.includes('\u0000')
    ? 'must not contain NUL characters (PostgreSQL rejects \\u0000 in JSONB)'
    : 'must not contain unpaired surrogates (they are not valid Unicode)';
}

/**
 * Orders strings by their UTF-8 bytes, as Go sorts map keys. JavaScript's `<` compares UTF-16 code
 * units, which puts U+E000..U+FFFF after astral characters; UTF-8 (and code point order) puts
 * them before.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? utf8Rank(x) - utf8Rank(y) : x - y;
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000..U+FFFF so code units compare in code point order. */
const utf8Rank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

/** Sorted own keys, in Go's map order. */
export function sortedKeys(map: object): string[] {
  return Object.keys(map).sort(compareUtf8);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A child path for error messages: `a.b`, `a[0]`, or `a["odd key"]`. */
export function childPath(path: string, name: string | number): string {
  if (typeof name === 'number') return `${path}[${name}]`;
  if (path === '') return name;
  return IDENTIFIER.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

/** The path of a map entry, always bracketed: `event.stateDelta["k"]`. */
export function entryPath(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

/** Formats a float64 as Go does; Go's format was chosen to match ECMAScript's, except for `-0`. */
export function formatFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Standard padded base64 of the bytes, without copying them. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const proto: { constructor?: { name?: string } } | null = Object.getPrototypeOf(value);
    return proto === null ? 'null-prototype object' : (proto.constructor?.name ?? 'object');
  }
  return typeof value;
}

/**
 * `"name":` for each struct field name, made once: the names are the codec's constants (a few
 * dozen), and building the text again for every field of every event was a fifth of what encoding
 * an event allocated.
 */
const QUOTED_NAMES = new Map<string, string>();

function quotedName(name: string): string {
  let quoted = QUOTED_NAMES.get(name);
  if (quoted === undefined) {
    quoted = `"${name}":`;
    QUOTED_NAMES.set(name, quoted);
  }
  return quoted;
}

/**
 * Lists of pieces of finished writers, for the next ones. Encoding is synchronous, so a handful
 * covers nested writers; a bound keeps the pool from holding on to more.
 */
const SPARE_PARTS: string[][] = [];
const MAX_SPARE_PARTS = 8;
/** A list grown past this (a huge document) is not kept: every later join would walk its slots. */
const MAX_SPARE_LENGTH = 4096;

/**
 * Appends JSON text field by field. Every value method checks its value and throws an
 * {@link InvalidArgumentError} naming `path.name`; callers pass the parent path and the field
 * name apart, so a leaf's path is only joined when its check fails.
 *
 * The text is kept as its pieces and joined once, in {@link finish}: built with `+=`, a document was
 * a rope of a hundred small strings, and whatever first needed it flat (the driver writing it,
 * an async batch joining 500 of them) paid more for walking that rope than the encoding had cost.
 */
export class JsonWriter {
  /** The pieces, in `#parts[0..#count)`; slots past it hold '' (a reused list keeps its length). */
  #parts: string[] = SPARE_PARTS.pop() ?? [];
  #count = 0;
  /** Whether the next key or array item needs a separating comma. */
  private comma = false;

  /**
   * The text written, as one flat string; the writer is done and must not be used again. Its
   * list of pieces goes back for the next writer, emptied but not shortened: growing a new list to
   * the hundred-odd pieces of an event allocated more than the event's text, and shortening one
   * gives its room back.
   */
  finish(): string {
    const parts = this.#parts;
    const text = parts.join('');
    if (parts.length <= MAX_SPARE_LENGTH && SPARE_PARTS.length < MAX_SPARE_PARTS) {
      parts.fill('', 0, this.#count);
      SPARE_PARTS.push(parts);
    }
    this.#parts = [];
    this.#count = 0;
    return text;
  }

  #push(piece: string): void {
    this.#parts[this.#count++] = piece;
  }

  beginObject(): void {
    this.#push('{');
    this.comma = false;
  }

  endObject(): void {
    this.#push('}');
    this.comma = true;
  }

  beginArray(): void {
    this.#push('[');
    this.comma = false;
  }

  endArray(): void {
    this.#push(']');
    this.comma = true;
  }

  /** Separates array items; call before each one. */
  item(): void {
    if (this.comma) this.#push(',');
  }

  /** Writes a struct field name; names are ASCII constants and need no escaping. */
  key(name: string): void {
    if (this.comma) this.#push(',');
    this.#push(quotedName(name));
    this.comma = false;
  }

  /** Writes a map key, which (unlike a field name) may need escaping. */
  mapKey(key: string, path: string): void {
    const quoted = quoteGo(key);
    if (quoted === undefined)
      throw new InvalidArgumentError(`${path} key ${JSON.stringify(key)}`, textProblem(key));
    this.quotedKey(quoted);
  }

  /** Writes a key that {@link quoteGo} already quoted. */
  quotedKey(quoted: string): void {
    if (this.comma) this.#push(',');
    this.#push(quoted);
    this.#push(':');
    this.comma = false;
  }

  /** Writes JSON text that is already valid and escaped. */
  raw(text: string): void {
    this.#push(text);
    this.comma = true;
  }

  /** Writes a Go string, escaped as Go escapes it. */
  string(value: unknown, path: string, name: string | number): void {
    if (typeof value !== 'string') throw this.typeError(value, path, name, 'must be a string');
    const quoted = quoteGo(value);
    if (quoted === undefined) throw new InvalidArgumentError(childPath(path, name), textProblem(value));
    this.raw(quoted);
  }

  /**
   * Writes a Go int or int64: a safe integer, or a bigint in the int64 range. A number beyond
   * 2^53 is refused: it has lost digits already, and JavaScript would print some in exponent
   * form, which Go cannot read into an int.
   */
  int(value: unknown, path: string, name: string | number): void {
    if (Number.isSafeInteger(value)) {
      this.raw(String(value));
    } else if (typeof value === 'bigint' && value >= MIN_INT64 && value <= MAX_INT64) {
      this.raw(value.toString());
    } else {
      throw this.typeError(value, path, name, 'must be a safe integer or a bigint in the int64 range');
    }
  }

  /** Writes a Go float64. */
  float(value: unknown, path: string, name: string | number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw this.typeError(value, path, name, 'must be a finite number');
    }
    this.raw(formatFloat(value));
  }

  /** Writes a Go bool. */
  bool(value: unknown, path: string, name: string | number): void {
    if (typeof value !== 'boolean') throw this.typeError(value, path, name, 'must be a boolean');
    this.raw(value ? 'true' : 'false');
  }

  /**
   * Writes a time as Go's RFC3339Nano in UTC. Only the years every backend stores are accepted
   * (0001-9999, see isStorableTime): Go refuses years past 9999, PostgreSQL has no year 0000.
   */
  time(value: unknown, path: string, name: string | number): void {
    if (!(value instanceof Date)) throw this.typeError(value, path, name, 'must be a Date');
    if (!isStorableTime(value)) throw new InvalidArgumentError(childPath(path, name), STORABLE_TIME_RULE);
    this.raw(`"${formatRfc3339Nano(value)}"`);
  }

  /** Writes Go's []byte: standard padded base64, or null. */
  bytes(value: unknown, path: string, name: string | number): void {
    if (value === null) this.raw('null');
    else if (value instanceof Uint8Array) this.raw(`"${base64(value)}"`);
    else throw this.typeError(value, path, name, 'must be a Uint8Array or null');
  }

  /** Checks that a nested struct or map is an object before its fields are written. */
  object(value: unknown, path: string, name: string | number): asserts value is Record<string, unknown> {
    // A Map or a typed array is an object too, but its entries are not properties: writing it
    // would silently store `{}`.
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      value instanceof Map ||
      value instanceof Set ||
      value instanceof Date ||
      ArrayBuffer.isView(value)
    ) {
      throw this.typeError(value, path, name, 'must be a plain object');
    }
  }

  /** Checks that a slice is an array before its items are written. */
  array(value: unknown, path: string, name: string | number): asserts value is unknown[] {
    if (!Array.isArray(value)) throw this.typeError(value, path, name, 'must be an array');
  }

  // Field helpers, named after how Go treats the field: a plain field is always written (its
  // zero value when unset), `opt` is omitempty (skipped when zero), `ptr` is a pointer with
  // omitempty (skipped only when unset, so an empty string or 0 is still written).

  fieldString(name: string, value: unknown, path: string): void {
    this.key(name);
    this.string(value ?? '', path, name);
  }

  optString(name: string, value: unknown, path: string): void {
    if (value == null || value === '') return;
    this.key(name);
    this.string(value, path, name);
  }

  ptrString(name: string, value: unknown, path: string): void {
    if (value == null) return;
    this.key(name);
    this.string(value, path, name);
  }

  fieldInt(name: string, value: unknown, path: string): void {
    this.key(name);
    this.int(value ?? 0, path, name);
  }

  optInt(name: string, value: unknown, path: string): void {
    if (value == null || value === 0 || value === 0n) return;
    this.key(name);
    this.int(value, path, name);
  }

  ptrInt(name: string, value: unknown, path: string): void {
    if (value == null) return;
    this.key(name);
    this.int(value, path, name);
  }

  fieldBool(name: string, value: unknown, path: string): void {
    this.key(name);
    this.bool(value ?? false, path, name);
  }

  optBool(name: string, value: unknown, path: string): void {
    if (value == null || value === false) return;
    this.key(name);
    this.bool(value, path, name);
  }

  fieldTime(name: string, value: unknown, path: string): void {
    this.key(name);
    this.time(value, path, name);
  }

  fieldBytes(name: string, value: unknown, path: string): void {
    this.key(name);
    this.bytes(value ?? null, path, name);
  }

  private typeError(value: unknown, path: string, name: string | number, rule: string): InvalidArgumentError {
    return new InvalidArgumentError(childPath(path, name), `${rule} (got ${describe(value)})`);
  }
}
