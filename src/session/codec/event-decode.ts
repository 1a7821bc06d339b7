import type {
  Choice,
  ContentPart,
  Event,
  Logprobs,
  Message,
  ResponseMeta,
  TokenLogprob,
  ToolCall,
  TopLogprob,
  Usage,
} from '../event.js';
import { RESPONSE_KEYS } from '../event.js';
import { goZeroTime, parseRfc3339 } from '../time.js';
import type { StructFields } from './fields.js';
import { structObject } from './fields.js';
import {
  AUDIO,
  CHOICE,
  COMPLETION_TOKENS_DETAILS,
  CONTENT_PART,
  CONTENT_REF,
  EVENT,
  EVENT_ACTIONS,
  FILE,
  FUNCTION,
  IMAGE,
  LOGPROBS,
  MESSAGE,
  PARENT_METADATA,
  PROMPT_TOKENS_DETAILS,
  RESPONSE_ERROR,
  RESPONSE_META,
  TIMING_INFO,
  TOKEN_LOGPROB,
  TOOL_CALL,
  TOP_LOGPROB,
  USAGE,
  VIDEO,
} from './go-structs.js';
import {
  intValue,
  itemStruct,
  type JsonObject,
  readArray,
  readBool,
  readBytes,
  readFloat,
  readInt,
  readObject,
  readOptBool,
  readOptInt,
  readOptString,
  readPtrInt,
  readPtrString,
  readStateMap,
  readString,
  readStruct,
  readTime,
  readValueMap,
  rootObject,
} from './reader.js';

/**
 * Reads an already parsed event document as Go's event.Event.UnmarshalJSON does: the flat fields
 * first (so legacy payloads without `response` still read), then the nested `response` object,
 * which is ignored when malformed. The result is canonical: re-encoding it gives Go's bytes.
 */
export function decodeEventValue(value: unknown, field = 'event'): Event {
  const o = structObject(rootObject(value, field), EVENT);
  const p = field;
  const meta = readResponseMeta(o.response);
  // Go allocates the response as soon as it meets one of its keys, even with a null value.
  const withResponse = meta !== undefined || RESPONSE_KEYS.some((key) => o[key] !== undefined);
  const event = {} as Event;
  if (withResponse) {
    event.object = readString(o, 'object', p);
    event.created = readInt(o, 'created', p);
    event.model = readString(o, 'model', p);
    const choices = readArray(o, 'choices', p);
    event.choices = choices
      ? choices.map((c, i) => readChoice(itemStruct(c, `${p}.choices`, i, CHOICE), `${p}.choices[${i}]`))
      : null;
    const usage = readStruct(o, 'usage', p, USAGE);
    if (usage) event.usage = readUsage(usage, `${p}.usage`);
    set(event, 'system_fingerprint', readPtrString(o, 'system_fingerprint', p));
    const error = readStruct(o, 'error', p, RESPONSE_ERROR);
    if (error) {
      const ep = `${p}.error`;
      event.error = { message: readString(error, 'message', ep), type: readString(error, 'type', ep) };
      set(event.error, 'param', readPtrString(error, 'param', ep));
      set(event.error, 'code', readPtrString(error, 'code', ep));
    }
    event.done = readBool(o, 'done', p);
    event.is_partial = readBool(o, 'is_partial', p);
  }
  set(event, 'requestID', readOptString(o, 'requestID', p));
  event.invocationId = readString(o, 'invocationId', p);
  set(event, 'parentInvocationId', readOptString(o, 'parentInvocationId', p));
  const parent = readStruct(o, 'parentMetadata', p, PARENT_METADATA);
  if (parent) {
    const mp = `${p}.parentMetadata`;
    event.parentMetadata = {};
    set(event.parentMetadata, 'triggerType', readOptString(parent, 'triggerType', mp));
    set(event.parentMetadata, 'triggerId', readOptString(parent, 'triggerId', mp));
    set(event.parentMetadata, 'triggerName', readOptString(parent, 'triggerName', mp));
  }
  event.author = readString(o, 'author', p);
  event.id = readString(o, 'id', p);
  event.timestamp = readTime(o, 'timestamp', p);
  set(event, 'branch', readOptString(o, 'branch', p));
  set(event, 'tag', readOptString(o, 'tag', p));
  set(event, 'requiresCompletion', readOptBool(o, 'requiresCompletion', p));
  set(event, 'longRunningToolIDs', readToolIdSet(o, p));
  // Most events carry no delta: a map is only built for one with keys.
  const deltaJson = readObject(o, 'stateDelta', p);
  if (deltaJson && Object.keys(deltaJson).length > 0)
    event.stateDelta = readStateMap(deltaJson, `${p}.stateDelta`);
  set(event, 'extensions', readValueMap(o, 'extensions', p));
  const actions = readStruct(o, 'actions', p, EVENT_ACTIONS);
  if (actions) {
    event.actions = {};
    set(event.actions, 'skipSummarization', readOptBool(actions, 'skipSummarization', `${p}.actions`));
  }
  set(event, 'filterKey', readOptString(o, 'filterKey', p));
  set(event, 'version', readOptInt(o, 'version', p));
  if (withResponse) event.response = meta ?? { timestamp: goZeroTime() };
  return event;
}

