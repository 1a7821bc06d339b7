/**
 * A lossless JSON form for the values of the OpenAI Agents SDK's items: what JSON itself keeps
 * (objects, arrays, strings, finite numbers, booleans, null) stays as it is, and the few values
 * an item may hold that JSON would change are written as one-key tag objects:
 *
 * - `Uint8Array` (image and file data) as `{"$bytes": "<base64>"}`, read back as a Uint8Array;
 * - a property or array slot holding `undefined` as `{"$undefined": true}`, so it comes back
 *   present (JSON would drop the property, or turn the slot into null);
 * - an object key that starts with `$` gets one more `$` in front, so no key of the caller's can
 *   ever be taken for a tag.
 *
 * {@link toLosslessJson} reports whether it had to write any tag or escape: a value that needed
 * none is stored as is and read back without a walk, which is what keeps loading a long chat
 * cheap. Everything else JSON cannot hold (NUL characters, lone surrogates, non-finite numbers,
 * cycles) is refused by the store's event encoder with a typed error naming the field, never
 * silently changed.
 */

const BYTES = '$bytes';
const UNDEFINED = '$undefined';

/** The JSON-safe form of a value, and whether it differs from the value itself. */
export interface LosslessJson {
  value: unknown;
  tagged: boolean;
}

/** Defines an own, enumerable property, so a key such as `__proto__` stays an ordinary key. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function fromBase64(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'base64');
  // A plain Uint8Array (not a Buffer) over its own memory, as the SDK's schema expects.
  const bytes = new Uint8Array(buffer.byteLength);
  bytes.set(buffer);
  return bytes;
}

/** Writes `value` in the lossless form (a new tree; the value is not changed). */
export function toLosslessJson(value: unknown): LosslessJson {
  let tagged = false;
  const walk = (v: unknown): unknown => {
    if (v === undefined) {
      tagged = true;
      return { [UNDEFINED]: true };
    }
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Uint8Array) {
      tagged = true;
      return { [BYTES]: base64(v) };
    }
    if (Array.isArray(v)) return v.map(walk);
    // Left to the store's encoder, which calls toJSON as JSON.stringify does (a Date, say).
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      let name = key;
      if (key.startsWith('$')) {
        tagged = true;
        name = `$${key}`;
      }
      put(out, name, walk((v as Record<string, unknown>)[key]));
    }
    return out;
  };
  const out = walk(value);
  return { value: out, tagged };
}

/** Reads a value written by {@link toLosslessJson} with `tagged` set. */
export function fromLosslessJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromLosslessJson);
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  if (keys.length === 1) {
    const only = keys[0]!;
    if (only === BYTES && typeof record[only] === 'string') return fromBase64(record[only] as string);
    if (only === UNDEFINED) return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    put(out, key.startsWith('$$') ? key.slice(1) : key, fromLosslessJson(record[key]));
  }
  return out;
}
