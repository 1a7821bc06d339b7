import { readFileSync } from 'node:fs';
import { formatRfc3339Nano, GO_ZERO_TIME_MS, PreciseDate } from '../../src/session/time.js';

/**
 * The exact bytes of a fixture, as Go's json.Marshal writes them. Marshal adds no newline; one at
 * the end of the file (which editors like to add) is dropped.
 */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').replace(/\n$/, '');
}

/** A UTC instant with nanosecond precision; month is 1-based, as people write dates. */
export function utc(year: number, month: number, day: number, h = 0, m = 0, s = 0, ms = 0, nanos = 0): Date {
  const date = new Date(Date.UTC(2000, month - 1, day, h, m, s, ms));
  // Date.UTC maps years 0-99 to 1900-1999; setting the year afterwards does not.
  date.setUTCFullYear(year);
  const epochMs = date.getTime();
  return nanos === 0 ? new Date(epochMs) : new PreciseDate(epochMs, nanos);
}

export const goZero = (): Date => new Date(GO_ZERO_TIME_MS);

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * A structure vitest can compare exactly. Its Date equality ignores the nanoseconds a PreciseDate
 * carries, and it stumbles on an own `__proto__` property, so dates become their RFC 3339 text
 * (all nine digits), byte arrays their contents, and objects sorted lists of entries (which also
 * makes null-prototype maps and plain objects compare alike). A negative zero is 0: a row holds
 * no signed zero (PostgreSQL's numeric), and every backend reads it back as 0.
 */
export function comparable(value: unknown): unknown {
  if (value === 0) return 0;
  if (value instanceof Date) return { $time: formatRfc3339Nano(value) };
  if (value instanceof Uint8Array) return { $bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return { $object: keys.map((key) => [key, comparable((value as Record<string, unknown>)[key])]) };
  }
  return value;
}

/** A map without a prototype built from entries, so `__proto__` is an ordinary key. */
export function mapOf<V>(entries: [string, V][]): Record<string, V> {
  const map: Record<string, V> = Object.create(null);
  for (const [key, value] of entries) map[key] = value;
  return map;
}

/** Chooses one of `options` (from a fast-check generator, or a seeded random function). */
export type Pick = (options: readonly string[]) => string;

/** A spelling Go folds to `name`: each letter in either case, k and s also as U+212A and U+017F. */
export function respell(name: string, pick: Pick): string {
  let out = '';
  for (const c of name) {
    const lower = c.toLowerCase();
    if (lower === c.toUpperCase()) out += c;
    else if (lower === 'k') out += pick(['k', 'K', '\u212a']);
    else if (lower === 's') out += pick(['s', 'S', '\u017f']);
    else out += pick([lower, c.toUpperCase()]);
  }
  return out;
}
