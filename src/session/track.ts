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
