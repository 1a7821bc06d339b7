import { digits, scanDateTime, scanned } from './calendar.js';

/**
 * Timestamps as Go writes them: RFC 3339 with up to nine fractional digits (Go's RFC3339Nano,
 * trailing zeros trimmed). A JavaScript Date keeps milliseconds only, so a timestamp read from Go's
 * JSON is a {@link PreciseDate}: a Date that also carries the nanoseconds below the millisecond,
 * and writes them back unchanged.
 */
export class PreciseDate extends Date {
  /** Nanoseconds beyond the Date's milliseconds, 0 to 999,999. */
  readonly subMillisecondNanos: number;

  constructor(epochMs: number, subMillisecondNanos = 0) {
    super(epochMs);
    if (!Number.isInteger(subMillisecondNanos) || subMillisecondNanos < 0 || subMillisecondNanos > 999_999) {
      throw new RangeError(
        `subMillisecondNanos must be an integer in [0, 999999], got ${subMillisecondNanos}`,
      );
    }
    this.subMillisecondNanos = subMillisecondNanos;
  }
}

/** Go's zero `time.Time` (0001-01-01T00:00:00Z), which Go writes for unset non-pointer times. */
export const GO_ZERO_TIME_MS = -62135596800000;

const GO_ZERO_TIME_TEXT = '0001-01-01T00:00:00Z';

/**
 * The first instant every backend stores: Go's zero time, 0001-01-01T00:00:00Z. A timestamp is
 * written as RFC 3339 text in Go's JSON (years 0000-9999) and as `YYYY-MM-DD HH:MM:SS.ffffff`
 * in PostgreSQL's TIMESTAMP columns, where a year 0000 does not exist (PostgreSQL counts 1 BC
 * before 1 AD and refuses "0000-..." as out of range). The range both formats hold is
 * therefore years 0001 to 9999.
 */
export const MIN_STORABLE_TIME_MS = GO_ZERO_TIME_MS;

/**
 * The last millisecond every backend stores: 9999-12-31T23:59:59.999Z (a PreciseDate may add
 * up to 999,999 nanoseconds to it; PostgreSQL keeps the microseconds). RFC 3339 has four-digit
 * years, and Go's encoder refuses year 10000 as well.
 */
export const MAX_STORABLE_TIME_MS = 253_402_300_799_999;

/** The rule {@link isStorableTime} checks, as an error message states it. */
export const STORABLE_TIME_RULE =
  'must be a valid Date from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z';

/**
 * Whether a value is a Date every backend can store and compare the same way: a valid Date in
 * years 0001-9999. Outside it, the in-memory backend would answer and the PostgreSQL backends
 * fail (JavaScript Dates reach year 275760), so every backend refuses it alike.
 */
export function isStorableTime(value: unknown): value is Date {
  // instanceof runs a Proxy's getPrototypeOf trap, which may throw (a revoked Proxy's does):
  // whatever throws there is no Date.
  try {
    if (!(value instanceof Date)) return false;
  } catch {
    return false;
  }
  const ms = value.getTime();
  return ms >= MIN_STORABLE_TIME_MS && ms <= MAX_STORABLE_TIME_MS;
}

export function isGoZeroTime(date: Date): boolean {
  return date.getTime() === GO_ZERO_TIME_MS && subMillisecondNanos(date) === 0;
}

export function goZeroTime(): Date {
  return new Date(GO_ZERO_TIME_MS);
}

/**
 * The nanoseconds a Date carries below its milliseconds: a PreciseDate's, or those of any Date
 * with an integer `subMillisecondNanos` (the timestamps the driver seam reads from the database
 * carry their microseconds that way); 0 for a plain Date.
 */
export function subMillisecondNanos(date: Date): number {
  if (date instanceof PreciseDate) return date.subMillisecondNanos;
  const nanos = (date as { subMillisecondNanos?: unknown }).subMillisecondNanos;
  return typeof nanos === 'number' && Number.isInteger(nanos) && nanos >= 0 && nanos <= 999_999 ? nanos : 0;
}

