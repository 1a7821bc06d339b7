import type { Session } from './session.js';

/**
 * Turns a session's events into a summary text. The session a summarizer receives holds only the
 * events since the previous summary's boundary (matching the filter key), with the previous
 * summary in front as a `system` event, so summaries are built incrementally.
 */
export interface SessionSummarizer {
  /** Whether enough happened to be worth a summary; skipped when the caller forces one. */
  shouldSummarize(session: Session): boolean | Promise<boolean>;
  /** The summary text; an empty text leaves the stored summary as it is. Stop when `signal` aborts. */
  summarize(session: Session, signal: AbortSignal): Promise<string>;
  /** Describes the summarizer (model, prompt version) for logs. */
  metadata?(): Record<string, unknown>;
}
