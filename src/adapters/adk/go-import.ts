import type { Event as AdkEvent } from '@google/adk';
import type { Event as StoredEvent } from '../../index.js';
import { withDefaultActions } from './kept-event.js';

type Part = NonNullable<NonNullable<AdkEvent['content']>['parts']>[number];

/**
 * An ADK event built from the Go fields of a stored event without an ADK extension: one another
 * writer stored (a trpc-agent-go service, the core API), so an ADK agent can continue a
 * conversation a Go agent began, or a plain message this adapter stored with its Go fields alone
 * (see keptBesideGoFields), which this gives back exactly. User and assistant text, reasoning as
 * thought parts, tool calls as function calls and tool messages as function responses.
 */
export function eventFromGoFields(stored: StoredEvent): AdkEvent {
  const parts: Part[] = [];
  let role = 'model';
  for (const choice of stored.choices ?? []) {
    const message = choice.message;
    if (!message) continue;
    if (message.role === 'tool') {
      role = 'user';
      parts.push({
        functionResponse: {
          id: message.tool_id,
          name: message.tool_name,
          response: asObject(message.content ?? ''),
        },
      });
      continue;
    }
    if (message.role === 'user') role = 'user';
    if (message.reasoning_content) parts.push({ text: message.reasoning_content, thought: true });
    if (message.content) parts.push({ text: message.content });
    for (const part of message.content_parts ?? [])
      if (part.type === 'text' && part.text) parts.push({ text: part.text });
    for (const call of message.tool_calls ?? [])
      parts.push({
        functionCall: {
          id: call.id,
          name: call.function.name,
          args: asObject(call.function.arguments ?? ''),
        },
      });
  }
  // The literal createEvent would give (its defaults for actions and longRunningToolIds), without
  // its spread of the parameters: a load builds every plain message this way, and the spread made
  // each event a dictionary object, the costliest step of a load.
  const event = {
    id: stored.id,
    invocationId: stored.invocationId,
    author: stored.author === '' && role === 'user' ? 'user' : stored.author,
    actions: withDefaultActions(undefined),
    longRunningToolIds: [],
    timestamp: stored.timestamp.getTime(),
  } as unknown as AdkEvent;
  if (stored.branch) event.branch = stored.branch;
  if (parts.length > 0) event.content = { role, parts };
  return event;
}

/** A tool's arguments or result as the object ADK expects; other JSON (or text) under `result`. */
function asObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    return { result: value };
  } catch {
    return { result: text };
  }
}
