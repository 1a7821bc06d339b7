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

/** Whether `text` is a timestamp as the export writes it. */
export function isExportedTimestamp(text: string): boolean {
  return EXPORTED.test(text);
}

/** An exported timestamp as a TIMESTAMP parameter (`2026-01-02 03:04:05.123456`). */
export function exportedToSql(text: string): string {
  const m = EXPORTED.exec(text);
  if (!m) throw new RangeError(`not an exported timestamp: ${text}`);
  return `${m[1]} ${m[2]}`;
}
