import { type Event, FULL_SESSION_FILTER_KEY, type Summary } from '../../index.js';
import { computeSummaryDelta, cutoffBoundary, pickSummaryText } from '../../summary/index.js';
import { foldMessages } from './history.js';
import { storedRecord, type UIMessageLike } from './stored-message.js';

/** The id of the system message that carries a chat's summary to the model. */
export const SUMMARY_MESSAGE_ID = 'agent-sessions:summary';

/** What the model needs of a long chat: its latest summary and the messages after it. */
export interface SummarizedChat<M extends UIMessageLike> {
  /** The full-session summary's text, when the chat has one. */
  summary: string | undefined;
  /**
   * The model's context as UI messages, ready for `convertToModelMessages`: the summary as a
   * system message (id {@link SUMMARY_MESSAGE_ID}) followed by the messages after its boundary;
   * the whole chat when there is no summary.
   */
  messages: M[];
}

/**
 * The chat as trpc-agent-go feeds a summarized session to its model: the latest full-session
 * summary, then what came after its boundary. A message counts as after the boundary when any of
 * its versions was stored after it (a message continued after the summary comes back whole). The
 * messages then start at a user message, reaching back before the boundary if need be, so the model
 * never gets an assistant turn without the user turn that asked for it.
 */
export function summarizeChat<M extends UIMessageLike>(
  events: readonly Event[],
  summaries: Readonly<Record<string, Summary>>,
  createdAt: Date | undefined,
): SummarizedChat<M> {
  const messages = foldMessages<M>(events);
  const summary = pickSummaryText(summaries, FULL_SESSION_FILTER_KEY, createdAt);
  if (summary === undefined) return { summary, messages };
  const boundary = cutoffBoundary(summaries[FULL_SESSION_FILTER_KEY]);
  const recentIds = new Set<string>();
  for (const event of computeSummaryDelta(events, boundary, FULL_SESSION_FILTER_KEY).events) {
    const record = storedRecord<M>(event);
    if (record && 'message' in record) recentIds.add(record.message.id);
  }
  let start = messages.findIndex((message) => recentIds.has(message.id));
  if (start < 0) start = messages.length;
  while (start > 0 && start < messages.length && messages[start]!.role !== 'user') start--;
  const summaryMessage = {
    id: SUMMARY_MESSAGE_ID,
    role: 'system',
    parts: [{ type: 'text', text: summary }],
  } as unknown as M;
  return { summary, messages: [summaryMessage, ...messages.slice(start)] };
}
