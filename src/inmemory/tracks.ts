import { decodeTrackNames, encodeTrackNames } from '../session/codec/index.js';
import { type StateMap, TRACKS_STATE_KEY } from '../session/state.js';

/**
 * The `tracks` index value after adding `track`, or undefined when it is already listed. Names
 * keep first-append order. Computed before anything changes, so an index that does not decode
 * fails the append without a partial write.
 */
export function indexWithTrack(state: StateMap | undefined, track: string): Uint8Array | undefined {
  const raw = state?.[TRACKS_STATE_KEY];
  const names = raw ? decodeTrackNames(raw) : [];
  return names.includes(track) ? undefined : encodeTrackNames([...names, track]);
}
