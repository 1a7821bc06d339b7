/**
 * The values of a LangChain message as JSON, and back, without loss. A message's fields hold more
 * than JSON can: `undefined` (a constructor sets `id: undefined`, and a strict deep-equal sees the
 * key), bytes (a content block's `data` may be a Uint8Array), dates, and numbers JSON has no word
 * for. Those are written as a one-key object `{ "$lc": [tag, payload] }`; a stored object that
 * itself has the one key `$lc` is wrapped the same way (tag `object`), so no user value is ever
 * read back as a tag.
 *
 * Objects are rebuilt with defineProperty-style entries, so a key such as `__proto__` stays an
 * ordinary key and never becomes a prototype.
 */
import { InvalidArgumentError, readCallerValue } from '../../index.js';

const TAG = '$lc';

type Tagged = { [TAG]: [string, unknown] };

const tagged = (tag: string, payload: unknown): Tagged => ({ [TAG]: [tag, payload] });

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function encodeNumber(value: number): unknown {
  if (Number.isFinite(value)) return Object.is(value, -0) ? tagged('number', '-0') : value;
  return tagged('number', String(value));
}

/**
 * A JSON-safe copy of `value`. Functions, symbols, bigints, class instances other than Date and
 * Uint8Array, and cycles are refused with an INVALID_ARGUMENT error naming the path.
 */
export function encodeValue(value: unknown, path: string, seen: Set<object> = new Set()): unknown {
  // A getter or Proxy trap of the caller's that throws (or nesting deeper than the stack) is
  // refused naming the path it was met at.
  return readCallerValue(path, () => encodeAt(value, path, seen));
}

function encodeAt(value: unknown, path: string, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return encodeNumber(value);
    case 'undefined':
      return tagged('undefined', 0);
    case 'object':
      break;
    default:
      throw new InvalidArgumentError(
        path,
        `must be JSON data, a Date or a Uint8Array (got a ${typeof value})`,
      );
  }
  if (value === null) return null;
  if (value instanceof Date)
    return tagged('date', Number.isNaN(value.getTime()) ? null : value.toISOString());
  if (value instanceof Uint8Array) return tagged('bytes', Buffer.from(value).toString('base64'));
  if (seen.has(value)) throw new InvalidArgumentError(path, 'must not refer to itself (a cycle)');
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, i) => encodeValue(item, `${path}[${i}]`, seen));
    if (!isPlainObject(value)) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new InvalidArgumentError(path, `must be JSON data, a Date or a Uint8Array (got a ${name})`);
    }
    const entries = Object.entries(value).map(([k, v]) => [k, encodeValue(v, `${path}.${k}`, seen)]);
    const out = Object.fromEntries(entries) as Record<string, unknown>;
    return entries.length === 1 && entries[0]![0] === TAG ? tagged('object', out) : out;
  } finally {
    seen.delete(value);
  }
}

function decodeTagged([tag, payload]: [string, unknown]): unknown {
  switch (tag) {
    case 'undefined':
      return undefined;
    case 'number':
      return Number(payload);
    case 'date':
      return new Date(payload === null ? Number.NaN : String(payload));
    case 'bytes':
      return new Uint8Array(Buffer.from(String(payload), 'base64'));
    case 'object':
      return decodeEntries(payload as Record<string, unknown>);
    default:
      throw new InvalidArgumentError(TAG, `holds an unknown tag: ${tag}`);
  }
}

/** A plain copy of the object with each entry decoded. */
function decodeEntries(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = decodeValue(record[key]);
    // defineProperty semantics for `__proto__`: an own key, never the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

function isTagged(record: Record<string, unknown>): boolean {
  if (!Object.hasOwn(record, TAG) || !Array.isArray(record[TAG])) return false;
  const keys = Object.keys(record);
  return keys.length === 1 && keys[0] === TAG;
}

/**
 * The value {@link encodeValue} was given. A copy: the message read back shares nothing with the
 * event it was read from (which a service may keep).
 */
export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const record = value as Record<string, unknown>;
  if (isTagged(record)) return decodeTagged(record[TAG] as [string, unknown]);
  return decodeEntries(record);
}
