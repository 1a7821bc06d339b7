import { randomUUID } from 'node:crypto';
import type { StateMap } from './state.js';

/**
 * The event model mirrors trpc-agent-go's `event.Event` JSON field for field: the same property
 * names (including Go's snake_case ones), the same nesting. An event whose response part is set
 * (any of `object`, `created`, `model`, `choices`, `usage`, `system_fingerprint`, `error`, `done`,
 * `is_partial`, `response`) is an event with a model response, as Go's non-nil `*model.Response`.
 */

/**
 * A Go int or int64 field. Reads give a number, or — only for a stored value beyond
 * Number.MAX_SAFE_INTEGER (2^53 - 1), which a number cannot hold exactly — a bigint with every
 * digit. Writes accept either; a bigint must be within the int64 range.
 */
export type Int64 = number | bigint;

export type Role = 'system' | 'user' | 'assistant' | 'tool' | (string & {});

export interface FunctionCall {
  name: string;
  strict?: boolean;
  description?: string;
  /** The call's arguments, as the model produced them (usually a JSON text). Go writes it as a string. */
  arguments?: string;
}

export interface ToolCall {
  type: string;
  function: FunctionCall;
  id?: string;
  index?: Int64;
  extra_fields?: Record<string, unknown>;
}

export interface ImagePart {
  url: string;
  data: Uint8Array | null;
  detail?: string;
  format?: string;
}

export interface AudioPart {
  url?: string;
  data: Uint8Array | null;
  format: string;
}

export interface VideoPart {
  url?: string;
  data: Uint8Array | null;
  format?: string;
}

export interface FilePart {
  filename: string;
  url?: string;
  data: Uint8Array | null;
  file_id: string;
  format?: string;
}

export interface ContentRef {
  artifact_ref: string;
  artifact_name?: string;
  artifact_version: Int64;
  mime_type?: string;
  size_bytes?: Int64;
  sha256?: string;
  original_name?: string;
  event_id?: string;
  request_id?: string;
}

export interface ContentPart {
  type: string;
  text?: string;
  image?: ImagePart;
  audio?: AudioPart;
  video?: VideoPart;
  file?: FilePart;
  content_ref?: ContentRef;
}

export interface Message {
  role: Role;
  content?: string;
  content_parts?: ContentPart[];
  tool_id?: string;
  tool_name?: string;
  tool_calls?: ToolCall[];
  reasoning_content?: string;
  reasoning_signature?: string;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes?: Int64[];
}

export interface TokenLogprob extends TopLogprob {
  top_logprobs?: TopLogprob[];
}

export interface Logprobs {
  content?: TokenLogprob[];
}

export interface Choice {
  index: Int64;
  message: Message;
  /** Go always writes it (`{"role":""}` when empty); optional here for convenience. */
  delta?: Message;
  finish_reason?: string;
  logprobs?: Logprobs;
}

export interface Usage {
  prompt_tokens: Int64;
  completion_tokens: Int64;
  total_tokens: Int64;
  prompt_tokens_details?: {
    cached_tokens: Int64;
    cache_creation_tokens?: Int64;
    cache_read_tokens?: Int64;
  };
  completion_tokens_details?: { reasoning_tokens?: Int64 };
  /** Durations in nanoseconds, as Go's time.Duration. */
  timing_info?: { time_to_first_token?: Int64; reasoning_duration?: Int64 };
}

export interface ResponseError {
  message: string;
  type: string;
  param?: string;
  code?: string;
}

/** The nested `response` object Go writes: the model response's own id and timestamp. */
export interface ResponseMeta {
  id?: string;
  timestamp?: Date;
}

export interface ParentMetadata {
  triggerType?: string;
  triggerId?: string;
  triggerName?: string;
}

export interface Event {
  // The model response (Go's embedded *model.Response).
  object?: string;
  created?: Int64;
  model?: string;
  choices?: Choice[] | null;
  usage?: Usage;
  system_fingerprint?: string;
  error?: ResponseError;
  done?: boolean;
  is_partial?: boolean;

  requestID?: string;
  invocationId: string;
  parentInvocationId?: string;
  parentMetadata?: ParentMetadata;
  author: string;
  id: string;
  timestamp: Date;
  branch?: string;
  /** Tags joined with `;`. */
  tag?: string;
  requiresCompletion?: boolean;
  /** Go's `map[string]struct{}`: the ids of long-running tool calls, each mapped to `{}`. */
  longRunningToolIDs?: Record<string, Record<string, never>>;
  /** State changes this event makes; applied to the session whether or not the event is stored. */
  stateDelta?: StateMap;
  /**
   * Arbitrary JSON values by name (Go's `map[string]json.RawMessage`). Read back exactly: a number
   * a JavaScript number cannot hold is read as a bigint (an integer) or a `RawJson` (any
   * other), and written back with the same digits; a RawJson given here is stored as its text.
   */
  extensions?: Record<string, unknown>;
  actions?: { skipSummarization?: boolean };
  filterKey?: string;
  version?: Int64;
  response?: ResponseMeta;
}

