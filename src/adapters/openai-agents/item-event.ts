/**
 * One OpenAI Agents SDK item ↔ one store event. The event carries the item twice: as the
 * Go-visible fields a trpc-agent-go service reads (author, a message with role and content, tool
 * calls, tool results), and whole, in the lossless JSON form, under the extension key
 * {@link EXTENSION_KEY}, which is what a load returns.
 *
 * Items are typed loosely here (plain records): the adapter must store whatever the runner hands
 * it, including item types newer than the SDK release it was built against.
 */
import {
  checkJsonValue,
  createEvent,
  type Event,
  InvalidArgumentError,
  type Message,
  readCallerValue,
  type ToolCall,
} from '../../index.js';
import { fromLosslessJson, toLosslessJson } from './lossless-json.js';

/** Where the whole item is kept in the event's `extensions`. */
export const EXTENSION_KEY = 'agent-sessions/openai-agents';

/** An item as the runner hands it over (an `AgentInputItem`), typed loosely. */
export type Item = Record<string, unknown>;

/** The extension's value: the item, and whether it is in the tagged lossless form. */
interface StoredItem {
  item: unknown;
  tagged?: true;
}

/** Item types that carry a tool's result: their `callId` names the call they answer. */
const RESULT_TYPES = new Set([
  'function_call_result',
  'computer_call_result',
  'shell_call_output',
  'apply_patch_call_output',
  'tool_search_output',
]);

/** Item types that are calls the model made (answered by a result item with the same callId). */
const CALL_TYPES = new Set([
  'function_call',
  'computer_call',
  'shell_call',
  'apply_patch_call',
  'tool_search_call',
  'hosted_tool_call',
]);

export function isResultItem(item: Item): boolean {
  return RESULT_TYPES.has(item.type as string);
}

export function isCallItem(item: Item): boolean {
  return CALL_TYPES.has(item.type as string);
}

/** The id tying a call to its result, when the item has one. */
export function callIdOf(item: Item): string | undefined {
  const id = item.callId ?? item.call_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The text of a content value: a string, or the text-bearing parts of a list, one per line. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts: string[] = [];
    for (const part of content) {
      if (part === null || typeof part !== 'object') continue;
      const p = part as Record<string, unknown>;
      const text = p.text ?? p.refusal ?? p.transcript;
      if (typeof text === 'string' && text !== '') texts.push(text);
    }
    return texts.join('\n');
  }
  if (content !== null && typeof content === 'object') return textOf([content]);
  return '';
}

/** The Go-visible message of an item; `author` is who the event says wrote it. */
function messageOf(item: Item, assistantAuthor: string): { author: string; message: Message } {
  const type = typeof item.type === 'string' ? item.type : 'message';
  if (type === 'message') {
    const role = typeof item.role === 'string' ? item.role : 'user';
    const author = role === 'assistant' ? assistantAuthor : role;
    return { author, message: { role, content: textOf(item.content) } };
  }
  if (isCallItem(item)) {
    const name = typeof item.name === 'string' && item.name !== '' ? item.name : type;
    const args = typeof item.arguments === 'string' ? item.arguments : undefined;
    const call: ToolCall = { type: type === 'function_call' ? 'function' : type, function: { name } };
    if (args !== undefined) call.function.arguments = args;
    const id = callIdOf(item) ?? (typeof item.id === 'string' ? item.id : undefined);
    if (id !== undefined) call.id = id;
    return { author: assistantAuthor, message: { role: 'assistant', tool_calls: [call] } };
  }
  if (isResultItem(item)) {
    const message: Message = { role: 'tool', content: textOf(item.output) };
    const id = callIdOf(item);
    if (id !== undefined) message.tool_id = id;
    message.tool_name = typeof item.name === 'string' && item.name !== '' ? item.name : type;
    return { author: 'tool', message };
  }
  if (type === 'reasoning') {
    const text = textOf(item.content) || textOf(item.rawContent);
    return { author: assistantAuthor, message: { role: 'assistant', reasoning_content: text } };
  }
  return { author: assistantAuthor, message: { role: 'assistant', content: '' } };
}

/**
 * The event storing `item`. Every item is stored, even one with nothing a Go reader could show
 * (an image-only message, encrypted reasoning): such an event's content says what it holds, as
 * `[input_image]` or `[reasoning]`, since an event without content would not be stored at all.
 */
export function itemToEvent(item: Item, options: { author: string; now: Date }): Event {
  const { author, message } = messageOf(item, options.author);
  const hasPayload =
    !!message.content || !!message.reasoning_content || !!message.tool_calls || !!message.tool_id;
  if (!hasPayload) message.content = `[${placeholderOf(item)}]`;
  const lossless = toLosslessJson(item);
  const stored: StoredItem = lossless.tagged ? { item: lossless.value, tagged: true } : { item };
  return createEvent({ author, message, now: options.now, extensions: { [EXTENSION_KEY]: stored } });
}

