/**
 * The Go-visible side of a stored LangChain message: the event fields a trpc-agent-go service
 * reads to rebuild the conversation (author, the message's role and text, tool calls with their
 * arguments, tool results with their call id, reasoning, usage, model). The message itself is
 * kept whole in the event's extension; this view is for readers that are not this adapter.
 *
 * Bytes are not repeated here: an image or file block is listed with its URL (unless it is a
 * `data:` URL) and media type, its bytes stay in the extension only.
 */
import type { BaseMessage } from '@langchain/core/messages';
import type { ContentPart, Event, Message, ToolCall, Usage } from '../../index.js';

/** Who a Go reader sees as the author of each kind of message. */
export interface Authors {
  /** The author of AI messages and of tool results (the agent, as trpc-agent-go writes it). */
  agent: string;
}

type Block = Record<string, unknown>;

const ROLES: Record<string, string> = {
  human: 'user',
  ai: 'assistant',
  system: 'system',
  tool: 'tool',
  function: 'tool',
};

function roleOf(message: BaseMessage): string {
  if (message.type === 'generic') {
    const role = (message as { role?: unknown }).role;
    return typeof role === 'string' && role !== '' ? role : 'generic';
  }
  return ROLES[message.type] ?? message.type;
}

function authorOf(message: BaseMessage, role: string, authors: Authors): string {
  if (message.type === 'ai' || message.type === 'tool' || message.type === 'function') return authors.agent;
  return role;
}

function urlOf(block: Block): string | undefined {
  const raw = block.image_url ?? block.url;
  const url = typeof raw === 'string' ? raw : (raw as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' && !url.startsWith('data:') ? url : undefined;
}

function mediaTypeOf(block: Block): string | undefined {
  const t = block.mimeType ?? block.mime_type;
  return typeof t === 'string' ? t : undefined;
}

/** The text, reasoning and media parts of a message's content. */
function readContent(content: unknown, goMessage: Message): void {
  if (typeof content === 'string') {
    if (content !== '') goMessage.content = content;
    return;
  }
  if (!Array.isArray(content)) return;
  const texts: string[] = [];
  const reasoning: string[] = [];
  const parts: ContentPart[] = [];
  for (const raw of content) {
    if (typeof raw === 'string') {
      texts.push(raw);
      continue;
    }
    if (raw === null || typeof raw !== 'object') continue;
    const block = raw as Block;
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'reasoning' && typeof block.reasoning === 'string')
      reasoning.push(block.reasoning);
    else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      reasoning.push(block.thinking);
      if (typeof block.signature === 'string') goMessage.reasoning_signature ??= block.signature;
    } else if (block.type === 'image_url' || block.type === 'image') {
      const format = mediaTypeOf(block);
      parts.push({
        type: 'image',
        image: { url: urlOf(block) ?? '', data: null, ...(format ? { format } : {}) },
      });
    } else if (block.type === 'file' || block.type === 'audio' || block.type === 'video') {
      const url = urlOf(block);
      const format = mediaTypeOf(block);
      const filename = typeof block.filename === 'string' ? block.filename : '';
      parts.push({
        type: 'file',
        file: { filename, data: null, file_id: '', ...(url ? { url } : {}), ...(format ? { format } : {}) },
      });
    }
  }
  if (texts.length > 0 && texts.join('') !== '') goMessage.content = texts.join('');
  if (reasoning.length > 0) goMessage.reasoning_content = reasoning.join('\n');
  if (parts.length > 0) goMessage.content_parts = parts;
}

function goToolCalls(message: BaseMessage): ToolCall[] {
  const calls = (message as { tool_calls?: unknown }).tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.map((call: { id?: unknown; name?: unknown; args?: unknown }) => ({
    type: 'function',
    ...(typeof call.id === 'string' ? { id: call.id } : {}),
    function: { name: String(call.name ?? ''), arguments: argumentsText(call.args) },
  }));
}

function argumentsText(args: unknown): string {
  try {
    return JSON.stringify(args ?? {}) ?? '';
  } catch {
    // Arguments JSON cannot hold are refused, with their path, when the message is encoded.
    return '';
  }
}

function goUsage(message: BaseMessage): Usage | undefined {
  const usage = (message as { usage_metadata?: Record<string, unknown> }).usage_metadata;
  if (!usage || typeof usage !== 'object') return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    prompt_tokens: n(usage.input_tokens),
    completion_tokens: n(usage.output_tokens),
    total_tokens: n(usage.total_tokens),
  };
}

function modelOf(message: BaseMessage): string | undefined {
  const meta = message.response_metadata as Record<string, unknown> | undefined;
  const model = meta?.model_name ?? meta?.model;
  return typeof model === 'string' ? model : undefined;
}

/** The Go-visible event fields of one message (everything but id, time and the extension). */
export function goEventFields(
  message: BaseMessage,
  authors: Authors,
): Pick<Event, 'author' | 'choices' | 'object' | 'usage' | 'model'> {
  const role = roleOf(message);
  const goMessage: Message = { role };
  readContent(message.content, goMessage);
  const calls = goToolCalls(message);
  if (calls.length > 0) goMessage.tool_calls = calls;
  if (message.type === 'tool') {
    const callId = (message as { tool_call_id?: unknown }).tool_call_id;
    if (typeof callId === 'string' && callId !== '') goMessage.tool_id = callId;
  }
  if ((message.type === 'tool' || message.type === 'function') && message.name)
    goMessage.tool_name = message.name;
  // The core stores only events with some content; a message without any (an empty AI reply, a
  // removal marker) is still one message of the history, so it gets an empty text part.
  if (
    !goMessage.content &&
    !goMessage.content_parts &&
    !goMessage.tool_calls &&
    !goMessage.tool_id &&
    !goMessage.reasoning_content
  ) {
    goMessage.content_parts = [{ type: 'text', text: '' }];
  }
  const fields: Pick<Event, 'author' | 'choices' | 'object' | 'usage' | 'model'> = {
    author: authorOf(message, role, authors),
    object: 'chat.completion',
    choices: [{ index: 0, message: goMessage }],
  };
  const usage = goUsage(message);
  if (usage) fields.usage = usage;
  const model = modelOf(message);
  if (model) fields.model = model;
  return fields;
}
