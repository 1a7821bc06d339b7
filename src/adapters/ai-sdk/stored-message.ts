import { type Choice, createEvent, type Event } from '../../index.js';
import { goView } from './go-message.js';

/** The key under which an event's `extensions` hold the AI SDK object it stores. */
export const EXTENSION_KEY = 'agent-sessions/ai-sdk';

/** The smallest shape the adapter relies on; any AI SDK `UIMessage` has it. */
export interface UIMessageLike {
  id: string;
  role: 'system' | 'user' | 'assistant';
  parts: readonly unknown[];
  metadata?: unknown;
}

/**
 * What one event's extension holds: a version of a message (the whole `UIMessage`, as given), or
 * the removal of a message by id. The newest version of an id, by the store's sequence, is the
 * message; a removal hides every version stored before it.
 */
export type StoredRecord<M extends UIMessageLike = UIMessageLike> = { message: M } | { removed: string };

/** Who wrote a message, in trpc-agent-go's terms (its `author`). */
export interface Authors {
  /** The author of assistant messages (Go's agent name). */
  assistant: string;
}

/**
 * One message version as an event: the Go-visible message with its tool calls, the tool results as
 * further choices, and the whole message in `extensions` so a load returns it deep-equal.
 */
export function messageEvent(message: UIMessageLike, authors: Authors, now: Date): Event {
  const view = goView(message);
  const choices: Choice[] = [{ index: 0, message: view.message }];
  view.toolResults.forEach((result, i) => {
    choices.push({ index: i + 1, message: result });
  });
  return createEvent({
    author: message.role === 'assistant' ? authors.assistant : message.role,
    choices,
    now,
    extensions: { [EXTENSION_KEY]: { message } },
  });
}

/**
 * The removal of a message: a system event with an empty text part (the core stores only events
 * with content), so a Go reader sees an empty system message where the AI SDK sees nothing.
 */
export function removalEvent(messageId: string, now: Date): Event {
  return createEvent({
    author: 'system',
    now,
    message: { role: 'system', content_parts: [{ type: 'text', text: '' }] },
    extensions: { [EXTENSION_KEY]: { removed: messageId } },
  });
}

/** The adapter's record in an event, or undefined for events other writers stored in the chat. */
export function storedRecord<M extends UIMessageLike>(event: Event): StoredRecord<M> | undefined {
  const value = event.extensions?.[EXTENSION_KEY];
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.removed === 'string') return { removed: record.removed };
  const message = record.message;
  if (message === null || typeof message !== 'object' || typeof (message as UIMessageLike).id !== 'string')
    return undefined;
  return { message: message as M };
}
