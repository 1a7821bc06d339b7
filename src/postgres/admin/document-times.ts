/**
 * The times inside a stored document (an event's `timestamp` and `response.timestamp`, a
 * summary's `updated_at`, a track event's `timestamp`, a state envelope's `createdAt`) held to
 * what the service writes. Our reads, and Go's, take any RFC 3339 year (0000 included), but the
 * service refuses to write a time outside 0001-9999 (see isStorableTime): a document holding one
 * is a document the service itself would never have stored, so an import refuses it too.
 */
import { isStorableTime } from '../../session/time.js';

/** The rule a time inside a document breaks, as the import states it. */
export const DOCUMENT_TIME_RULE =
  'must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (UTC), as the service writes';

/**
 * The path (`event.response.timestamp`) of the first time in `decoded` that the service would
 * refuse to write, nearest the root first; undefined when every time is one it writes. Go's zero
 * time (0001-01-01T00:00:00Z), which Go writes for every unset time, is the first it writes.
 * `decoded` is a document as the read path's decoder returns it, its times as Dates under
 * their JSON names; walked without recursion, level by level.
 */
export function unwritableTimePath(decoded: unknown, root: string): string | undefined {
  const pending: [unknown, string][] = [[decoded, root]];
  for (let i = 0; i < pending.length; i++) {
    const [value, path] = pending[i]!;
    if (value instanceof Date) {
      if (!isStorableTime(value)) return path;
    } else if (ArrayBuffer.isView(value)) {
      // Bytes (a state value) hold no time, and walking them would visit every byte.
    } else if (Array.isArray(value)) {
      value.forEach((item, n) => {
        pending.push([item, `${path}[${n}]`]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) pending.push([item, `${path}.${key}`]);
    }
  }
  return undefined;
}
