import { callerValueError, InvalidArgumentError } from '../errors.js';
import { type Event, hasResponse } from '../event.js';
import { GO_ZERO_TIME_MS } from '../time.js';
import { writeJsonValue } from './value.js';
import { entryPath, JsonWriter, sortedKeys } from './writer.js';

/**
 * Writes an event exactly as Go's encoding/json writes trpc-agent-go's event.Event: the embedded
 * model response's fields first (when the event has a response), then the event's own fields, then
 * the nested `response` {id, timestamp} that carries the two response fields the event's own `id`
 * and `timestamp` shadow. Field order, omitempty and escaping follow the Go struct tags.
 */
export function encodeEvent(event: Event, field = 'event'): string {
  try {
    return writeEvent(event, field);
  } catch (error) {
    throw callerValueError(field, error);
  }
}

function writeEvent(event: Event, field: string): string {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidArgumentError(field, 'must be an event object');
  }
  const w: JsonWriter = new JsonWriter();
  const p = field;
  const withResponse = hasResponse(event);
  w.beginObject();
  if (withResponse) writeResponseFields(w, event, p);
  w.optString('requestID', event.requestID, p);
  w.key('invocationId');
  w.string(event.invocationId, p, 'invocationId');
  w.optString('parentInvocationId', event.parentInvocationId, p);
  if (event.parentMetadata != null) {
    const m = event.parentMetadata;
    const mp = `${p}.parentMetadata`;
    w.object(m, p, 'parentMetadata');
    w.key('parentMetadata');
    w.beginObject();
    w.optString('triggerType', m.triggerType, mp);
    w.optString('triggerId', m.triggerId, mp);
    w.optString('triggerName', m.triggerName, mp);
    w.endObject();
  }
  w.key('author');
  w.string(event.author, p, 'author');
  w.key('id');
  w.string(event.id, p, 'id');
  w.fieldTime('timestamp', event.timestamp, p);
  w.optString('branch', event.branch, p);
  w.optString('tag', event.tag, p);
  w.optBool('requiresCompletion', event.requiresCompletion, p);
  writeToolIdSet(w, event.longRunningToolIDs, p);
  writeStateDelta(w, event.stateDelta, p);
  writeRawMap(w, 'extensions', event.extensions, p);
  if (event.actions != null) {
    w.object(event.actions, p, 'actions');
    w.key('actions');
    w.beginObject();
    w.optBool('skipSummarization', event.actions.skipSummarization, `${p}.actions`);
    w.endObject();
  }
  w.optString('filterKey', event.filterKey, p);
  w.optInt('version', event.version, p);
  if (withResponse) {
    const meta = event.response;
    const mp = `${p}.response`;
    if (meta != null) w.object(meta, p, 'response');
    w.key('response');
    w.beginObject();
    w.optString('id', meta?.id, mp);
    w.fieldTime('timestamp', meta?.timestamp ?? ZERO_TIME, mp);
    w.endObject();
  }
  w.endObject();
  return w.finish();
}

const ZERO_TIME = new Date(GO_ZERO_TIME_MS);

// Loose records: the encoder validates the caller's values rather than trusting their types.
type Loose = Record<string, unknown>;

function writeResponseFields(w: JsonWriter, event: Event, p: string): void {
  w.fieldString('object', event.object, p);
  w.fieldInt('created', event.created, p);
  w.fieldString('model', event.model, p);
  w.key('choices');
  const choices: unknown = event.choices;
  if (choices == null) {
    w.raw('null');
  } else {
    w.array(choices, p, 'choices');
    const cp = `${p}.choices`;
    w.beginArray();
    for (let i = 0; i < choices.length; i++) {
      w.item();
      writeChoice(w, choices[i], cp, i);
    }
    w.endArray();
  }
  if (event.usage != null) writeUsage(w, event.usage, p);
  w.ptrString('system_fingerprint', event.system_fingerprint, p);
  if (event.error != null) {
    const e: unknown = event.error;
    w.object(e, p, 'error');
    const ep = `${p}.error`;
    w.key('error');
    w.beginObject();
    w.fieldString('message', e.message, ep);
    w.fieldString('type', e.type, ep);
    w.ptrString('param', e.param, ep);
    w.ptrString('code', e.code, ep);
    w.endObject();
  }
  w.fieldBool('done', event.done, p);
  w.fieldBool('is_partial', event.is_partial, p);
}

function writeChoice(w: JsonWriter, choice: unknown, path: string, index: number): void {
  w.object(choice, path, index);
  const p = `${path}[${index}]`;
  w.beginObject();
  w.fieldInt('index', choice.index, p);
  w.key('message');
  writeMessage(w, choice.message, p, 'message');
  w.key('delta');
  writeMessage(w, choice.delta, p, 'delta');
  w.ptrString('finish_reason', choice.finish_reason, p);
  if (choice.logprobs != null) {
    const l: unknown = choice.logprobs;
    w.object(l, p, 'logprobs');
    w.key('logprobs');
    w.beginObject();
    writeSlice(w, 'content', l.content, `${p}.logprobs`, writeTokenLogprob);
    w.endObject();
  }
  w.endObject();
}

