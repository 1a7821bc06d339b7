import { type Clock, systemClock } from '../session/clock.js';
import { ConfigError } from '../session/errors.js';
import type { ContentPart, Event, Message } from '../session/event.js';
import type { Session } from '../session/session.js';
import { SUMMARY_SYSTEM_AUTHOR } from './summarize-session.js';

/**
 * A `shouldSummarize` policy: looks at the session a summarizer receives (the events since the
 * previous summary, that summary in front) and says whether a new summary is worth making.
 * Compose them with {@link anyOf} and {@link allOf}.
 */
export type SummaryChecker = (session: Session) => boolean;

/** Estimates how many tokens a text costs a model. */
export type TokenEstimator = (text: string) => number;

/** A summarizer's input, split into the previous summary text and the events that are new since. */
export interface SummaryInput {
  /** The previous summary carried in front of the new events; undefined on the first summary. */
  previousSummary: string | undefined;
  /** The events since the previous summary, oldest first. */
  events: Event[];
}

/**
 * The previous-summary event is synthetic: authored `system` with no id. Stored events always
 * have an id, so a real system message at the head is never mistaken for it.
 */
function isPreviousSummaryEvent(event: Event | undefined): event is Event {
  return !!event && event.author === SUMMARY_SYSTEM_AUTHOR && !event.id;
}

/**
 * Splits what a summarizer receives into the previous summary and the new events. Checkers count
 * only the new events: the previous summary is already condensed, and counting it would make a
 * long summary trigger the next one on its own.
 */
export function splitSummaryInput(session: Session): SummaryInput {
  const events = session.events ?? [];
  const head = events[0];
  if (!isPreviousSummaryEvent(head)) return { previousSummary: undefined, events: events.slice() };
  return { previousSummary: messageText(head.choices?.[0]?.message), events: events.slice(1) };
}

function partText(part: ContentPart): string {
  if (part.text) return part.text;
  if (part.file) return `[file ${part.file.filename || part.file.file_id}]`;
  if (part.content_ref) return `[file ${part.content_ref.artifact_name || part.content_ref.artifact_ref}]`;
  if (part.image) return '[image]';
  if (part.audio) return '[audio]';
  if (part.video) return '[video]';
  return '';
}

/**
 * The readable text of a message: its content, else its text parts, with media named in
 * brackets so a summary still records that something was shared. Reasoning is left out: it is
 * the model's scratch work, not part of the conversation.
 */
export function messageText(message: Message | undefined): string {
  if (!message) return '';
  if (message.content) return message.content;
  return (message.content_parts ?? []).map(partText).filter(Boolean).join(' ');
}

/** All the text an event puts in front of a model: its message, tool calls and their arguments. */
export function eventText(event: Event): string {
  const message = event.choices?.[0]?.message;
  const parts = [messageText(message)];
  for (const call of message?.tool_calls ?? []) parts.push(call.function.name, call.function.arguments ?? '');
  return parts.filter(Boolean).join(' ');
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(field, `must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

function nonNegative(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(field, `must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/** About four characters per token: close enough for English text to decide when to summarize. */
export const estimateTokensByChars: TokenEstimator = (text) => Math.ceil(text.length / 4);

/**
 * Summarize once at least `n` events happened since the previous summary. `everyNEvents(1)`
 * summarizes whenever there is anything new.
 */
export function everyNEvents(n: number): SummaryChecker {
  positiveInteger('everyNEvents.n', n);
  return (session) => splitSummaryInput(session).events.length >= n;
}

/**
 * Summarize once the events since the previous summary hold at least `n` tokens, by `estimate`
 * (default: characters / 4); pass a real tokenizer for exact counts.
 */
export function afterTokens(n: number, estimate: TokenEstimator = estimateTokensByChars): SummaryChecker {
  positiveInteger('afterTokens.n', n);
  return (session) => {
    let tokens = 0;
    for (const event of splitSummaryInput(session).events) {
      tokens += estimate(eventText(event));
      // Stop early: a long delta need not be estimated to its end once the answer is known.
      if (tokens >= n) return true;
    }
    return false;
  };
}

/**
 * Summarize once the conversation has been quiet for at least `ms`: the newest event is that old
 * by `clock` (default the system clock). Summarizing in a pause keeps the summary from lagging
 * behind a conversation that is still moving. No new events: nothing to summarize.
 */
export function afterIdle(ms: number, clock: Clock = systemClock): SummaryChecker {
  nonNegative('afterIdle.ms', ms);
  return (session) => {
    const newest = splitSummaryInput(session).events.at(-1);
    if (!newest) return false;
    return clock.now().getTime() - newest.timestamp.getTime() >= ms;
  };
}

/** Summarize when any of `checkers` says so (none: never). Stops at the first yes. */
export function anyOf(...checkers: SummaryChecker[]): SummaryChecker {
  return (session) => checkers.some((check) => check(session));
}

/** Summarize when every one of `checkers` says so (none: always). Stops at the first no. */
export function allOf(...checkers: SummaryChecker[]): SummaryChecker {
  return (session) => checkers.every((check) => check(session));
}
