/**
 * Where a partial list of a history may start, so that a model accepts it: never at a tool result
 * whose call is not in the list (providers reject a `tool` message without the assistant message
 * that asked for it), nor in the middle of one assistant step saved as several chunks.
 */
import type { BaseMessage } from '@langchain/core/messages';

function isToolResult(message: BaseMessage): boolean {
  return message.type === 'tool' || message.type === 'function';
}

/** Whether `message` continues `previous`: a chunk of the same AI message (same id). */
function continues(message: BaseMessage, previous: BaseMessage | undefined): boolean {
  return (
    previous !== undefined &&
    message.type === 'ai' &&
    previous.type === 'ai' &&
    message.id !== undefined &&
    message.id === previous.id
  );
}

/**
 * The messages of a window from its first clean start. `previous` is the message just before the
 * window (undefined when the window starts at the beginning of the history): leading tool results
 * are dropped (their call is before the window), and so are leading chunks of the AI message that
 * `previous` began.
 */
export function cleanWindowStart(
  messages: readonly BaseMessage[],
  previous: BaseMessage | undefined,
): BaseMessage[] {
  if (previous === undefined) return messages.slice();
  let start = 0;
  let before = previous;
  while (start < messages.length) {
    const message = messages[start]!;
    if (!isToolResult(message) && !continues(message, before)) break;
    before = message;
    start++;
  }
  return messages.slice(start);
}

/**
 * The index at which to start reading `messages` from `from` on without orphaning a tool result:
 * when the message at `from` is a tool result, the start moves back to the AI message whose tool
 * call it answers (and the results between). Used where nothing may be dropped, such as the
 * messages after a summary's boundary.
 */
export function startWithToolCalls(messages: readonly BaseMessage[], from: number): number {
  let start = from;
  const wanted = new Set<string>();
  while (start < messages.length && isToolResult(messages[start]!)) {
    const id = (messages[start] as { tool_call_id?: unknown }).tool_call_id;
    if (typeof id === 'string') wanted.add(id);
    start++;
  }
  if (wanted.size === 0) return from;
  for (let i = from - 1; i >= 0; i--) {
    const calls = (messages[i] as { tool_calls?: { id?: string }[] }).tool_calls ?? [];
    if (messages[i]!.type === 'ai' && calls.some((call) => call.id !== undefined && wanted.has(call.id)))
      return i;
  }
  // No call found: drop the orphaned results rather than hand the model an invalid list.
  return start;
}
