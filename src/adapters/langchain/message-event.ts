/**
 * One LangChain message is one session event: the Go-visible fields from {@link goEventFields},
 * the message itself under the extension key {@link EXTENSION_KEY}. Events this adapter did not
 * write (a Go service's, another adapter's) are read as the plain LangChain messages of their roles,
 * one per choice.
 */
import {
  AIMessage,
  type BaseMessage,
  ChatMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { createEvent, type Event, type Message } from '../../index.js';
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

/**
 * The LangChain messages an event holds: the one message this adapter stored, or, for an event
 * another writer stored, one message per choice (a Go service stores the results of parallel
 * tool calls as one event, one `tool` choice each). The first message has the event's id, the
 * others `<id>#<index of the choice>`, so that no two messages share an id.
 */
export function eventToMessages(event: Event): BaseMessage[] {
  const snapshot = event.extensions?.[EXTENSION_KEY];
  if (isMessageSnapshot(snapshot)) return [restoreMessage(snapshot, goTextOf(event))];
  const choices = (event.choices ?? []).filter((choice) => choice?.message);
  if (choices.length <= 1) return [fromGoMessage(choices[0]?.message, event.id, event.author)];
  return choices.map((choice, i) =>
    fromGoMessage(choice.message, i === 0 ? event.id : `${event.id}#${i}`, event.author),
  );
}

/** The messages of events in store order. */
export function eventsToMessages(events: readonly Event[]): BaseMessage[] {
  return events.flatMap(eventToMessages);
}

/** A message built from the Go-visible message of a choice another writer stored. */
function fromGoMessage(message: Message | undefined, id: string, author: string): BaseMessage {
  const text =
    message?.content ??
    (message?.content_parts ?? [])
      .map((part) => part.text ?? '')
      .filter((t) => t !== '')
      .join('');
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
      return new ChatMessage({ content: text, id, role: message?.role ?? author });
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
