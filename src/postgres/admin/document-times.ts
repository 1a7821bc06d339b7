/**
 * The times inside a stored document (an event's `timestamp` and `response.timestamp`, a
 * summary's `updated_at` and `boundary.cutoff_at`, a track event's `timestamp`, a state
 * envelope's `createdAt` and `updatedAt`) held to what the service writes. Our reads, and Go's,
 * take any RFC 3339 year (0000 included), but the service refuses to write a time outside
 * 0001-9999 (see isStorableTime): a document holding one is a document the service itself would
 * never have stored, so an import refuses it too.
 */
import { GO_ZERO_TIME_MS, isStorableTime } from '../../session/time.js';

/** The rule a time inside a document breaks, as the import states it. */
export const DOCUMENT_TIME_RULE =
  'must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (UTC), as the service writes';

/** The documents an import reads, by the name its messages give them. */
export type DocumentKind = 'event' | 'summary' | 'trackEvent' | 'sessionState';

/** A time field of a document: its path, and whether a statement casts it to a timestamp. */
interface TimeField {
  path: readonly string[];
  /**
   * An event's `timestamp` (an eventTime read's rare lookup) and the envelope's `createdAt` and
   * `updatedAt` (every append) are cast by SQL, and PostgreSQL has no year 0000: a shifted zero
   * there (see isShiftedGoZero) would make every later write to the session fail, so it is
   * refused in these fields like any other year-0000 time.
   */
  cast: boolean;
}

/**
 * Where each kind holds its times, as the read path's decoder returns it (Dates under their JSON
 * names). Only these are looked at: the rest of a document (a tool's arguments, a payload,
 * `extensions`) is the caller's data, whose date-like strings are no times of ours, and walking
 * every node of a large session doubled its import.
 */
const TIME_FIELDS: Readonly<Record<DocumentKind, readonly TimeField[]>> = {
  event: [
    { path: ['timestamp'], cast: true },
    { path: ['response', 'timestamp'], cast: false },
  ],
  summary: [
    { path: ['updated_at'], cast: false },
    { path: ['boundary', 'cutoff_at'], cast: false },
  ],
  trackEvent: [{ path: ['timestamp'], cast: false }],
  sessionState: [
    { path: ['createdAt'], cast: true },
    { path: ['updatedAt'], cast: true },
  ],
};

/**
 * Go's zero time shown in a zone west of Greenwich whose offset has seconds (a local mean time,
 * as `time.Time{}.In(loc)` gives): Go writes the offset to the minute, so the text reads back up
 * to 59 seconds before the zero instant, in the year 0000 (`0000-12-31T16:07:02-07:52` in
 * America/Los_Angeles). It is Go's unset time (an event's `response.timestamp` most often), and a
 * backup of it must restore.
 */
function isShiftedGoZero(time: Date): boolean {
  const ms = time.getTime();
  return ms < GO_ZERO_TIME_MS && ms > GO_ZERO_TIME_MS - 60_000;
}

/**
 * The path (`event.response.timestamp`) of the first time in `decoded` that the service would
 * refuse to write; undefined when every time is one it writes. Go's zero time
 * (0001-01-01T00:00:00Z), which Go writes for every unset time, is the first it writes.
 */
export function unwritableTimePath(decoded: unknown, kind: DocumentKind): string | undefined {
  for (const { path, cast } of TIME_FIELDS[kind]) {
    let value: unknown = decoded;
    for (const name of path)
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
    if (value instanceof Date && !isStorableTime(value) && (cast || !isShiftedGoZero(value)))
      return [kind, ...path].join('.');
  }
  return undefined;
}
