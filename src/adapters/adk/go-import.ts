import type { Event as AdkEvent } from '@google/adk';
import { createEvent } from '@google/adk';
import type { Event as StoredEvent } from '../../index.js';

type Part = NonNullable<NonNullable<AdkEvent['content']>['parts']>[number];

/**
 * An ADK event built from the Go fields of an event another writer stored (a trpc-agent-go
 * service, the core API): user and assistant text, reasoning as thought parts, tool calls as
 * function calls and tool messages as function responses, so an ADK agent can continue a
 * conversation a Go agent began.
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
  return createEvent({
    id: stored.id,
    invocationId: stored.invocationId,
    author: stored.author === '' && role === 'user' ? 'user' : stored.author,
    timestamp: stored.timestamp.getTime(),
    ...(stored.branch ? { branch: stored.branch } : {}),
    ...(parts.length > 0 ? { content: { role, parts } } : {}),
  });
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
