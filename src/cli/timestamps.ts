/**
 * Timestamps at the command's edges. The tables hold UTC wall-clock values in `TIMESTAMP`
 * columns; the command prints them as ISO 8601 with a `Z` and reads instants given by the user
 * in any offset.
 */
import { isStorableTime, parseRfc3339, toSqlTimestamp } from '../session/time.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;

/**
 * Reads an instant given on the command line: `2026-01-02`, `2026-01-02T03:04:05Z`,
 * `2026-01-02T03:04:05+08:00`, `2026-01-02 03:04`. A value without an offset is UTC, like
 * everything the tables hold.
 *
 * @throws RangeError naming the accepted forms.
 */
export function parseInstant(text: string): Date {
  const input = text.trim();
  let candidate = input;
  if (DATE_ONLY.test(input)) candidate = `${input}T00:00:00Z`;
  else if (NO_OFFSET.test(input)) {
    const withSeconds = /[Tt ]\d{2}:\d{2}$/.test(input) ? `${input}:00` : input;
    candidate = `${withSeconds.replace(' ', 'T')}Z`;
  }
  const parsed = parseRfc3339(candidate);
  if (!parsed) {
    throw new RangeError(
      `"${text}" is not an ISO 8601 date or time; use e.g. 2026-01-02 or 2026-01-02T03:04:05Z`,
    );
  }
  // Here rather than at the operator API, whose error would name its field (`updatedSince`),
  // not the flag the user typed.
  if (!isStorableTime(parsed)) {
    throw new RangeError(`"${text}" is outside the years 0001-9999 the tables hold`);
  }
  return parsed;
}

/** "Now" as a TIMESTAMP parameter: the application's clock, never the server's zone. */
export function sqlNow(now: Date = new Date()): string {
  return toSqlTimestamp(now);
}

/** A Date for display: `2026-01-02 03:04:05Z` (seconds are precise enough for a person). */
export function formatUtc(date: Date | null | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return '-';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** An exported timestamp text for display, trimmed to seconds. */
export function formatExported(text: string | null): string {
  if (text === null) return '-';
  return `${text.slice(0, 19).replace('T', ' ')}Z`;
}
