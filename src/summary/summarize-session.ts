import { type Clock, systemClock } from '../session/clock.js';
import { SummarizerError } from '../session/errors.js';
import type { Event } from '../session/event.js';
import { checkStoredText } from '../session/keys.js';
import type { Session } from '../session/session.js';
import { newStateMap, readText } from '../session/state.js';
import type { SessionSummarizer } from '../session/summarizer.js';
import type { Summary, SummaryBoundary } from '../session/summary.js';
import { parseRfc3339 } from '../session/time.js';
import { raceAbort } from './abort.js';
import { computeSummaryDelta, copyTime, cutoffBoundary, newBoundary } from './delta.js';

/**
 * State keys a summarizer may set on the session it receives to say it covered less than the whole
 * delta: the timestamp (RFC 3339) and id of the last event its text includes. The next summary then
 * starts after that event instead of after the newest one.
 */
export const SUMMARY_LAST_INCLUDED_TS_KEY = 'summary:last_included_ts';
export const SUMMARY_LAST_INCLUDED_EVENT_ID_KEY = 'summary:last_included_event_id';

/** The author of the event that carries the previous summary into the next one. */
export const SUMMARY_SYSTEM_AUTHOR = 'system';

export interface SummarizeSessionInput {
  /** The session to summarize; read, never changed. */
  session: Session;
  /** `''` summarizes the whole session; another key only the events that match it. */
  filterKey: string;
  /** Skip the summarizer's shouldSummarize check. */
  force?: boolean | undefined;
  summarizer: SessionSummarizer;
  /** Aborts the summarizer; an aborted run rejects with the signal's reason and yields nothing. */
  signal?: AbortSignal | undefined;
  /** Timestamps the synthetic previous-summary event (default: the system clock). */
  clock?: Clock | undefined;
}

/** The event that hands the previous summary text to the summarizer, ahead of the new events. */
export function previousSummaryEvent(text: string, now: Date): Event {
  return {
    invocationId: '',
    author: SUMMARY_SYSTEM_AUTHOR,
    id: '',
    timestamp: now,
    object: '',
    choices: [{ index: 0, message: { role: 'system', content: text } }],
  };
}

/**
 * The temporary session a summarizer sees: the delta (with the previous summary in front) under
 * the id `<session id>:<filter key>`, so a summarizer that caches by session id keeps one entry
 * per filter key.
 */
export function summaryInputSession(base: Session, filterKey: string, events: Event[], now: Date): Session {
  return {
    id: `${base.id}:${filterKey}`,
    appName: base.appName,
    userId: base.userId,
    state: newStateMap(),
    events,
    tracks: {},
    summaries: {},
    createdAt: base.createdAt,
    updatedAt: now,
  };
}

/**
 * Calls one method of the summarizer, raced against `signal`: an abort rejects with the signal's
 * reason (whatever the summarizer does about it); anything the summarizer throws or rejects with
 * becomes a SummarizerError (code `SUMMARIZER`) with that error as `cause`, so a caller can tell
 * the summarizer's failure from the store's.
 */
async function ask<T>(
  method: string,
  call: () => T | Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  // A synchronous throw is a failure like a rejection.
  let answer: Promise<T>;
  try {
    answer = Promise.resolve(call());
  } catch (error) {
    answer = Promise.reject(error);
  }
  try {
    return await raceAbort(answer, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const message = error instanceof Error ? error.message || error.name : String(error);
    throw new SummarizerError(`summarizer.${method} failed: ${message}`, { cause: error });
  }
}

/** The boundary a summarizer recorded on its input session, if it covered only part of the delta. */
function recordedBoundary(input: Session, filterKey: string): SummaryBoundary | undefined {
  const ts = readText(input.state, SUMMARY_LAST_INCLUDED_TS_KEY);
  if (!ts) return undefined;
  const cutoff = parseRfc3339(ts);
  if (!cutoff) return undefined;
  return newBoundary(filterKey, cutoff, readText(input.state, SUMMARY_LAST_INCLUDED_EVENT_ID_KEY));
}

/**
 * Summarizes what happened since the session's previous summary for `filterKey`, with
 * trpc-agent-go's semantics: the delta is the events after the previous summary's boundary that
 * match the filter key; the previous summary text goes first as a `system` event; the summarizer's
 * shouldSummarize is asked unless `force`. Returns the new summary, whose `updated_at` is the
 * boundary's cutoff (the timestamp of the newest summarized event, not the time of writing), or
 * null when there is nothing to update: no new events, the check said no, or the text is empty.
 * Neither the session nor any store is changed; see {@link summarizeTarget} for that.
 */
export async function summarizeSession(input: SummarizeSessionInput): Promise<Summary | null> {
  const { session, filterKey, summarizer, signal } = input;
  const now = (input.clock ?? systemClock).now();
  signal?.throwIfAborted();

  const previous = session.summaries?.[filterKey];
  const previousBoundary = cutoffBoundary(previous);
  const delta = computeSummaryDelta(session.events ?? [], previousBoundary, filterKey);
  // Nothing new to say: even a forced run would only rephrase the previous summary.
  if (delta.events.length === 0 || !delta.latest) return null;

  const events = previous?.summary
    ? [previousSummaryEvent(previous.summary, now), ...delta.events]
    : delta.events;
  const tmp = summaryInputSession(session, filterKey, events, now);
  if (!input.force && !(await ask('shouldSummarize', () => summarizer.shouldSummarize(tmp), signal))) {
    return null;
  }
  const abortSignal = signal ?? new AbortController().signal;
  const text: unknown = await ask('summarize', () => summarizer.summarize(tmp, abortSignal), signal);
  signal?.throwIfAborted();
  if (typeof text !== 'string') {
    throw new SummarizerError(`summarizer.summarize must resolve to a string, got ${typeof text}`);
  }
  if (text === '') return null;
  // The text is stored as a JSON string in PostgreSQL, which refuses NUL and unpaired surrogates.
  checkStoredText('summary', text);

  const boundary = recordedBoundary(tmp, filterKey) ?? delta.latest;
  return { summary: text, updated_at: copyTime(boundary.cutoff_at), boundary };
}