/**
 * The events storing `items`, all written at one time (each item checked to be an object first):
 * what addItems, the compaction and the transactions store.
 */
export function eventsOf(items: unknown, field: string, author: string): Event[] {
  if (!readCallerValue(field, () => Array.isArray(items))) {
    throw new InvalidArgumentError(field, 'must be an array of items');
  }
  const now = new Date();
  return (items as unknown[]).map((item: unknown, i) => storedItemEvent(item, `${field}[${i}]`, author, now));
}

/**
 * The event storing one caller's item, checked: an object, readable (a getter or Proxy trap of the
 * caller's that throws, a cycle or nesting deeper than the stack is refused naming `field`), and
 * storable as it is kept (plain JSON, or the item's lossless form: bytes as base64, undefined
 * tagged), what PostgreSQL cannot hold named by the item's own path (`items[1].content[0].text`),
 * not by that of the event built from it, which the store would name.
 */
export function storedItemEvent(item: unknown, field: string, author: string, now: Date): Event {
  // Array.isArray runs a Proxy's IsArray check, which a revoked Proxy fails.
  if (item === null || typeof item !== 'object' || readCallerValue(field, () => Array.isArray(item))) {
    throw new InvalidArgumentError(field, 'must be an item object');
  }
  const event = readCallerValue(field, () => itemToEvent(item as Item, { author, now }));
  checkJsonValue((event.extensions![EXTENSION_KEY] as StoredItem).item, field);
  return event;
}

/**
 * Stamps `events` again, after their session was created for them: an event must not be older
 * than the session that holds it (a summary's boundary is an event's time, and a summary whose
 * boundary comes before its session's creation is not read back, as in Go).
 */
export function stampAgain(events: Event[]): void {
  const now = new Date();
  for (const event of events) event.timestamp = now;
}

/** What an item without text holds, for its placeholder content. */
function placeholderOf(item: Item): string {
  if (item.type === 'message' || item.type === undefined) {
    const parts = Array.isArray(item.content) ? item.content : [];
    const kinds = parts
      .map((part) => (part && typeof part === 'object' ? (part as Item).type : undefined))
      .filter((kind): kind is string => typeof kind === 'string');
    return kinds.length > 0 ? [...new Set(kinds)].join(', ') : 'empty message';
  }
  return String(item.type);
}

/**
 * The items an event stores: the one item in the extension when this adapter wrote the event,
 * else items built from the Go-visible fields (an event a Go service or another adapter wrote:
 * its text, each of its tool calls, its tool result), so such a conversation can be continued by
 * the runner. None for an event with nothing the model could use.
 */
export function eventToItems(event: Event): Item[] {
  const stored = event.extensions?.[EXTENSION_KEY] as StoredItem | undefined;
  if (stored !== undefined && stored !== null && typeof stored === 'object' && 'item' in stored) {
    return [(stored.tagged ? fromLosslessJson(stored.item) : stored.item) as Item];
  }
  return foreignEventToItems(event);
}

function foreignEventToItems(event: Event): Item[] {
  // Every choice: a Go service stores the results of parallel tool calls as one event, one
  // `tool` choice per result.
  const items: Item[] = [];
  for (const choice of event.choices ?? []) {
    if (choice?.message) items.push(...messageToItems(choice.message));
  }
  return items;
}

function messageToItems(message: Message): Item[] {
  if (message.role === 'tool') {
    const output = { type: 'text', text: message.content ?? '' };
    const name = message.tool_name ?? '';
    return [
      { type: 'function_call_result', callId: message.tool_id ?? '', name, status: 'completed', output },
    ];
  }
  const items: Item[] = [];
  const text = message.content ?? '';
  if (message.role === 'user' || message.role === 'system') {
    if (text !== '') items.push({ type: 'message', role: message.role, content: text });
  } else if (text !== '') {
    const content = [{ type: 'output_text', text }];
    items.push({ type: 'message', role: 'assistant', status: 'completed', content });
  }
  for (const call of message.tool_calls ?? []) {
    const args = call.function.arguments ?? '';
    items.push({ type: 'function_call', callId: call.id ?? '', name: call.function.name, arguments: args });
  }
  return items;
}

/** The items of stored events, in store order. */
export function itemsOfEvents(events: readonly Event[]): Item[] {
  const items: Item[] = [];
  for (const event of events) items.push(...eventToItems(event));
  return items;
}