/** Writes a Message struct: always present in a choice, `{"role":""}` when unset. */
function writeMessage(w: JsonWriter, message: unknown, path: string, name: string): void {
  const m: unknown = message ?? {};
  w.object(m, path, name);
  const p = `${path}.${name}`;
  w.beginObject();
  w.fieldString('role', m.role, p);
  w.optString('content', m.content, p);
  writeSlice(w, 'content_parts', m.content_parts, p, writeContentPart);
  w.optString('tool_id', m.tool_id, p);
  w.optString('tool_name', m.tool_name, p);
  writeSlice(w, 'tool_calls', m.tool_calls, p, writeToolCall);
  w.optString('reasoning_content', m.reasoning_content, p);
  w.optString('reasoning_signature', m.reasoning_signature, p);
  w.endObject();
}

/** Writes an omitempty slice of structs: skipped when unset or empty. */
function writeSlice(
  w: JsonWriter,
  name: string,
  items: unknown,
  path: string,
  writeItem: (w: JsonWriter, item: unknown, path: string, index: number) => void,
): void {
  if (items == null) return;
  w.array(items, path, name);
  if (items.length === 0) return;
  const p = `${path}.${name}`;
  w.key(name);
  w.beginArray();
  for (let i = 0; i < items.length; i++) {
    w.item();
    writeItem(w, items[i], p, i);
  }
  w.endArray();
}

function writeContentPart(w: JsonWriter, part: unknown, path: string, index: number): void {
  w.object(part, path, index);
  const p = `${path}[${index}]`;
  w.beginObject();
  w.fieldString('type', part.type, p);
  w.ptrString('text', part.text, p);
  writeStruct(w, 'image', part.image, p, (w, v, p) => {
    w.fieldString('url', v.url, p);
    w.fieldBytes('data', v.data, p);
    w.optString('detail', v.detail, p);
    w.optString('format', v.format, p);
  });
  writeStruct(w, 'audio', part.audio, p, (w, v, p) => {
    w.optString('url', v.url, p);
    w.fieldBytes('data', v.data, p);
    w.fieldString('format', v.format, p);
  });
  writeStruct(w, 'video', part.video, p, (w, v, p) => {
    w.optString('url', v.url, p);
    w.fieldBytes('data', v.data, p);
    w.optString('format', v.format, p);
  });
  writeStruct(w, 'file', part.file, p, (w, v, p) => {
    w.fieldString('filename', v.filename, p);
    w.optString('url', v.url, p);
    w.fieldBytes('data', v.data, p);
    w.fieldString('file_id', v.file_id, p);
    w.optString('format', v.format, p);
  });
  writeStruct(w, 'content_ref', part.content_ref, p, (w, v, p) => {
    w.fieldString('artifact_ref', v.artifact_ref, p);
    w.optString('artifact_name', v.artifact_name, p);
    w.fieldInt('artifact_version', v.artifact_version, p);
    w.optString('mime_type', v.mime_type, p);
    w.optInt('size_bytes', v.size_bytes, p);
    w.optString('sha256', v.sha256, p);
    w.optString('original_name', v.original_name, p);
    w.optString('event_id', v.event_id, p);
    w.optString('request_id', v.request_id, p);
  });
  w.endObject();
}

/** Writes a pointer-to-struct field: skipped when unset, else an object of the given fields. */
function writeStruct(
  w: JsonWriter,
  name: string,
  value: unknown,
  path: string,
  writeFields: (w: JsonWriter, value: Loose, path: string) => void,
): void {
  if (value == null) return;
  w.object(value, path, name);
  w.key(name);
  w.beginObject();
  writeFields(w, value, `${path}.${name}`);
  w.endObject();
}

function writeToolCall(w: JsonWriter, call: unknown, path: string, index: number): void {
  w.object(call, path, index);
  const p = `${path}[${index}]`;
  w.beginObject();
  w.fieldString('type', call.type, p);
  const f: unknown = call.function ?? {};
  w.object(f, p, 'function');
  const fp = `${p}.function`;
  w.key('function');
  w.beginObject();
  // Go's FunctionDefinitionParam.MarshalJSON puts its string `arguments` in an outer struct that
  // embeds the rest, so `arguments` comes first, before `name`.
  w.optString('arguments', f.arguments, fp);
  w.fieldString('name', f.name, fp);
  w.optBool('strict', f.strict, fp);
  w.optString('description', f.description, fp);
  w.endObject();
  w.optString('id', call.id, p);
  w.ptrInt('index', call.index, p);
  writeAnyMap(w, 'extra_fields', call.extra_fields, p);
  w.endObject();
}

