import type { ContentPart, Message, ToolCall } from '../../index.js';

/**
 * The Go-visible side of a stored UI message: the fields of trpc-agent-go's `model.Message` that a
 * Go service reading the session uses to rebuild the conversation. The AI SDK keeps a whole turn in
 * one message (text, reasoning and tool calls with their results), so one UI message becomes one
 * event whose first choice is the message with its tool calls, and whose further choices are the
 * results of those calls (`role: "tool"`, `tool_id`, `tool_name`), in the order of the calls.
 *
 * File bytes are not repeated here: a file part is listed with its media type and name, and with its
 * URL unless that URL is a `data:` URL (whose bytes are kept once, in the event's extension).
 */
export interface GoView {
  message: Message;
  toolResults: Message[];
}

/** A UI message part, read structurally: the adapter stores any part, known or not. */
type Part = Record<string, unknown> & { type: string };

export function goView(message: { role: string; parts: readonly unknown[] }): GoView {
  const texts: string[] = [];
  const reasoning: string[] = [];
  let signature: string | undefined;
  const contentParts: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  const toolResults: Message[] = [];

  for (const raw of message.parts) {
    if (raw === null || typeof raw !== 'object') continue;
    const part = raw as Part;
    if (part.type === 'text' && typeof part.text === 'string') {
      texts.push(part.text);
    } else if (part.type === 'reasoning' && typeof part.text === 'string') {
      reasoning.push(part.text);
      signature ??= reasoningSignature(part.providerMetadata);
    } else if (part.type === 'file' && typeof part.url === 'string') {
      contentParts.push(fileContent(part));
    } else if (part.type === 'dynamic-tool' || part.type.startsWith('tool-')) {
      const name = part.type === 'dynamic-tool' ? String(part.toolName ?? '') : part.type.slice(5);
      const id = String(part.toolCallId ?? '');
      if (part.state === 'input-streaming') continue;
      toolCalls.push({ type: 'function', id, function: { name, arguments: jsonText(part.input) } });
      const result = toolResult(part);
      if (result !== undefined)
        toolResults.push({ role: 'tool', tool_id: id, tool_name: name, content: result });
    }
  }

  const goMessage: Message = { role: message.role };
  const text = texts.join('\n');
  if (text !== '') goMessage.content = text;
  if (contentParts.length > 0) goMessage.content_parts = contentParts;
  if (toolCalls.length > 0) goMessage.tool_calls = toolCalls;
  const thought = reasoning.join('\n');
  if (thought !== '') goMessage.reasoning_content = thought;
  if (signature !== undefined) goMessage.reasoning_signature = signature;
  // The core stores only events with some content (non-empty text, content parts, reasoning or
  // tool calls); a message of data or source parts alone, or of empty text or reasoning, is still
  // one message of the chat, so it gets an empty text part.
  if (
    goMessage.content === undefined &&
    goMessage.content_parts === undefined &&
    goMessage.tool_calls === undefined &&
    goMessage.reasoning_content === undefined
  ) {
    goMessage.content_parts = [{ type: 'text', text: '' }];
  }
  return { message: goMessage, toolResults };
}

function fileContent(part: Part): ContentPart {
  const url = String(part.url);
  const format = typeof part.mediaType === 'string' ? part.mediaType : undefined;
  const filename = typeof part.filename === 'string' ? part.filename : '';
  const shown = url.startsWith('data:') ? undefined : url;
  if (format?.startsWith('image')) {
    return { type: 'image', image: { url: shown ?? '', data: null, ...(format ? { format } : {}) } };
  }
  return {
    type: 'file',
    file: {
      filename,
      data: null,
      file_id: '',
      ...(shown ? { url: shown } : {}),
      ...(format ? { format } : {}),
    },
  };
}

/** What a finished tool call returned, as text: its output as JSON, its error, or the denial. */
function toolResult(part: Part): string | undefined {
  if (part.state === 'output-available') return jsonText(part.output);
  if (part.state === 'output-error') return String(part.errorText ?? '');
  if (part.state === 'output-denied') return 'tool call denied';
  return undefined;
}

function jsonText(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    // A value JSON cannot hold is refused when the whole message is encoded, with its path.
    return '';
  }
}

/** The provider's reasoning signature (Anthropic, Bedrock and others name it `signature`). */
function reasoningSignature(metadata: unknown): string | undefined {
  if (metadata === null || typeof metadata !== 'object') return undefined;
  for (const provider of Object.values(metadata)) {
    if (provider !== null && typeof provider === 'object') {
      const signature = (provider as Record<string, unknown>).signature;
      if (typeof signature === 'string') return signature;
    }
  }
  return undefined;
}
