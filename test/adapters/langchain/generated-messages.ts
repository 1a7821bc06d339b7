/**
 * fast-check arbitraries of LangChain messages: every message class (chunks included), with ids,
 * names, multimodal content blocks, tool calls, invalid tool calls, usage and response metadata,
 * additional kwargs, artifacts; values with emoji, right-to-left text, `__proto__` and `$lc` keys,
 * -0, NaN and infinities, bytes, dates and `undefined`. Only what PostgreSQL can hold: no NUL
 * character and no lone surrogate in any string.
 */
import {
  AIMessage,
  AIMessageChunk,
  type BaseMessage,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  HumanMessage,
  HumanMessageChunk,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
} from '@langchain/core/messages';
import fc from 'fast-check';

const text = fc
  .oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('', '😀 👩‍👩‍👧 🇫🇷', 'مرحبا بالعالم', 'שלום עולם', '%_\'"\\', 'line\nbreak\ttab'),
  )
  .map((s) => s.replaceAll('\u0000', ''));

// No `constructor` key: toStrictEqual compares `a.constructor === b.constructor`, which for an own
// `constructor` key holding an object compares two equal copies by reference.
const key = fc
  .oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', '$lc', 'a.b', ''))
  .filter((k) => k !== 'constructor');

/** A plain object built with defineProperty semantics, so `__proto__` is an ordinary key. */
const record = <T>(value: fc.Arbitrary<T>) =>
  fc
    .uniqueArray(fc.tuple(key, value), { maxLength: 4, selector: ([k]) => k })
    .map((entries) => Object.fromEntries(entries) as Record<string, T>);

const leaf = fc.oneof(
  text,
  fc.boolean(),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 16 }),
  fc.date({ noInvalidDate: true }),
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    record(tie('value')),
  ),
}));

const json = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const jsonRecord = record(fc.oneof(json, fc.array(json, { maxLength: 3 }), record(json)));

const block = fc.oneof(
  text.map((t) => ({ type: 'text', text: t })),
  fc.webUrl().map((url) => ({ type: 'image_url', image_url: { url, detail: 'auto' } })),
  fc.uint8Array({ maxLength: 32 }).map((data) => ({ type: 'image', data, mimeType: 'image/png' })),
  text.map((t) => ({ type: 'reasoning', reasoning: t })),
  fc.record(
    { type: fc.constant('file'), url: fc.webUrl(), mimeType: fc.constant('application/pdf') },
    { noNullPrototype: true },
  ),
);

const content = fc.oneof(text, fc.array(block, { minLength: 1, maxLength: 3 }));
const optionalId = fc.option(text, { nil: undefined });

const base = fc.record(
  {
    content,
    id: optionalId,
    name: fc.option(text, { nil: undefined }),
    additional_kwargs: record(value),
    response_metadata: record(value),
  },
  { requiredKeys: ['content'], noNullPrototype: true },
);

const toolCall = fc.record(
  {
    id: text,
    name: text,
    args: jsonRecord,
    type: fc.constant('tool_call' as const),
  },
  { noNullPrototype: true },
);

const invalidToolCall = fc.record(
  {
    id: text,
    name: text,
    args: text,
    error: text,
    type: fc.constant('invalid_tool_call' as const),
  },
  { noNullPrototype: true },
);

const usage = fc.record(
  {
    input_tokens: fc.nat(),
    output_tokens: fc.nat(),
    total_tokens: fc.nat(),
  },
  { noNullPrototype: true },
);

const ai = fc.record(
  {
    tool_calls: fc.array(toolCall, { maxLength: 2 }),
    invalid_tool_calls: fc.array(invalidToolCall, { maxLength: 1 }),
    usage_metadata: usage,
  },
  { requiredKeys: [], noNullPrototype: true },
);

const tool = fc.record(
  { tool_call_id: text, artifact: value, status: fc.constantFrom('success' as const, 'error' as const) },
  { requiredKeys: ['tool_call_id'], noNullPrototype: true },
);

type Build = (fields: never) => BaseMessage;
const make =
  <C extends new (fields: never) => BaseMessage>(Class: C): Build =>
  (fields) =>
    new Class(fields);

/** One message of any LangChain class. */
export const message: fc.Arbitrary<BaseMessage> = fc
  .oneof(
    fc.tuple(fc.constantFrom(make(HumanMessage), make(HumanMessageChunk)), base),
    fc.tuple(fc.constantFrom(make(SystemMessage), make(SystemMessageChunk)), base),
    fc.tuple(
      fc.constantFrom(make(AIMessage), make(AIMessageChunk)),
      fc.tuple(base, ai).map(([b, a]) => ({ ...b, ...a })),
    ),
    fc.tuple(
      fc.constantFrom(make(ToolMessage), make(ToolMessageChunk)),
      fc.tuple(base, tool).map(([b, t]) => ({ ...b, ...t })),
    ),
    fc.tuple(
      fc.constantFrom(make(ChatMessage), make(ChatMessageChunk)),
      fc.tuple(base, text).map(([b, role]) => ({ ...b, role })),
    ),
    fc.tuple(
      fc.constant(make(FunctionMessage)),
      base.map((b) => ({ ...b, name: b.name ?? 'fn' })),
    ),
  )
  .map(([build, fields]) => build(fields as never));

/** A conversation: one to eight messages. */
export const conversation = fc.array(message, { minLength: 1, maxLength: 8 });