/** Sets an optional property only when it has a value, so absent fields stay absent. */
function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * The nested `response` object, or undefined when it is absent, null or malformed: Go reads it
 * in a second pass whose failure it only logs, keeping the flat fields.
 */
function readResponseMeta(value: unknown): ResponseMeta | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = structObject(value as JsonObject, RESPONSE_META);
  const id = o.id;
  if (id != null && typeof id !== 'string') return undefined;
  const ts = o.timestamp;
  let timestamp: Date | null;
  if (ts == null) timestamp = goZeroTime();
  else if (typeof ts === 'string') timestamp = parseRfc3339(ts);
  else return undefined;
  if (!timestamp) return undefined;
  const meta: ResponseMeta = {};
  if (id) meta.id = id;
  meta.timestamp = timestamp;
  return meta;
}

function readChoice(o: JsonObject, p: string): Choice {
  const choice: Choice = {
    index: readInt(o, 'index', p),
    message: readMessage(readStruct(o, 'message', p, MESSAGE), `${p}.message`),
    delta: readMessage(readStruct(o, 'delta', p, MESSAGE), `${p}.delta`),
  };
  set(choice, 'finish_reason', readPtrString(o, 'finish_reason', p));
  const logprobs = readStruct(o, 'logprobs', p, LOGPROBS);
  if (logprobs) choice.logprobs = readLogprobs(logprobs, `${p}.logprobs`);
  return choice;
}

export function readLogprobs(o: JsonObject, p: string): Logprobs {
  const logprobs = {} as Logprobs;
  set(logprobs, 'content', readSlice(o, 'content', p, TOKEN_LOGPROB, readTokenLogprob));
  return logprobs;
}

function readMessage(o: JsonObject | undefined, p: string): Message {
  if (!o) return { role: '' };
  const message: Message = { role: readString(o, 'role', p) };
  set(message, 'content', readOptString(o, 'content', p));
  set(message, 'content_parts', readSlice(o, 'content_parts', p, CONTENT_PART, readContentPart));
  set(message, 'tool_id', readOptString(o, 'tool_id', p));
  set(message, 'tool_name', readOptString(o, 'tool_name', p));
  set(message, 'tool_calls', readSlice(o, 'tool_calls', p, TOOL_CALL, readToolCall));
  set(message, 'reasoning_content', readOptString(o, 'reasoning_content', p));
  set(message, 'reasoning_signature', readOptString(o, 'reasoning_signature', p));
  return message;
}

/** An omitempty slice of structs: undefined when absent, null or empty. */
export function readSlice<T>(
  o: JsonObject,
  name: string,
  path: string,
  struct: StructFields,
  readItem: (o: JsonObject, path: string) => T,
): T[] | undefined {
  const items = readArray(o, name, path);
  if (!items || items.length === 0) return undefined;
  const p = `${path}.${name}`;
  return items.map((item, i) => readItem(itemStruct(item, p, i, struct), `${p}[${i}]`));
}

export function readContentPart(o: JsonObject, p: string): ContentPart {
  const part: ContentPart = { type: readString(o, 'type', p) };
  set(part, 'text', readPtrString(o, 'text', p));
  const image = readStruct(o, 'image', p, IMAGE);
  if (image) {
    const ip = `${p}.image`;
    part.image = { url: readString(image, 'url', ip), data: readBytes(image, 'data', ip) };
    set(part.image, 'detail', readOptString(image, 'detail', ip));
    set(part.image, 'format', readOptString(image, 'format', ip));
  }
  const audio = readStruct(o, 'audio', p, AUDIO);
  if (audio) {
    const ap = `${p}.audio`;
    part.audio = { data: readBytes(audio, 'data', ap), format: readString(audio, 'format', ap) };
    set(part.audio, 'url', readOptString(audio, 'url', ap));
  }
  const video = readStruct(o, 'video', p, VIDEO);
  if (video) {
    const vp = `${p}.video`;
    part.video = { data: readBytes(video, 'data', vp) };
    set(part.video, 'url', readOptString(video, 'url', vp));
    set(part.video, 'format', readOptString(video, 'format', vp));
  }
  const file = readStruct(o, 'file', p, FILE);
  if (file) {
    const fp = `${p}.file`;
    part.file = {
      filename: readString(file, 'filename', fp),
      data: readBytes(file, 'data', fp),
      file_id: readString(file, 'file_id', fp),
    };
    set(part.file, 'url', readOptString(file, 'url', fp));
    set(part.file, 'format', readOptString(file, 'format', fp));
  }
  const ref = readStruct(o, 'content_ref', p, CONTENT_REF);
  if (ref) {
    const rp = `${p}.content_ref`;
    part.content_ref = {
      artifact_ref: readString(ref, 'artifact_ref', rp),
      artifact_version: readInt(ref, 'artifact_version', rp),
    };
    set(part.content_ref, 'artifact_name', readOptString(ref, 'artifact_name', rp));
    set(part.content_ref, 'mime_type', readOptString(ref, 'mime_type', rp));
    set(part.content_ref, 'size_bytes', readOptInt(ref, 'size_bytes', rp));
    set(part.content_ref, 'sha256', readOptString(ref, 'sha256', rp));
    set(part.content_ref, 'original_name', readOptString(ref, 'original_name', rp));
    set(part.content_ref, 'event_id', readOptString(ref, 'event_id', rp));
    set(part.content_ref, 'request_id', readOptString(ref, 'request_id', rp));
  }
  return part;
}

