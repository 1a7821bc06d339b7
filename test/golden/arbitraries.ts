/** Generators of the values the codec stores, shared by the codec's property tests. */
import fc from 'fast-check';
import type { Event } from '../../src/session/event.js';
import { MAX_STORABLE_TIME_MS, MIN_STORABLE_TIME_MS, PreciseDate } from '../../src/session/time.js';
import { mapOf } from './helpers.js';

// Characters Go's encoder treats specially, mixed with ordinary and astral ones.
const hostileChar = fc.constantFrom(
  '"',
  '\\',
  '/',
  '<',
  '>',
  '&',
  '\u2028',
  '\u2029',
  '\n',
  '\r',
  '\t',
  '\b',
  '\f',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u00e9',
  '\uffff',
  '\ud83d\ude00',
  'a',
);
const hostile = fc.string({ unit: hostileChar, maxLength: 12 });
// Any code point but NUL, which PostgreSQL cannot store in JSONB and the encoder refuses.
const anyText = fc.string({ unit: 'binary', maxLength: 16 }).map((s) => s.replaceAll('\u0000', ''));
export const text = fc.oneof(anyText, hostile);
const nonEmpty = text.filter((s) => s !== '');
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', '1', ''), text);
const int = fc.integer({ min: -1e12, max: 1e12 });
const nonZero = int.filter((n) => n !== 0);

// Every instant the stores hold: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
export const date = fc
  .tuple(
    fc.integer({ min: MIN_STORABLE_TIME_MS, max: MAX_STORABLE_TIME_MS }),
    fc.integer({ min: 0, max: 999_999 }),
  )
  .map(([ms, nanos]) => (nanos === 0 ? new Date(ms) : new PreciseDate(ms, nanos)));
const someBytes = fc.uint8Array({ maxLength: 24 });
export const nullableBytes = fc.option(someBytes, { nil: null });

export const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    text,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('json')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
  ),
}));

/** A non-empty prototype-free map (omitempty maps are absent when empty, so never generated empty). */
export const mapWith = <V>(value: fc.Arbitrary<V>) =>
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 5 }).map((entries) => mapOf(entries));

const toolCall = fc.record(
  {
    type: text,
    function: fc.record(
      { name: text, strict: fc.constant(true), description: nonEmpty, arguments: nonEmpty },
      { requiredKeys: ['name'] },
    ),
    id: nonEmpty,
    index: fc.nat(100),
    extra_fields: mapWith(json),
  },
  { requiredKeys: ['type', 'function'] },
);

const contentPart = fc.record(
  {
    type: text,
    text,
    image: fc.record(
      { url: text, data: nullableBytes, detail: nonEmpty, format: nonEmpty },
      { requiredKeys: ['url', 'data'] },
    ),
    audio: fc.record(
      { url: nonEmpty, data: nullableBytes, format: text },
      { requiredKeys: ['data', 'format'] },
    ),
    video: fc.record({ url: nonEmpty, data: nullableBytes, format: nonEmpty }, { requiredKeys: ['data'] }),
    file: fc.record(
      { filename: text, url: nonEmpty, data: nullableBytes, file_id: text, format: nonEmpty },
      { requiredKeys: ['filename', 'data', 'file_id'] },
    ),
    content_ref: fc.record(
      {
        artifact_ref: text,
        artifact_version: int,
        mime_type: nonEmpty,
        size_bytes: nonZero,
        sha256: nonEmpty,
      },
      { requiredKeys: ['artifact_ref', 'artifact_version'] },
    ),
  },
  { requiredKeys: ['type'] },
);

const message = fc.record(
  {
    role: text,
    content: nonEmpty,
    content_parts: fc.array(contentPart, { minLength: 1, maxLength: 3 }),
    tool_id: nonEmpty,
    tool_name: nonEmpty,
    tool_calls: fc.array(toolCall, { minLength: 1, maxLength: 2 }),
    reasoning_content: nonEmpty,
    reasoning_signature: nonEmpty,
  },
  { requiredKeys: ['role'] },
);

const topLogprob = fc.record(
  {
    token: text,
    logprob: fc.double({ noNaN: true, noDefaultInfinity: true }),
    bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 4 }),
  },
  { requiredKeys: ['token', 'logprob'] },
);
const tokenLogprob = fc
  .tuple(topLogprob, fc.option(fc.array(topLogprob, { minLength: 1, maxLength: 2 }), { nil: undefined }))
  .map(([token, top]) => (top ? { ...token, top_logprobs: top } : token));

const choice = fc.record(
  {
    index: fc.nat(8),
    message,
    delta: message,
    finish_reason: text,
    logprobs: fc.record(
      { content: fc.array(tokenLogprob, { minLength: 1, maxLength: 2 }) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['index', 'message', 'delta'] },
);

const usage = fc.record(
  {
    prompt_tokens: int,
    completion_tokens: int,
    total_tokens: int,
    prompt_tokens_details: fc.record(
      { cached_tokens: int, cache_creation_tokens: nonZero, cache_read_tokens: nonZero },
      { requiredKeys: ['cached_tokens'] },
    ),
    completion_tokens_details: fc.record({ reasoning_tokens: nonZero }, { requiredKeys: [] }),
    timing_info: fc.record(
      { time_to_first_token: nonZero, reasoning_duration: nonZero },
      { requiredKeys: [] },
    ),
  },
  {
    requiredKeys: [
      'prompt_tokens',
      'completion_tokens',
      'total_tokens',
      'prompt_tokens_details',
      'completion_tokens_details',
    ],
  },
);

const eventOwnFields = fc.record(
  {
    requestID: nonEmpty,
    invocationId: text,
    parentInvocationId: nonEmpty,
    parentMetadata: fc.record(
      { triggerType: nonEmpty, triggerId: nonEmpty, triggerName: nonEmpty },
      { requiredKeys: [] },
    ),
    author: text,
    id: text,
    timestamp: date,
    branch: nonEmpty,
    tag: nonEmpty,
    requiresCompletion: fc.constant(true),
    longRunningToolIDs: mapWith(fc.constant({})),
    stateDelta: mapWith(nullableBytes),
    extensions: mapWith(json),
    actions: fc.record({ skipSummarization: fc.constant(true) }, { requiredKeys: [] }),
    filterKey: nonEmpty,
    version: nonZero,
  },
  { requiredKeys: ['invocationId', 'author', 'id', 'timestamp'] },
);

const responseFields = fc.record(
  {
    object: text,
    created: int,
    model: text,
    choices: fc.option(fc.array(choice, { maxLength: 3 }), { nil: null }),
    usage,
    system_fingerprint: text,
    error: fc.record(
      { message: text, type: text, param: text, code: text },
      { requiredKeys: ['message', 'type'] },
    ),
    done: fc.boolean(),
    is_partial: fc.boolean(),
    response: fc.record({ id: nonEmpty, timestamp: date }, { requiredKeys: ['timestamp'] }),
  },
  { requiredKeys: ['object', 'created', 'model', 'choices', 'done', 'is_partial', 'response'] },
);

/** Canonical events: the shape the decoder gives, so a round trip must reproduce them exactly. */
export const event: fc.Arbitrary<Event> = fc.oneof(
  eventOwnFields,
  fc.tuple(responseFields, eventOwnFields).map(([response, own]) => ({ ...response, ...own })),
) as fc.Arbitrary<Event>;
