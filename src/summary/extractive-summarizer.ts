import { ConfigError } from '../session/errors.js';
import type { Event, Message } from '../session/event.js';
import type { Session } from '../session/session.js';
import type { SessionSummarizer } from '../session/summarizer.js';
import { everyNEvents, messageText, type SummaryChecker, splitSummaryInput } from './checkers.js';

/** Options of {@link ExtractiveSummarizer}. */
export interface ExtractiveSummarizerOptions {
  /** The longest summary, in UTF-16 code units (JavaScript string length). Default 1200, at least 64. */
  maxChars?: number | undefined;
  /** The longest line written for one turn; longer ones end in `…`. Default 160, at least 16. */
  lineWidth?: number | undefined;
  /** When a summary is worth making. Default {@link everyNEvents}(1): whenever there is anything new. */
  shouldSummarize?: SummaryChecker | undefined;
}

/** Defaults of {@link ExtractiveSummarizerOptions}. */
export const DEFAULT_EXTRACTIVE_MAX_CHARS = 1200;
export const DEFAULT_EXTRACTIVE_LINE_WIDTH = 160;

/**
 * The first line of a summary whose oldest lines were dropped to fit. It is carried forward like
 * any other line, so a reader (or a model) always knows the summary is not the whole story.
 */
export const OMITTED_MARKER = '[earlier conversation omitted]';

const MIN_MAX_CHARS = 64;
const MIN_LINE_WIDTH = 16;

/**
 * `text` cut to at most `width` code units, ending in `…` when cut. Never splits a surrogate
 * pair: half of one is invalid text that PostgreSQL refuses to store.
 */
export function clipText(text: string, width: number): string {
  if (text.length <= width) return text;
  let cut = Math.max(0, width - 1);
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** One line per turn: newlines and runs of spaces inside a message would break the layout. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function speaker(event: Event, message: Message): string {
  if (message.role === 'user') return 'User asked';
  if (message.role === 'assistant') {
    const name = event.author && event.author !== 'assistant' ? event.author : 'Assistant';
    return `${name} answered`;
  }
  if (message.role === 'system') return 'System said';
  return `${event.author || message.role || 'Someone'} said`;
}

/** The lines one event contributes: what was said, then each tool call; or what a tool returned. */
function eventLines(event: Event): string[] {
  const message = event.choices?.[0]?.message;
  if (!message) return [];
  const text = oneLine(messageText(message));
  if (message.tool_id || message.role === 'tool') {
    return [`Tool ${message.tool_name || 'call'} returned: ${text || '(nothing)'}`];
  }
  const lines = text ? [`${speaker(event, message)}: ${text}`] : [];
  for (const call of message.tool_calls ?? []) {
    const args = oneLine(call.function.arguments ?? '');
    const name = call.function.name || 'call';
    lines.push(args && args !== '{}' ? `Tool ${name} called with ${args}` : `Tool ${name} called`);
  }
  return lines;
}

/** The lines of a previous summary, and whether it already says that older lines were dropped. */
function headLines(previousSummary: string | undefined): { lines: string[]; cut: boolean } {
  const lines = (previousSummary ?? '')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);
  if (lines[0] !== OMITTED_MARKER) return { lines, cut: false };
  return { lines: lines.slice(1), cut: true };
}

/**
 * Joins `lines` into at most `maxChars`, dropping the oldest first. Once any line is gone (now or
 * in an earlier summary) the marker leads, so a cut is never silent; a single line still too long
 * is clipped.
 */
function fitLines(lines: string[], alreadyCut: boolean, maxChars: number): string {
  if (lines.length === 0) return '';
  const markerCost = OMITTED_MARKER.length + 1;
  let cut = alreadyCut;
  let length = lines.reduce((sum, line) => sum + line.length, lines.length - 1) + (cut ? markerCost : 0);
  let start = 0;
  while (length > maxChars && start < lines.length - 1) {
    length -= lines[start]!.length + 1;
    start++;
    if (!cut) {
      cut = true;
      length += markerCost;
    }
  }
  const kept = lines.slice(start);
  if (length > maxChars) kept[0] = clipText(kept[0]!, maxChars - (cut ? markerCost : 0));
  return (cut ? [OMITTED_MARKER, ...kept] : kept).join('\n');
}

function integerAtLeast(field: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(field, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * A summarizer with no model: it writes the previous summary's lines, then one line per turn
 * ("User asked: …", "Assistant answered: …", "Tool x called with …", "Tool x returned: …"), and
 * keeps the whole within `maxChars` by dropping the oldest lines. The same events always give
 * the same text, byte for byte, so it suits tests, demos and offline use.
 */
export class ExtractiveSummarizer implements SessionSummarizer {
  readonly #maxChars: number;
  readonly #lineWidth: number;
  readonly #shouldSummarize: SummaryChecker;

  constructor(options: ExtractiveSummarizerOptions = {}) {
    this.#maxChars = integerAtLeast(
      'maxChars',
      options.maxChars,
      DEFAULT_EXTRACTIVE_MAX_CHARS,
      MIN_MAX_CHARS,
    );
    this.#lineWidth = integerAtLeast(
      'lineWidth',
      options.lineWidth,
      DEFAULT_EXTRACTIVE_LINE_WIDTH,
      MIN_LINE_WIDTH,
    );
    if (options.shouldSummarize !== undefined && typeof options.shouldSummarize !== 'function') {
      throw new ConfigError('shouldSummarize', 'must be a function (session) => boolean');
    }
    this.#shouldSummarize = options.shouldSummarize ?? everyNEvents(1);
  }

  shouldSummarize(session: Session): boolean {
    return this.#shouldSummarize(session);
  }

  /** The summary text of `session`; empty when it holds nothing to say. */
  summarizeSync(session: Session): string {
    const input = splitSummaryInput(session);
    const head = headLines(input.previousSummary);
    const turns = input.events.flatMap(eventLines).map((line) => clipText(line, this.#lineWidth));
    return fitLines([...head.lines, ...turns], head.cut, this.#maxChars);
  }

  async summarize(session: Session, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    return this.summarizeSync(session);
  }

  metadata(): Record<string, unknown> {
    return { kind: 'extractive', maxChars: this.#maxChars, lineWidth: this.#lineWidth };
  }
}