function writeTokenLogprob(w: JsonWriter, token: unknown, path: string, index: number): void {
  w.object(token, path, index);
  const p = `${path}[${index}]`;
  w.beginObject();
  writeTopLogprobFields(w, token, p);
  writeSlice(w, 'top_logprobs', token.top_logprobs, p, writeTopLogprob);
  w.endObject();
}

function writeTopLogprob(w: JsonWriter, top: unknown, path: string, index: number): void {
  w.object(top, path, index);
  w.beginObject();
  writeTopLogprobFields(w, top, `${path}[${index}]`);
  w.endObject();
}

function writeTopLogprobFields(w: JsonWriter, token: Loose, p: string): void {
  w.fieldString('token', token.token, p);
  w.key('logprob');
  w.float(token.logprob ?? 0, p, 'logprob');
  const bytes = token.bytes;
  if (bytes == null) return;
  w.array(bytes, p, 'bytes');
  if (bytes.length === 0) return;
  const bp = `${p}.bytes`;
  w.key('bytes');
  w.beginArray();
  for (let i = 0; i < bytes.length; i++) {
    w.item();
    w.int(bytes[i], bp, i);
  }
  w.endArray();
}

function writeUsage(w: JsonWriter, usage: unknown, path: string): void {
  w.object(usage, path, 'usage');
  const p = `${path}.usage`;
  w.key('usage');
  w.beginObject();
  w.fieldInt('prompt_tokens', usage.prompt_tokens, p);
  w.fieldInt('completion_tokens', usage.completion_tokens, p);
  w.fieldInt('total_tokens', usage.total_tokens, p);
  // Both details are struct values in Go, so they are written even when unset.
  const prompt: unknown = usage.prompt_tokens_details ?? {};
  w.object(prompt, p, 'prompt_tokens_details');
  w.key('prompt_tokens_details');
  w.beginObject();
  const pp = `${p}.prompt_tokens_details`;
  w.fieldInt('cached_tokens', prompt.cached_tokens, pp);
  w.optInt('cache_creation_tokens', prompt.cache_creation_tokens, pp);
  w.optInt('cache_read_tokens', prompt.cache_read_tokens, pp);
  w.endObject();
  const completion: unknown = usage.completion_tokens_details ?? {};
  w.object(completion, p, 'completion_tokens_details');
  w.key('completion_tokens_details');
  w.beginObject();
  w.optInt('reasoning_tokens', completion.reasoning_tokens, `${p}.completion_tokens_details`);
  w.endObject();
  writeStruct(w, 'timing_info', usage.timing_info, p, (w, v, p) => {
    w.optInt('time_to_first_token', v.time_to_first_token, p);
    w.optInt('reasoning_duration', v.reasoning_duration, p);
  });
  w.endObject();
}

/** Go's map[string]struct{}: each id maps to `{}` whatever the caller put there. */
function writeToolIdSet(w: JsonWriter, ids: unknown, path: string): void {
  if (ids == null) return;
  w.object(ids, path, 'longRunningToolIDs');
  const keys = sortedKeys(ids);
  if (keys.length === 0) return;
  const p = `${path}.longRunningToolIDs`;
  w.key('longRunningToolIDs');
  w.beginObject();
  for (const key of keys) {
    w.mapKey(key, p);
    w.raw('{}');
  }
  w.endObject();
}

/** Go's map[string][]byte: sorted keys, base64 values, null for nil. */
export function writeStateMapEntries(w: JsonWriter, state: Record<string, unknown>, path: string): void {
  w.beginObject();
  for (const key of sortedKeys(state)) {
    w.mapKey(key, path);
    const value = state[key];
    if (value !== null && !(value instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        entryPath(path, key),
        'must be a Uint8Array or null (use stateOf/textValue/jsonValue)',
      );
    }
    w.bytes(value, path, key);
  }
  w.endObject();
}

function writeStateDelta(w: JsonWriter, delta: unknown, path: string): void {
  if (delta == null) return;
  w.object(delta, path, 'stateDelta');
  if (Object.keys(delta).length === 0) return;
  w.key('stateDelta');
  writeStateMapEntries(w, delta, `${path}.stateDelta`);
}

/** Go's map[string]json.RawMessage: sorted keys, each value embedded as JSON in its own order. */
function writeRawMap(w: JsonWriter, name: string, map: unknown, path: string): void {
  writeValueMap(w, name, map, path, false);
}

/** Go's map[string]any: sorted keys all the way down, as Go re-marshals decoded maps. */
function writeAnyMap(w: JsonWriter, name: string, map: unknown, path: string): void {
  writeValueMap(w, name, map, path, true);
}

function writeValueMap(w: JsonWriter, name: string, map: unknown, path: string, sortNested: boolean): void {
  if (map == null) return;
  w.object(map, path, name);
  const keys = sortedKeys(map);
  if (keys.length === 0) return;
  const p = `${path}.${name}`;
  w.key(name);
  w.beginObject();
  for (const key of keys) {
    w.mapKey(key, p);
    writeJsonValue(w, map[key], p, key, sortNested);
  }
  w.endObject();
}
