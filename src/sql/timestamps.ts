/**
 * PostgreSQL's text output of `TIMESTAMP` and `TIMESTAMPTZ` (DateStyle ISO), read into Dates that
 * keep every microsecond. This is the driver's format, so the driver seam reads it; the model's
 * formats (Go's RFC 3339 with nanoseconds) are session/time.ts's.
 *
 * A value keeps its microseconds as `subMillisecondNanos` on the Date, the same property
 * session/time.ts's PreciseDate carries, so a timestamp read back can be passed as a parameter
 * again and still compare equal to the stored one (keyset paging on created_at depends on that).
 */
import { digits, scanDateTime, scanned } from '../session/calendar.js';

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

// Space, as PostgreSQL writes it, or T.
const SQL_SEPARATORS = [32, 84];

const dateOf = (ms: number, nanos: number): Date =>
  nanos === 0 ? new Date(ms) : new SqlTimestamp(ms, nanos);

/**
 * Parses a `TIMESTAMP WITHOUT TIME ZONE` text value (`2026-01-02 03:04:05.123456`) as UTC.
 *
 * @throws RangeError naming the text when it is not such a value.
 */
export function fromSqlTimestamp(text: string): Date {
  const ms = scanDateTime(text, SQL_SEPARATORS);
  if (Number.isNaN(ms) || scanned.end !== text.length) throw new RangeError(`not a timestamp: ${text}`);
  return dateOf(ms, scanned.nanos);
}

/**
 * Parses a `TIMESTAMP WITH TIME ZONE` text value (`2026-01-02 03:04:05.123456+08`, or `+05:30`)
 * as an instant; null when it is not such a value.
 */
export function fromSqlTimestampTz(text: string): Date | null {
  const ms = scanDateTime(text, SQL_SEPARATORS);
  if (Number.isNaN(ms)) return null;
  const { nanos, end } = scanned;
  const sign = text[end];
  if (sign !== '+' && sign !== '-') return null;
  const hours = digits(text, end + 1, 2);
  const minutes = text.length === end + 3 ? 0 : text[end + 3] === ':' ? digits(text, end + 4, 2) : -1;
  if (hours < 0 || minutes < 0 || (text.length !== end + 3 && text.length !== end + 6)) return null;
  const offsetMs = (sign === '+' ? 1 : -1) * (hours * 60 + minutes) * 60_000;
  return dateOf(ms - offsetMs, nanos);
}
