import { ConfigError } from '../session/errors.js';
import type { Event } from '../session/event.js';
import type { Session } from '../session/session.js';
import type { SessionSummarizer } from '../session/summarizer.js';
import { raceAbort } from './abort.js';
import { everyNEvents, messageText, type SummaryChecker, splitSummaryInput } from './checkers.js';
import { clipText } from './extractive-summarizer.js';

/**
 * Sends a prompt to a model and resolves with its answer. Pass `signal` on to the client (every
 * major SDK and `fetch` take one) so a timed-out summary stops costing tokens.
 */
export type CompleteFn = (prompt: string, signal: AbortSignal) => Promise<string>;

/** Options of {@link PromptSummarizer}. */
export interface PromptSummarizerOptions {
  /**
   * The prompt template. `{conversation}` (required) becomes the new events, one `role/author:
   * text` entry each; `{previous_summary}` the previous summary, or `(none)`. Default
   * {@link DEFAULT_SUMMARY_PROMPT}.
   */
  prompt?: string | undefined;
  /** When a summary is worth making. Default {@link everyNEvents}(1): whenever there is anything new. */
  shouldSummarize?: SummaryChecker | undefined;
  /**
   * The most conversation text to send, in UTF-16 code units; the newest entries are kept and a
   * line says how many older ones were left out. Default: no limit.
   */
  maxInputChars?: number | undefined;
  /** The model's name, reported by `metadata()` for logs. */
  model?: string | undefined;
}

/** What `{previous_summary}` becomes on the first summary of a session. */
export const NO_PREVIOUS_SUMMARY = '(none)';

/** The default template: a running summary that keeps what a later turn would need to know. */
export const DEFAULT_SUMMARY_PROMPT = `You keep the running summary of a conversation between a user and an AI assistant.
Update the previous summary with the new part of the conversation. Write a concise summary that
keeps the facts that were established, the decisions that were made, the user's preferences and
the tasks that are still open. Mention a tool result only if it matters later. Leave out
greetings and anything that was later corrected, and add nothing that is not in the text.

Previous summary:
{previous_summary}

New conversation:
{conversation}

Answer with the updated summary only.`;

const PLACEHOLDER = /\{(conversation|previous_summary)\}/g;

function label(event: Event, role: string): string {
  return event.author && event.author !== role ? `${role || 'unknown'}/${event.author}` : role || 'unknown';
}

/**
 * The entries one event contributes: what was said, each tool call with its arguments, or what a
 * tool returned. Message text is kept as written (code blocks included); only the prefix is ours.
 */
function eventEntries(event: Event): string[] {
  const message = event.choices?.[0]?.message;
  if (!message) return [];
  const who = label(event, message.role);
  const text = messageText(message).trim();
  if (message.tool_id || message.role === 'tool') {
    return [`${who}: tool ${message.tool_name || 'call'} returned ${text || '(nothing)'}`];
  }
  const entries = text ? [`${who}: ${text}`] : [];
  for (const call of message.tool_calls ?? []) {
    const args = call.function.arguments?.trim();
    entries.push(`${who}: called tool ${call.function.name || 'call'}${args ? ` with ${args}` : ''}`);
  }
  return entries;
}

/**
 * The conversation as the model reads it, within `maxChars`: the oldest entries go first, since
 * the previous summary already holds the gist of what came before them.
 */
export function renderConversation(events: readonly Event[], maxChars = Number.POSITIVE_INFINITY): string {
  const entries = events.flatMap(eventEntries);
  if (entries.length === 0) return '';
  let length = entries.reduce((sum, entry) => sum + entry.length, entries.length - 1);
  let start = 0;
  // The note about left-out entries counts against the budget too.
  const noteCost = () => (start > 0 ? omittedNote(start).length + 1 : 0);
  while (length + noteCost() > maxChars && start < entries.length - 1) {
    length -= entries[start]!.length + 1;
    start++;
  }
  const kept = entries.slice(start);
  const room = maxChars - noteCost();
  if (length > room) kept[0] = clipText(kept[0]!, room);
  return (start > 0 ? [omittedNote(start), ...kept] : kept).join('\n');
}

function omittedNote(count: number): string {
  return `[${count} earlier ${count === 1 ? 'entry' : 'entries'} omitted]`;
}

/** Fills the template in one pass, so a placeholder written inside the conversation stays text. */
function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => values[name] ?? '');
}

/**
 * A summarizer backed by any model: give it a function from prompt to answer.
 *
 * ```ts
 * const summarizer = new PromptSummarizer(async (prompt, signal) => {
 *   const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: prompt }] };
 *   return (await openai.chat.completions.create(body, { signal })).choices[0]?.message.content ?? '';
 * });
 * ```
 *
 * The signal is passed on, and the summary rejects as soon as it aborts even if the function
 * ignores it. The answer is trimmed; an empty one leaves the stored summary as it is.
 */
export class PromptSummarizer implements SessionSummarizer {
  readonly #complete: CompleteFn;
  readonly #prompt: string;
  readonly #shouldSummarize: SummaryChecker;
  readonly #maxInputChars: number;
  readonly #model: string | undefined;

  constructor(complete: CompleteFn, options: PromptSummarizerOptions = {}) {
    if (typeof complete !== 'function') {
      throw new ConfigError('complete', 'must be a function (prompt, signal) => Promise<string>');
    }
    const prompt = options.prompt ?? DEFAULT_SUMMARY_PROMPT;
    // Without the conversation the model would summarize nothing and every summary would be wrong.
    if (typeof prompt !== 'string' || !prompt.includes('{conversation}')) {
      throw new ConfigError('prompt', 'must be a string containing {conversation}');
    }
    const max = options.maxInputChars;
    if (max !== undefined && (!Number.isSafeInteger(max) || max < 64)) {
      throw new ConfigError('maxInputChars', `must be an integer >= 64, got ${String(max)}`);
    }
    if (options.shouldSummarize !== undefined && typeof options.shouldSummarize !== 'function') {
      throw new ConfigError('shouldSummarize', 'must be a function (session) => boolean');
    }
    this.#complete = complete;
    this.#prompt = prompt;
    this.#shouldSummarize = options.shouldSummarize ?? everyNEvents(1);
    this.#maxInputChars = max ?? Number.POSITIVE_INFINITY;
    this.#model = options.model;
  }

  shouldSummarize(session: Session): boolean {
    return this.#shouldSummarize(session);
  }

  /** The prompt `summarize` sends for `session`. */
  buildPrompt(session: Session): string {
    const input = splitSummaryInput(session);
    return fillTemplate(this.#prompt, {
      conversation: renderConversation(input.events, this.#maxInputChars),
      previous_summary: input.previousSummary?.trim() || NO_PREVIOUS_SUMMARY,
    });
  }

  async summarize(session: Session, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const prompt = this.buildPrompt(session);
    const answer = await raceAbort(Promise.resolve(this.#complete(prompt, signal)), signal);
    if (typeof answer !== 'string') throw new TypeError('the completion function must resolve to a string');
    return answer.trim();
  }

  metadata(): Record<string, unknown> {
    return this.#model === undefined ? { kind: 'prompt' } : { kind: 'prompt', model: this.#model };
  }
}
