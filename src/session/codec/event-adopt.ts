import type { Event } from '../event.js';
import { RESPONSE_KEYS } from '../event.js';
import { goZeroTime, parseRfc3339 } from '../time.js';
import { readContentPart, readLogprobs, readSlice, readToolIdSet } from './event-decode.js';
import { type StructFields, structObject } from './fields.js';
import {
  CHOICE,
  COMPLETION_TOKENS_DETAILS,
  CONTENT_PART,
  EVENT,
  EVENT_ACTIONS,
  FUNCTION,
  LOGPROBS,
  MESSAGE,
  PARENT_METADATA,
  PROMPT_TOKENS_DETAILS,
  RESPONSE_ERROR,
  RESPONSE_META,
  TIMING_INFO,
  TOOL_CALL,
  USAGE,
} from './go-structs.js';
import {
  type JsonObject,
  NEEDS_EXACT_TREE,
  readBool,
  readInt,
  readStateMap,
  readString,
  readTime,
  readValueMap,
} from './reader.js';

/**
 * The fast way to read an event: the tree JSON.parse has just made becomes the Event itself.
 * Its timestamps turn into Dates, its maps are read as decodeEventValue reads them, fields Go
 * always has are filled in when missing, and everything else stays where it is. Building a
 * second tree of fresh objects, as decodeEventValue does, cost more than the parse itself
 * (bench/profile/decode.ts: 7.4 ms per 1,000 events against JSON.parse's 2.3 ms), nearly all of
 * it allocating and collecting the copies.
 *
 * Only a tree already in the shape decodeEventValue gives is taken: what Go and this codec write.
 * Anything else (a null or zero value where the canonical event has no key, a wrong type, a flat
 * payload without `response`, a malformed `response`) returns undefined, and the caller decodes a
 * fresh parse with decodeEventValue, so such documents read, and fail, exactly as they always did.
 * The result equals decodeEventValue's for the same text (test/golden/event-adopt.property.test.ts).
 */
export function adoptEvent(tree: unknown): Event | undefined {
  try {
    return adopt(tree);
  } catch (error) {
    // An integer JSON.parse may have rounded: the caller's fast-tree protocol handles it.
    if (error === NEEDS_EXACT_TREE) throw error;
    return undefined;
  }
}

/** Thrown where the tree is not in canonical shape; adoptEvent turns it into undefined. */
const NOT_CANONICAL: Error = new Error('not a canonical event tree');

/** Paths name a field in the readers' errors, which are never shown here: the caller re-reads. */
const P = 'event';

function adopt(tree: unknown): Event {
  const o = struct(tree, EVENT);
  if (o.response !== undefined) responseFields(o);
  // Response fields without `response` (a legacy flat payload) read by Go's rules for those.
  else if (RESPONSE_KEYS.some((key) => o[key] !== undefined)) throw NOT_CANONICAL;
  optString(o.requestID);
  string(o, 'invocationId', o.invocationId);
  optString(o.parentInvocationId);
  if (o.parentMetadata !== undefined) {
    const m = struct(o.parentMetadata, PARENT_METADATA);
    optString(m.triggerType);
    optString(m.triggerId);
    optString(m.triggerName);
    o.parentMetadata = m;
  }
  string(o, 'author', o.author);
  string(o, 'id', o.id);
  o.timestamp = readTime(o, 'timestamp', P);
  optString(o.branch);
  optString(o.tag);
  optTrue(o.requiresCompletion);
  if (o.longRunningToolIDs !== undefined) o.longRunningToolIDs = present(readToolIdSet(o, P));
  if (o.stateDelta !== undefined) {
    const delta = o.stateDelta;
    // An empty delta reads as no delta; a non-object fails in readStateMap.
    if (delta !== null && typeof delta === 'object' && Object.keys(delta).length === 0) throw NOT_CANONICAL;
    o.stateDelta = readStateMap(present(delta), P);
  }
  if (o.extensions !== undefined) present(readValueMap(o, 'extensions', P));
  if (o.actions !== undefined) {
    const actions = struct(o.actions, EVENT_ACTIONS);
    optTrue(actions.skipSummarization);
    o.actions = actions;
  }
  optString(o.filterKey);
  optInt(o.version);
  return o as unknown as Event;
}

/** The embedded model response's fields and the nested `response`, which Go always writes together. */
function responseFields(o: JsonObject): void {
  o.response = responseMeta(o.response);
  string(o, 'object', o.object);
  int(o, 'created', o.created);
  string(o, 'model', o.model);
  const choices = o.choices;
  if (choices === undefined) o.choices = null;
  else if (choices !== null) {
    if (!Array.isArray(choices)) throw NOT_CANONICAL;
    for (let i = 0; i < choices.length; i++) choices[i] = choice(choices[i]);
  }
  if (o.usage !== undefined) o.usage = usage(o.usage);
  ptrString(o.system_fingerprint);
  if (o.error !== undefined) o.error = responseError(o.error);
  bool(o, 'done', o.done);
  bool(o, 'is_partial', o.is_partial);
}

/** An object of a struct's fields; the object itself unless its keys need Go's matching rules. */
function struct(v: unknown, fields: StructFields): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw NOT_CANONICAL;
  return structObject(v as JsonObject, fields);
}

/** A value the canonical event holds; undefined (an empty or null map) has no key there. */
function present<T>(v: T | undefined | null): T {
  if (v == null) throw NOT_CANONICAL;
  return v;
}

