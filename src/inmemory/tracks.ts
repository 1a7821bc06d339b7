import { decodeTrackNames, encodeTrackNames } from '../session/codec/index.js';

/**
 * The `tracks` index value after adding `track` to `raw` (the value a session's state holds), or
 * undefined when it is already listed. Names keep first-append order. Computed before anything
 * changes, so an index that does not decode fails the append without a partial write, with the
 * error `fail` makes of the rule it breaks (as the PostgreSQL backend: INVALID_ARGUMENT for the
 * caller's index, STORAGE for the stored one).
 */
export function indexWithTrack(
  raw: Uint8Array | null | undefined,
  track: string,
  fail: (rule: string) => Error,
): Uint8Array | undefined {
  let names: string[];
  try {
    names = raw ? decodeTrackNames(raw) : [];
  } catch (error) {
    throw fail(`must be a JSON list of track names (${(error as Error).message})`);
  }
  return names.includes(track) ? undefined : encodeTrackNames([...names, track]);
}
