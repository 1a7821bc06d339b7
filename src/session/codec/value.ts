import { InvalidArgumentError } from '../errors.js';
import { fitsNumeric, parseExactJson } from './exact.js';
import { RawJson } from './raw-json.js';
import { childPath, formatFloat, JsonWriter, quoteGo, sortedKeys, textProblem } from './writer.js';

/**
 * Writes an arbitrary JavaScript value as JSON, for the fields Go keeps as raw JSON (event
 * extensions, track payloads) or as `map[string]any` (tool-call extra fields, written with sorted
 * keys as Go re-marshals them). It follows JSON.stringify (toJSON, boxed primitives, undefined
 * properties skipped, undefined array items as null) but refuses what JSON.stringify would drop
 * or mangle silently: functions, symbols, non-finite numbers, cycles, and an undefined value at
 * the top. Unlike JSON.stringify it writes a bigint (boxed or not) as its digits and a
 * {@link RawJson} as its text, which is how a number too long for a JavaScript number is read and
 * written back exactly.
 */
export function writeJsonValue(
  w: JsonWriter,
  value: unknown,
  path: string,
  name: string | number,
  sortKeys: boolean,
): void {
  new ValueWriter(w, path, name, sortKeys).top(value);
}

/**
 * How deeply arrays and objects may nest in such a value. Without a bound, a deeply nested value
 * (a few thousand levels) overflowed the call stack of this recursive writer and escaped as a bare
 * RangeError instead of an INVALID_ARGUMENT; deeper still (tens of thousands) PostgreSQL refuses
 * the JSONB ("stack depth limit exceeded"). 1000 levels is far beyond any real payload and well
 * within what the writer, PostgreSQL and Go's decoder (10000) handle.
 */
export const MAX_JSON_DEPTH = 1000;

/** Holds the state of one value walk; the path is kept as segments and only joined on error. */
class ValueWriter {
  private readonly segments: (string | number)[] = [];
  private readonly ancestors = new Set<object>();

  constructor(
    private w: JsonWriter,
    private readonly path: string,
    private readonly name: string | number,
    private readonly sortKeys: boolean,
  ) {}

  top(value: unknown): void {
    const prepared = prepare(value, '');
    if (prepared === undefined) throw this.fail('must be a JSON value (got undefined)');
    this.write(prepared);
  }

  private write(value: unknown): void {
    switch (typeof value) {
      case 'string': {
        const quoted = quoteGo(value);
        if (quoted === undefined) throw this.fail(textProblem(value));
        this.w.raw(quoted);
        return;
      }
      case 'number':
        if (!Number.isFinite(value)) throw this.fail(`must be a finite number (got ${value})`);
        this.w.raw(formatFloat(value));
        return;
      case 'boolean':
        this.w.raw(value ? 'true' : 'false');
        return;
      case 'bigint': {
        const digits = value.toString();
        if (!fitsNumeric(digits)) throw this.fail(NUMERIC_RANGE);
        this.w.raw(digits);
        return;
      }
      case 'object':
        if (value === null) this.w.raw('null');
        else if (value instanceof RawJson) this.writeRaw(value);
        else if (Array.isArray(value)) this.writeArray(value);
        else this.writeObject(value);
        return;
      default:
        throw this.fail(`must be JSON-serializable (got ${typeof value})`);
    }
  }

  private writeArray(array: unknown[]): void {
    this.enter(array);
    this.w.beginArray();
    for (let i = 0; i < array.length; i++) {
      this.w.item();
      this.segments.push(i);
      const item = prepare(array[i], String(i));
      if (item === undefined) this.w.raw('null');
      else this.write(item);
      this.segments.pop();
    }
    this.w.endArray();
    this.ancestors.delete(array);
  }

  private writeObject(object: object): void {
    this.enter(object);
    this.w.beginObject();
    const keys = this.sortKeys ? sortedKeys(object) : Object.keys(object);
    for (const key of keys) {
      const item = prepare((object as Record<string, unknown>)[key], key);
      if (item === undefined) continue;
      this.segments.push(key);
      const quoted = quoteGo(key);
      if (quoted === undefined) {
        this.segments.pop();
        throw new InvalidArgumentError(`${this.where()} key ${JSON.stringify(key)}`, textProblem(key));
      }
      this.w.quotedKey(quoted);
      this.write(item);
      this.segments.pop();
    }
    this.w.endObject();
    this.ancestors.delete(object);
  }

  /**
   * Writes a RawJson's text as Go writes a json.RawMessage: without insignificant whitespace,
   * `<`, `>`, `&`, U+2028 and U+2029 escaped. Its value is checked as any other value is (text
   * PostgreSQL accepts, nesting depth), by writing it once to a scratch writer.
   */
  private writeRaw(raw: RawJson): void {
    const text: unknown = raw.text;
    if (typeof text !== 'string') throw this.fail('must be a RawJson of JSON text');
    if (NUMBER.test(text)) {
      if (!fitsNumeric(text)) throw this.fail(NUMERIC_RANGE);
      this.w.raw(text);
      return;
    }
    let tree: unknown;
    try {
      tree = parseExactJson(text);
    } catch (error) {
      throw this.fail(`must be a RawJson of valid JSON text (${(error as Error).message})`);
    }
    const target = this.w;
    this.w = new JsonWriter();
    try {
      this.write(tree);
    } finally {
      this.w = target;
    }
    this.w.raw(compactGo(text));
  }

  private enter(container: object): void {
    if (this.ancestors.has(container)) throw this.fail('must not contain a cycle');
    if (this.ancestors.size >= MAX_JSON_DEPTH)
      throw this.fail(`must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
    this.ancestors.add(container);
  }

  private where(): string {
    let path = childPath(this.path, this.name);
    for (const segment of this.segments) path = childPath(path, segment);
    return path;
  }

  private fail(rule: string): InvalidArgumentError {
    return new InvalidArgumentError(this.where(), rule);
  }
}

const NUMERIC_RANGE =
  "must be a number PostgreSQL's numeric can hold (at most 131072 digits before the decimal point and 16383 after)";
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const SPACE_OUTSIDE_STRINGS = /("[^"\\]*(?:\\.[^"\\]*)*")|[ \t\n\r]+/g;
const HTML_SENSITIVE = /[<>&\u2028\u2029]/g;

/** Go's compact with HTML escaping: those characters can only occur inside strings. */
function compactGo(text: string): string {
  return text
    .replace(SPACE_OUTSIDE_STRINGS, (_, string: string | undefined) => string ?? '')
    .replace(HTML_SENSITIVE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON.stringify's first steps for a value: call toJSON, unwrap boxed primitives. A boxed bigint
 * (`Object(5n)`) is unwrapped first, so it is written as the bigint is (its digits, not what a
 * toJSON a BigInt polyfill added gives); as the object it is, without keys, it would be `{}`.
 */
function prepare(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || value instanceof RawJson) return value;
  if (value instanceof BigInt) return value.valueOf();
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const replaced: unknown = toJSON.call(value, key);
    if (replaced === null || typeof replaced !== 'object') return replaced;
    value = replaced;
  }
  return unboxed(value);
}

/** A Number, String, Boolean or BigInt object as the primitive it holds, which JSON writes. */
function unboxed(value: unknown): unknown {
  const boxed =
    value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt;
  return boxed ? value.valueOf() : value;
}