/** The event format version trpc-agent-go's event.New writes; filter keys apply from it on. */
export const CURRENT_EVENT_VERSION = 1;
export const FILTER_KEY_DELIMITER = '/';

/**
 * The keys of Go's embedded *model.Response: any of them in an event's JSON makes Go allocate the
 * response when it reads the event (the decoders check them), and any of them set makes an event
 * carry one (with `response`, its metadata).
 */
export const RESPONSE_KEYS = [
  'object',
  'created',
  'model',
  'choices',
  'usage',
  'system_fingerprint',
  'error',
  'done',
  'is_partial',
] as const;

const RESPONSE_FIELDS = [...RESPONSE_KEYS, 'response'] as const;

/** Whether the event carries a model response (Go: `event.Response != nil`). */
export function hasResponse(event: Event): boolean {
  return RESPONSE_FIELDS.some((field) => event[field] !== undefined);
}

/**
 * A new event with a fresh UUID, the current time and the current version, as Go's event.New.
 * Pass a message to make the common case short: `createEvent({ author: 'user', message: { role: 'user', content: 'hi' } })`.
 */
export function createEvent(init: Partial<Event> & { author: string; message?: Message; now?: Date }): Event {
  const { message, now, ...rest } = init;
  const event: Event = {
    invocationId: '',
    id: randomUUID(),
    timestamp: now ?? new Date(),
    version: CURRENT_EVENT_VERSION,
    ...rest,
  };
  if (message && event.choices === undefined) event.choices = [{ index: 0, message }];
  if (event.choices !== undefined && event.object === undefined) event.object = '';
  return event;
}

function hasPayload(message: Message | undefined): boolean {
  return (
    !!message &&
    (!!message.content || (message.content_parts?.length ?? 0) > 0 || !!message.reasoning_content)
  );
}

export function isToolCallResponse(event: Event): boolean {
  const first = event.choices?.[0];
  return (
    !!first && ((first.message?.tool_calls?.length ?? 0) > 0 || (first.delta?.tool_calls?.length ?? 0) > 0)
  );
}

export function isToolResultResponse(event: Event): boolean {
  const first = event.choices?.[0];
  return !!first && (!!first.message?.tool_id || !!first.delta?.tool_id);
}

/** Go's Response.IsValidContent: a tool call, a tool result, or a choice with some content. */
export function hasValidContent(event: Event): boolean {
  if (!hasResponse(event)) return false;
  if (isToolCallResponse(event) || isToolResultResponse(event)) return true;
  return (event.choices ?? []).some((choice) => hasPayload(choice.message) || hasPayload(choice.delta));
}

/**
 * Whether an appended event is stored in the session's history: it has a response, is complete
 * (not a streaming chunk) and has content, a tool call or a tool result. Other events still apply
 * their state delta.
 */
export function isPersistableEvent(event: Event): boolean {
  return hasResponse(event) && event.is_partial !== true && hasValidContent(event);
}

/** Whether any choice is a message (or delta) with the user role. */
export function isUserMessage(event: Event): boolean {
  return (event.choices ?? []).some(
    (choice) => choice.message?.role === 'user' || choice.delta?.role === 'user',
  );
}

/** The key an event is filtered by: `filterKey`, or `branch` for events older than version 1. */
export function eventFilterKey(event: Event): string {
  return (event.version ?? 0) !== CURRENT_EVENT_VERSION ? (event.branch ?? '') : (event.filterKey ?? '');
}

/**
 * Hierarchical filter-key match, in both directions: `a/b` matches events of `a` and of `a/b/c`;
 * an empty key on either side matches everything.
 */
export function filterKeysMatch(filterKey: string, eventKey: string): boolean {
  if (filterKey === '' || eventKey === '') return true;
  const a = filterKey + FILTER_KEY_DELIMITER;
  const b = eventKey + FILTER_KEY_DELIMITER;
  return a.startsWith(b) || b.startsWith(a);
}

export function eventMatchesFilter(event: Event, filterKey: string): boolean {
  return filterKeysMatch(filterKey, eventFilterKey(event));
}
