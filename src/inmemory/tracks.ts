import { decodeTrackNames, encodeTrackNames } from '../session/codec.js';
import { type StateMap, TRACKS_STATE_KEY } from '../session/state.js';
import type { TrackEvent, TrackEvents } from '../session/track.js';

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

/**
 * Adds a track event to a caller's session object: it may be a plain object, so the track is set
 * as an own property (a track named `__proto__` must not replace the object's prototype).
 */
export function addTrackEvent(tracks: Record<string, TrackEvents>, event: TrackEvent): void {
  if (!Object.hasOwn(tracks, event.track)) {
    Object.defineProperty(tracks, event.track, {
      value: { track: event.track, events: [] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  tracks[event.track]!.events.push(event);
}
