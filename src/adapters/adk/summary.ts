import { type Event as AdkEvent, createEvent } from '@google/adk';
import { FULL_SESSION_FILTER_KEY, type Session as StoreSession } from '../../index.js';
import { computeSummaryDelta, cutoffBoundary } from '../../summary/index.js';
import { fromStoredEvent } from './event-codec.js';
import { eventsForModel } from './window.js';

/** How the summary is put in front of the events after it: a user turn the model reads first. */
export const SUMMARY_PREFIX = 'Summary of the conversation so far:\n';

/** A session's model context as trpc-agent-go feeds it: its latest summary, then what followed. */
export interface AdkSummaryContext {
  /** The summary's text; undefined when the session has no summary yet. */
  summary: string | undefined;
  /**
   * The events for the model: the summary as a first `user` event (when there is one, id
   * `summary:<session id>`, never stored), then every stored event after the summary's boundary,
   * windowed by the adapter's rule (no function response without its call).
   */
  events: AdkEvent[];
}

/**
 * The latest full-session summary of a store session and the events after its boundary, as ADK
 * events. The boundary is exact where the summary names its last event (events sharing its
 * millisecond are neither lost nor repeated), and by time otherwise.
 */
export function summaryContextOf(session: StoreSession): AdkSummaryContext {
  const stored = session.summaries[FULL_SESSION_FILTER_KEY];
  const text = stored?.summary ? stored.summary : undefined;
  if (text === undefined)
    return { summary: undefined, events: eventsForModel(session.events.map(fromStoredEvent)) };
  const boundary = cutoffBoundary(stored);
  const after = computeSummaryDelta(session.events, boundary, FULL_SESSION_FILTER_KEY).events;
  const summaryEvent = createEvent({
    id: `summary:${session.id}`,
    author: 'user',
    timestamp: boundary?.cutoff_at.getTime() ?? session.createdAt.getTime(),
    content: { role: 'user', parts: [{ text: SUMMARY_PREFIX + text }] },
  });
  return { summary: text, events: eventsForModel([summaryEvent, ...after.map(fromStoredEvent)]) };
}
