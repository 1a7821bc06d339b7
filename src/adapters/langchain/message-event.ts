/**
 * One LangChain message is one session event: the Go-visible fields from {@link goEventFields},
 * the message itself under the extension key {@link EXTENSION_KEY}. Events this adapter did not
 * write (a Go service's, another adapter's) are read as the plain LangChain message of their role.
 */
import {
  AIMessage,
  type BaseMessage,
  ChatMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { createEvent, type Event } from '../../index.js';
import { type Authors, goEventFields } from './go-view.js';
import { isMessageSnapshot, restoreMessage, snapshotMessage } from './message-snapshot.js';

/** The key of the event's `extensions` that holds the LangChain message. */
export const EXTENSION_KEY = 'agent-sessions/langchain';

/** The event that stores `message`; `invocationId` groups the messages of one `addMessages` call. */
export function messageToEvent(
  message: BaseMessage,
  path: string,
  authors: Authors,
  invocationId: string,
  now: Date,
): Event {
  const fields = goEventFields(message, authors);
  const snapshot = snapshotMessage(message, path, goTextOf(fields));
  return createEvent({
    ...fields,
    invocationId,
    now,
    extensions: { [EXTENSION_KEY]: snapshot },
  });
}

/** The text of the event's Go-visible message, which a snapshot's string content may be. */
function goTextOf(event: Pick<Event, 'choices'>): string {
  return event.choices?.[0]?.message?.content ?? '';
}

/** The LangChain message an event holds. */
export function eventToMessage(event: Event): BaseMessage {
  const snapshot = event.extensions?.[EXTENSION_KEY];
  if (isMessageSnapshot(snapshot)) return restoreMessage(snapshot, goTextOf(event));
  return fromGoMessage(event);
}

/** A message built from the Go-visible fields of an event another writer stored. */
function fromGoMessage(event: Event): BaseMessage {
  const message = event.choices?.[0]?.message;
  const text =
    message?.content ??
    (message?.content_parts ?? [])
      .map((part) => part.text ?? '')
      .filter((t) => t !== '')
      .join('');
  const id = event.id;
  switch (message?.role) {
    case 'user':
      return new HumanMessage({ content: text, id });
    case 'system':
      return new SystemMessage({ content: text, id });
    case 'tool':
      return new ToolMessage({
        content: text,
        id,
        tool_call_id: message.tool_id ?? '',
        ...(message.tool_name ? { name: message.tool_name } : {}),
      });
    case 'assistant':
      return new AIMessage({
        content: text,
        id,
        tool_calls: (message.tool_calls ?? []).map((call) => ({
          type: 'tool_call' as const,
          id: call.id,
          name: call.function.name,
          args: parseArguments(call.function.arguments),
        })),
      });
    default:
      return new ChatMessage({ content: text, id, role: message?.role ?? event.author });
  }
}

function parseArguments(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return { arguments: text };
  }
}
