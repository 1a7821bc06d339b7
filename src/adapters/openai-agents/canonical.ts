/**
 * Comparing items and transactions as the SDK does (its MemorySession's structural equality):
 * key order does not matter, byte arrays compare by content, and a property holding `undefined`
 * is not the same as an absent one. Both sides are written in the lossless JSON form with sorted
 * keys, so one string comparison (or one hash) decides.
 */
import { createHash } from 'node:crypto';
import { toLosslessJson } from './lossless-json.js';

/** Sorts object keys at every depth (of a JSON-safe value). */
function sorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sorted);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, {
      value: sorted((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The value's canonical text: equal for values the SDK counts as equal. */
export function canonicalJson(value: unknown): string {
  // Through JSON first, so a toJSON the lossless form leaves in place (a Date) is applied.
  const plain: unknown = JSON.parse(JSON.stringify(toLosslessJson(value).value) ?? 'null');
  return JSON.stringify(sorted(plain));
}

/** A SHA-256 digest (hex) of a text: what is stored to recognise a transaction or an id. */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
