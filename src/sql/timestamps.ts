/**
 * PostgreSQL's text output of `TIMESTAMP` and `TIMESTAMPTZ` (DateStyle ISO), read into Dates that
 * keep every microsecond. This is the driver's format, so the driver seam reads it; the model's
 * formats (Go's RFC 3339 with nanoseconds) are session/time.ts's.
 *
 * A value keeps its microseconds as `subMillisecondNanos` on the Date, the same property
 * session/time.ts's PreciseDate carries, so a timestamp read back can be passed as a parameter
 * again and still compare equal to the stored one (keyset paging on created_at depends on that).
 */

/**
 * A select-list expression that sets the session's DateStyle to ISO when it is another (and is
 * NULL either way). The read statements order events by the timestamp text the server writes,
 * which orders as time only in ISO (under `SQL, DMY`, `01/02/2026` sorts before `31/01/2026`),
 * and this module parses only ISO; each client runs it on the connections it is given.
 */
export const ISO_DATE_STYLE = `CASE WHEN current_setting('DateStyle') NOT LIKE 'ISO%'
  THEN set_config('DateStyle', 'ISO', false) END`;

/** A Date read from the database, with the nanoseconds below its milliseconds (whole microseconds). */
export class SqlTimestamp extends Date {
  /** Nanoseconds beyond the Date's milliseconds, 0 to 999,000. */
  readonly subMillisecondNanos: number;

  constructor(epochMs: number, subMillisecondNanos: number) {
    super(epochMs);
    this.subMillisecondNanos = subMillisecondNanos;
  }
}

/** The value of `count` decimal digits of `text` from `at`, or -1 when any is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return (
    era * 146_097 +
    yearOfEra * 365 +
    Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100) +
    dayOfYear -
    719_468
  );
}

/**
 * Reads `YYYY-MM-DD HH:MM:SS[.ffffff]` from the start of `text`: the UTC epoch milliseconds of that
 * wall-clock time, the nanoseconds below them, and where it stopped; null when it is not such a
 * time. Reads are hot (one per timestamp column per row), so this walks the characters.
 */
function scan(text: string): { ms: number; nanos: number; end: number } | null {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const sep = text.charCodeAt(10);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > (month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    (sep !== 32 && sep !== 84) ||
    text[13] !== ':' ||
    text[16] !== ':'
  )
    return null;
  let end = 19;
  let nanos = 0;
  if (text[end] === '.') {
    const first = ++end;
    for (; end < first + 9; end++) {
      const d = text.charCodeAt(end) - 48;
      if (!(d >= 0 && d <= 9)) break;
      nanos = nanos * 10 + d;
    }
    if (end === first) return null;
    nanos *= 10 ** (9 - (end - first));
  }
  const ms = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000;
  return { ms: ms + Math.floor(nanos / 1_000_000), nanos: nanos % 1_000_000, end };
}

const dateOf = (ms: number, nanos: number): Date =>
  nanos === 0 ? new Date(ms) : new SqlTimestamp(ms, nanos);

/**
 * Parses a `TIMESTAMP WITHOUT TIME ZONE` text value (`2026-01-02 03:04:05.123456`) as UTC.
 *
 * @throws RangeError naming the text when it is not such a value.
 */
export function fromSqlTimestamp(text: string): Date {
  const t = scan(text);
  if (!t || t.end !== text.length) throw new RangeError(`not a timestamp: ${text}`);
  return dateOf(t.ms, t.nanos);
}

/**
 * Parses a `TIMESTAMP WITH TIME ZONE` text value (`2026-01-02 03:04:05.123456+08`, or `+05:30`)
 * as an instant; null when it is not such a value.
 */
export function fromSqlTimestampTz(text: string): Date | null {
  const t = scan(text);
  if (!t) return null;
  const sign = text[t.end];
  if (sign !== '+' && sign !== '-') return null;
  const hours = digits(text, t.end + 1, 2);
  const minutes = text.length === t.end + 3 ? 0 : text[t.end + 3] === ':' ? digits(text, t.end + 4, 2) : -1;
  if (hours < 0 || minutes < 0 || (text.length !== t.end + 3 && text.length !== t.end + 6)) return null;
  const offsetMs = (sign === '+' ? 1 : -1) * (hours * 60 + minutes) * 60_000;
  return dateOf(t.ms - offsetMs, t.nanos);
}
