/**
 * Timestamps as the export format carries them: `2026-01-02T03:04:05.123456Z`, every microsecond
 * of a TIMESTAMP column kept, rendered by the server independently of its DateStyle.
 */

/**
 * SQL that renders a TIMESTAMP column as the ISO text the export writes
 * (`2026-01-02T03:04:05.123456Z`): every microsecond kept, independent of the server's DateStyle.
 */
export function isoColumn(column: string): string {
  return `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

const EXPORTED = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)Z$/;

/** Days of each month in a leap year; February is checked apart. */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/**
 * Whether `text` is a timestamp as the export writes it, naming an instant a TIMESTAMP column
 * holds: the shape alone would let year 0000 (PostgreSQL has none), month 13 or February 30
 * through to fail in the database.
 */
export function isExportedTimestamp(text: string): boolean {
  const m = EXPORTED.exec(text);
  if (!m) return false;
  const [year, month, day] = m[1]!.split('-').map(Number) as [number, number, number];
  const [hour, minute, second] = m[2]!.slice(0, 8).split(':').map(Number) as [number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > MONTH_DAYS[month - 1]!) return false;
  if (month === 2 && day === 29 && !isLeapYear(year)) return false;
  return hour <= 23 && minute <= 59 && second <= 59;
}

/** An exported timestamp as a TIMESTAMP parameter (`2026-01-02 03:04:05.123456`). */
export function exportedToSql(text: string): string {
  const m = EXPORTED.exec(text);
  if (!m) throw new RangeError(`not an exported timestamp: ${text}`);
  return `${m[1]} ${m[2]}`;
}
