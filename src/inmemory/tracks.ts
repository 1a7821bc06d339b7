import { encodeTrackNames } from '../session/codec/index.js';

/**
 * The `tracks` index value after adding `track` to the index listing `names`, or undefined when
 * it is already listed. Names keep first-append order.
 */
export function indexWithTrack(names: readonly string[], track: string): Uint8Array | undefined {
  return names.includes(track) ? undefined : encodeTrackNames([...names, track]);
}