/**
 * `date` moved `micros` microseconds later, keeping the nanoseconds it carries: where a batch of
 * events stored one microsecond apart leaves a session's updatedAt.
 */
export function plusMicroseconds(date: Date, micros: number): Date {
  if (micros === 0) return date;
  const nanos = subMillisecondNanos(date) + micros * 1000;
  return new PreciseDate(date.getTime() + Math.floor(nanos / 1_000_000), nanos % 1_000_000);
}

/** Nanoseconds within the second, 0 to 999,999,999. */
function nanosOfSecond(date: Date): number {
  return date.getUTCMilliseconds() * 1_000_000 + subMillisecondNanos(date);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Formats as Go's RFC3339Nano in UTC: `2026-01-02T03:04:05.123456789Z`, trailing zeros trimmed. */
export function formatRfc3339Nano(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('cannot format an invalid Date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} is outside RFC 3339's range 0000-9999`);
  const base =
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const nanos = nanosOfSecond(date);
  if (nanos === 0) return `${base}Z`;
  return `${base}.${pad(nanos, 9).replace(/0+$/, '')}Z`;
}

const RFC3339_SEPARATORS = [84, 116]; // T t
const COLON = 58;

const dateOf = (ms: number, nanos: number): Date => (nanos === 0 ? new Date(ms) : new PreciseDate(ms, nanos));

/**
 * Parses RFC 3339 with any offset and up to nine fractional digits, keeping every digit.
 * Returns null when the text is not such a timestamp.
 */
export function parseRfc3339(text: string): Date | null {
  // Go writes its zero time for every unset time.Time (every event's response.timestamp).
  if (text === GO_ZERO_TIME_TEXT) return new Date(GO_ZERO_TIME_MS);
  let ms = scanDateTime(text, RFC3339_SEPARATORS);
  if (Number.isNaN(ms)) return null;
  const { nanos, end } = scanned;
  const zone = text.charCodeAt(end);
  if (zone === 90 || zone === 122) {
    // Z or z
    if (text.length !== end + 1) return null;
  } else if (zone === 43 || zone === 45) {
    // +hh:mm or -hh:mm
    const hours = digits(text, end + 1, 2);
    const minutes = digits(text, end + 4, 2);
    if (hours < 0 || minutes < 0 || text.charCodeAt(end + 3) !== COLON || text.length !== end + 6)
      return null;
    ms -= (zone === 43 ? 1 : -1) * (hours * 60 + minutes) * 60_000;
  } else {
    return null;
  }
  return dateOf(ms, nanos);
}

/** Compares two timestamps to the nanosecond: negative, zero or positive. */
export function compareTime(a: Date, b: Date): number {
  return a.getTime() - b.getTime() || subMillisecondNanos(a) - subMillisecondNanos(b);
}

/**
 * Whether two timestamps of one thing (a session's creation time, as a caller holds it and as a
 * backend stores it) name the same instant, to the precision both carry: the same millisecond,
 * and the same microsecond when both carry digits below the millisecond. A plain Date holds
 * milliseconds only, a PostgreSQL column microseconds and Go's JSON nanoseconds, so a session
 * read back through a coarser format still matches the row it came from.
 */
export function sameInstantAtCommonPrecision(a: Date, b: Date): boolean {
  if (!(a instanceof Date) || !(b instanceof Date)) return false;
  if (a.getTime() !== b.getTime()) return false;
  const na = subMillisecondNanos(a);
  const nb = subMillisecondNanos(b);
  return na === 0 || nb === 0 || Math.floor(na / 1000) === Math.floor(nb / 1000);
}

/**
 * Formats for a `TIMESTAMP WITHOUT TIME ZONE` parameter as UTC wall-clock with microseconds.
 * Drivers otherwise send a Date in the process's zone, and PostgreSQL drops the offset when it
 * casts to TIMESTAMP, which would store local time (trpc-agent-go issue #2530).
 */
export function toSqlTimestamp(date: Date): string {
  const iso = formatRfc3339Nano(date);
  const nanos = nanosOfSecond(date);
  const micros = Math.floor(nanos / 1000);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${pad(micros, 6)}`;
}
