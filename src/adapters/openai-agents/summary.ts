/**
 * The model's context as trpc-agent-go feeds it back: the session's latest summary, then the
 * items stored after that summary's boundary.
 */
import type { AgentInputItem } from '@openai/agents-core';
import { FULL_SESSION_FILTER_KEY, type SessionKey, type SessionService } from '../../index.js';
import { computeSummaryDelta, cutoffBoundary } from '../../summary/index.js';
import { type Item, itemsOfEvents } from './item-event.js';
import { modelWindow } from './window.js';

/** Options of {@link itemsWithSummary}. */
export interface SummaryContextOptions {
  /** Which summary: a filter key's, or the full session's (`''`, the default). */
  filterKey?: string;
  /** The role of the message that carries the summary (default `system`). */
  role?: 'system' | 'user';
  /** What precedes the summary text in that message. */
  preamble?: string;
  /** The most stored events considered (the newest; default 1000). */
  historyLimit?: number;
}

const DEFAULT_PREAMBLE = 'Summary of the conversation so far:';

/**
 * The session as the model should see it: a message holding the latest summary, then the items
 * stored after the summary's boundary (moved forward past a cut-off tool result or a split
 * response, as windows are). Without a summary, the newest items, windowed the same way. Only
 * the newest `historyLimit` stored events are considered.
 */
export async function itemsWithSummary(
  service: SessionService,
  key: SessionKey,
  options: SummaryContextOptions = {},
): Promise<AgentInputItem[]> {
  const limit = options.historyLimit ?? 1000;
  // One event more than considered: it tells whether the first one continues a response.
  const session = await service.getSession(key, { eventPage: { offset: 0, limit: limit + 1 } });
  if (!session) return [];
  const all = session.events;
  const events = all.length > limit ? all.slice(all.length - limit) : all;
  const filterKey = options.filterKey ?? FULL_SESSION_FILTER_KEY;
  const summary = session.summaries?.[filterKey];
  const delta = summary ? computeSummaryDelta(events, cutoffBoundary(summary), filterKey).events : events;
  const first = delta[0];
  const firstIndex = first ? all.indexOf(first) : -1;
  const before = firstIndex > 0 ? itemsOfEvents([all[firstIndex - 1]!]).at(-1) : undefined;
  const window = modelWindow(itemsOfEvents(delta), before) as AgentInputItem[];
  if (!summary) return window;
  const text = `${options.preamble ?? DEFAULT_PREAMBLE}\n${summary.summary}`;
  const message: Item = { role: options.role ?? 'system', content: text };
  return [message as AgentInputItem, ...window];
}