function responseMeta(v: unknown): JsonObject {
  const meta = struct(v, RESPONSE_META);
  const id = meta.id;
  if (id !== undefined && (typeof id !== 'string' || id === '')) throw NOT_CANONICAL;
  const ts = meta.timestamp;
  if (ts === undefined) meta.timestamp = goZeroTime();
  else if (typeof ts !== 'string') throw NOT_CANONICAL;
  else meta.timestamp = present(parseRfc3339(ts));
  return meta;
}

function choice(v: unknown): JsonObject {
  const c = struct(v === null ? {} : v, CHOICE);
  int(c, 'index', c.index);
  c.message = message(c.message);
  c.delta = message(c.delta);
  ptrString(c.finish_reason);
  if (c.logprobs !== undefined) c.logprobs = readLogprobs(struct(c.logprobs, LOGPROBS), P);
  return c;
}

function message(v: unknown): JsonObject {
  if (v == null) return { role: '' };
  const m = struct(v, MESSAGE);
  string(m, 'role', m.role);
  optString(m.content);
  if (m.content_parts !== undefined)
    m.content_parts = present(readSlice(m, 'content_parts', P, CONTENT_PART, readContentPart));
  optString(m.tool_id);
  optString(m.tool_name);
  const calls = m.tool_calls;
  if (calls !== undefined) {
    if (!Array.isArray(calls) || calls.length === 0) throw NOT_CANONICAL;
    for (let i = 0; i < calls.length; i++) calls[i] = toolCall(calls[i]);
  }
  optString(m.reasoning_content);
  optString(m.reasoning_signature);
  return m;
}

function toolCall(v: unknown): JsonObject {
  const call = struct(v === null ? {} : v, TOOL_CALL);
  string(call, 'type', call.type);
  const f = call.function;
  if (f == null) call.function = { name: '' };
  else {
    const fn = struct(f, FUNCTION);
    string(fn, 'name', fn.name);
    optTrue(fn.strict);
    optString(fn.description);
    optString(fn.arguments);
    call.function = fn;
  }
  optString(call.id);
  ptrInt(call.index);
  if (call.extra_fields !== undefined) present(readValueMap(call, 'extra_fields', P));
  return call;
}

function usage(v: unknown): JsonObject {
  const u = struct(v, USAGE);
  int(u, 'prompt_tokens', u.prompt_tokens);
  int(u, 'completion_tokens', u.completion_tokens);
  int(u, 'total_tokens', u.total_tokens);
  const prompt = u.prompt_tokens_details;
  if (prompt == null) u.prompt_tokens_details = { cached_tokens: 0 };
  else {
    const d = struct(prompt, PROMPT_TOKENS_DETAILS);
    int(d, 'cached_tokens', d.cached_tokens);
    optInt(d.cache_creation_tokens);
    optInt(d.cache_read_tokens);
    u.prompt_tokens_details = d;
  }
  const completion = u.completion_tokens_details;
  if (completion == null) u.completion_tokens_details = {};
  else {
    const d = struct(completion, COMPLETION_TOKENS_DETAILS);
    optInt(d.reasoning_tokens);
    u.completion_tokens_details = d;
  }
  if (u.timing_info !== undefined) {
    const t = struct(u.timing_info, TIMING_INFO);
    optInt(t.time_to_first_token);
    optInt(t.reasoning_duration);
    u.timing_info = t;
  }
  return u;
}

function responseError(v: unknown): JsonObject {
  const e = struct(v, RESPONSE_ERROR);
  string(e, 'message', e.message);
  string(e, 'type', e.type);
  ptrString(e.param);
  ptrString(e.code);
  return e;
}

// Field rules, in place. Each leaves a canonical value as it is, sets the zero value Go reads for
// a missing or null plain field, and throws where the canonical event would have no key.

/** A Go string, always present. */
function string(o: JsonObject, name: string, v: unknown): void {
  if (typeof v !== 'string') o[name] = readString(o, name, P);
}

/** An omitempty string: absent, or a non-empty string. */
function optString(v: unknown): void {
  if (v !== undefined && (typeof v !== 'string' || v === '')) throw NOT_CANONICAL;
}

/** A *string: absent, or a string. */
function ptrString(v: unknown): void {
  if (v !== undefined && typeof v !== 'string') throw NOT_CANONICAL;
}

/** A Go int, always present; readInt fails a fraction and stops at one beyond 2^53. */
function int(o: JsonObject, name: string, v: unknown): void {
  if (!Number.isSafeInteger(v)) o[name] = readInt(o, name, P);
}

/** An omitempty int: absent, or a non-zero safe integer. */
function optInt(v: unknown): void {
  if (v !== undefined && (v === 0 || !Number.isSafeInteger(v))) throw NOT_CANONICAL;
}

/** A *int: absent, or a safe integer. */
function ptrInt(v: unknown): void {
  if (v !== undefined && !Number.isSafeInteger(v)) throw NOT_CANONICAL;
}

/** A Go bool, always present. */
function bool(o: JsonObject, name: string, v: unknown): void {
  if (typeof v !== 'boolean') o[name] = readBool(o, name, P);
}

/** An omitempty bool: absent, or true. */
function optTrue(v: unknown): void {
  if (v !== undefined && v !== true) throw NOT_CANONICAL;
}
