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

export function isGoZeroTime(date: Date): boolean {
  return date.getTime() === GO_ZERO_TIME_MS && subMillisecondNanos(date) === 0;
}

export function goZeroTime(): Date {
  return new Date(GO_ZERO_TIME_MS);
}

export function subMillisecondNanos(date: Date): number {
  return date instanceof PreciseDate ? date.subMillisecondNanos : 0;
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

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses RFC 3339 with any offset and up to nine fractional digits, keeping every digit.
 * Returns null when the text is not such a timestamp.
 */
export function parseRfc3339(text: string): Date | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', , sign, oh, om] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  if (date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let ms = date.getTime();
  if (sign) ms -= (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const nanos = Number(frac.padEnd(9, '0'));
  ms += Math.floor(nanos / 1_000_000);
  const rest = nanos % 1_000_000;
  return rest === 0 ? new Date(ms) : new PreciseDate(ms, rest);
}

/** Compares two timestamps to the nanosecond: negative, zero or positive. */
export function compareTime(a: Date, b: Date): number {
  return a.getTime() - b.getTime() || subMillisecondNanos(a) - subMillisecondNanos(b);
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

/** Parses a `TIMESTAMP WITHOUT TIME ZONE` text value (`2026-01-02 03:04:05.123456`) as UTC. */
export function fromSqlTimestamp(text: string): Date {
  const parsed = parseRfc3339(`${text.replace(' ', 'T')}Z`);
  if (!parsed) throw new RangeError(`not a timestamp: ${text}`);
  return parsed;
}
