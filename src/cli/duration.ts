/**
 * Durations as operators type them: `30d`, `12h`, `15m`, `45s`, `500ms`, or combined (`1h30m`).
 */
import { MAX_TTL_MS } from '../session/option-checks.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/**
 * The longest duration taken: the service's longest TTL, Go's longest duration (about 292 years).
 * A longer TTL or age is refused by the service, or reaches back to times PostgreSQL's timestamps
 * and Go's RFC 3339 cannot hold.
 */
const MAX_DURATION_MS = MAX_TTL_MS;

/**
 * Parses a duration into milliseconds. A bare number is refused: "30" could mean seconds or
 * days, and guessing wrong in `purge` deletes data.
 *
 * @throws RangeError with a message naming the accepted forms.
 */
export function parseDuration(text: string): number {
  const input = text.trim().toLowerCase();
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(input); m; m = PART.exec(input)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  if (input === '' || matched !== input.length) {
    throw new RangeError(
      `"${text}" is not a duration; use a number with a unit: 30d, 12h, 15m, 45s, 500ms, 1h30m`,
    );
  }
  if (!Number.isFinite(total) || total > MAX_DURATION_MS) {
    throw new RangeError(`"${text}" is too long a duration (at most 292 years, Go's longest)`);
  }
  return Math.round(total);
}

/** A duration in its largest whole unit, for messages: 2592000000 → `30d`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
