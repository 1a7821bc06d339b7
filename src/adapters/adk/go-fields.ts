import type { Event as AdkEvent } from '@google/adk';
import { type Choice, type Message, readCallerValue, type ToolCall, type Usage } from '../../index.js';

/**
 * The fields of a stored event that a Go service (trpc-agent-go) reads, built from an ADK event:
 * its text as the message content, thoughts as reasoning, function calls as tool calls, and each
 * function response as one `tool` message (one choice each, as Go stores parallel tool results).
 * The ADK event travels in the event's extensions, without what these fields hold exactly (all of
 * it, for a plain message: then it has no extension); these fields are the view a Go service reads.
 */
export function goChoices(event: AdkEvent): Choice[] {
  const role = event.author === 'user' ? 'user' : 'assistant';
  const parts = event.content?.parts ?? [];
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  const results: Message[] = [];
  for (const [i, part] of parts.entries()) {
    if (typeof part.text === 'string') {
      if (part.thought) reasoning += part.text;
      else text += part.text;
    }
    const call = part.functionCall;
    if (call) {
      toolCalls.push({
        type: 'function',
        id: call.id ?? '',
        function: {
          name: call.name ?? '',
          arguments: jsonText(`event.content.parts[${i}].functionCall.args`, call.args),
        },
      });
    }
    const response = part.functionResponse;
    if (response) {
      results.push({
        role: 'tool',
        tool_id: response.id ?? '',
        tool_name: response.name ?? '',
        content: jsonText(`event.content.parts[${i}].functionResponse.response`, response.response),
      });
    }
  }
  const messages: Message[] = [];
  if (text !== '' || reasoning !== '' || toolCalls.length > 0 || results.length === 0) {
    const message: Message = { role };
    if (text !== '') message.content = text;
    if (reasoning !== '') message.reasoning_content = reasoning;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    // An event without text, calls or results (a state change, an agent transfer, an error, a
    // binary part) is still one stored event: an empty text part makes it one Go keeps too, so
    // the session reads back with every ADK event, as ADK's own stores do.
    if (text === '' && reasoning === '' && toolCalls.length === 0)
      message.content_parts = [{ type: 'text', text: '' }];
    messages.push(message);
  }
  messages.push(...results);
  return messages.map((message, index) => ({ index, message }));
}

/** ADK's (Gemini's) token counts in Go's usage shape, when the event has them. */
export function goUsage(event: AdkEvent): Usage | undefined {
  const usage = event.usageMetadata;
  if (!usage) return undefined;
  return {
    prompt_tokens: usage.promptTokenCount ?? 0,
    completion_tokens: usage.candidatesTokenCount ?? 0,
    total_tokens: usage.totalTokenCount ?? 0,
  };
}

/**
 * A caller's value as JSON text (`{}` for none): a cycle, a bigint, a getter or toJSON that
 * throws is refused naming the field, never escaping as a bare TypeError.
 */
function jsonText(field: string, value: unknown): string {
  return readCallerValue(field, () => JSON.stringify(value ?? {}));
}
