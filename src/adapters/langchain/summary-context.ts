/**
 * The context a model gets for a long history, the way trpc-agent-go feeds summaries back: the
 * session's latest summary, then the messages stored after its boundary.
 */
import { type BaseMessage, SystemMessage } from '@langchain/core/messages';
import { FULL_SESSION_FILTER_KEY, type Session } from '../../index.js';
import { computeSummaryDelta, cutoffBoundary } from '../../summary/index.js';
import { eventToMessages } from './message-event.js';
import { startWithToolCalls } from './window.js';

export interface SummaryContextOptions {
  /** The summary's filter key; falls back to the full-session summary. Default: the full session. */
  filterKey?: string;
  /** How the summary text reaches the model. Default: a SystemMessage starting "Summary of the conversation so far:". */
  summaryMessage?: (summary: string) => BaseMessage;
}

const defaultSummaryMessage = (summary: string): BaseMessage =>
  new SystemMessage(`Summary of the conversation so far:\n${summary}`);

/**
 * `[summary message, ...messages after the summary's boundary]`, or every message when the
 * session has no summary yet. A tool result right after the boundary keeps the AI message whose
 * call it answers (that message is repeated after the summary rather than the result dropped).
 */
export function summaryContext(session: Session, options: SummaryContextOptions = {}): BaseMessage[] {
  const filterKey = options.filterKey ?? FULL_SESSION_FILTER_KEY;
  const summary = session.summaries[filterKey] ?? session.summaries[FULL_SESSION_FILTER_KEY];
  // A Go service's event may hold several messages: the boundary is an event, found by its index.
  const perEvent = session.events.map(eventToMessages);
  const messages = perEvent.flat();
  if (!summary) return messages;
  const delta = computeSummaryDelta(session.events, cutoffBoundary(summary), FULL_SESSION_FILTER_KEY);
  const first = delta.events[0];
  const firstIndex = first === undefined ? perEvent.length : session.events.indexOf(first);
  const from = perEvent.slice(0, firstIndex).reduce((n, held) => n + held.length, 0);
  const start = startWithToolCalls(messages, from);
  return [(options.summaryMessage ?? defaultSummaryMessage)(summary.summary), ...messages.slice(start)];
}
