/** Mirrors trpc-agent-go's `session.TrackEvent` JSON (stored in session_track_events.event). */
export interface TrackEvent {
  track: string;
  /** Any JSON value (Go's json.RawMessage); null when absent. */
  payload: unknown;
  timestamp: Date;
}

/** The events of one track, oldest first. */
export interface TrackEvents {
  track: string;
  events: TrackEvent[];
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