function readToolCall(o: JsonObject, p: string): ToolCall {
  const f = readStruct(o, 'function', p, FUNCTION) ?? {};
  const fp = `${p}.function`;
  const call: ToolCall = { type: readString(o, 'type', p), function: { name: readString(f, 'name', fp) } };
  set(call.function, 'strict', readOptBool(f, 'strict', fp));
  set(call.function, 'description', readOptString(f, 'description', fp));
  set(call.function, 'arguments', readOptString(f, 'arguments', fp));
  set(call, 'id', readOptString(o, 'id', p));
  set(call, 'index', readPtrInt(o, 'index', p));
  set(call, 'extra_fields', readValueMap(o, 'extra_fields', p));
  return call;
}

function readTopLogprob(o: JsonObject, p: string): TopLogprob {
  const top: TopLogprob = { token: readString(o, 'token', p), logprob: readFloat(o, 'logprob', p) };
  const bytes = readArray(o, 'bytes', p);
  if (bytes && bytes.length > 0) {
    top.bytes = bytes.map((b, i) => (b === null ? 0 : intValue(b, `${p}.bytes`, i)));
  }
  return top;
}

function readTokenLogprob(o: JsonObject, p: string): TokenLogprob {
  const token: TokenLogprob = readTopLogprob(o, p);
  set(token, 'top_logprobs', readSlice(o, 'top_logprobs', p, TOP_LOGPROB, readTopLogprob));
  return token;
}

function readUsage(o: JsonObject, p: string): Usage {
  const prompt = readStruct(o, 'prompt_tokens_details', p, PROMPT_TOKENS_DETAILS) ?? {};
  const completion = readStruct(o, 'completion_tokens_details', p, COMPLETION_TOKENS_DETAILS) ?? {};
  const pp = `${p}.prompt_tokens_details`;
  const usage: Usage = {
    prompt_tokens: readInt(o, 'prompt_tokens', p),
    completion_tokens: readInt(o, 'completion_tokens', p),
    total_tokens: readInt(o, 'total_tokens', p),
    prompt_tokens_details: { cached_tokens: readInt(prompt, 'cached_tokens', pp) },
    completion_tokens_details: {},
  };
  set(usage.prompt_tokens_details!, 'cache_creation_tokens', readOptInt(prompt, 'cache_creation_tokens', pp));
  set(usage.prompt_tokens_details!, 'cache_read_tokens', readOptInt(prompt, 'cache_read_tokens', pp));
  const cp = `${p}.completion_tokens_details`;
  set(usage.completion_tokens_details!, 'reasoning_tokens', readOptInt(completion, 'reasoning_tokens', cp));
  const timing = readStruct(o, 'timing_info', p, TIMING_INFO);
  if (timing) {
    const tp = `${p}.timing_info`;
    usage.timing_info = {};
    set(usage.timing_info, 'time_to_first_token', readOptInt(timing, 'time_to_first_token', tp));
    set(usage.timing_info, 'reasoning_duration', readOptInt(timing, 'reasoning_duration', tp));
  }
  return usage;
}

/** Go's map[string]struct{}: each value must be an object (or null) and reads as `{}`. */
export function readToolIdSet(o: JsonObject, p: string): Record<string, Record<string, never>> | undefined {
  const ids = readObject(o, 'longRunningToolIDs', p);
  if (!ids) return undefined;
  const keys = Object.keys(ids);
  if (keys.length === 0) return undefined;
  const idSet: Record<string, Record<string, never>> = Object.create(null);
  const ip = `${p}.longRunningToolIDs`;
  for (const key of keys) {
    readObject(ids, key, ip);
    idSet[key] = {};
  }
  return idSet;
}
