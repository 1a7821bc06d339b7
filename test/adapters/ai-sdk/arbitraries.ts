/**
 * fast-check generators of AI SDK UI messages with every part kind and field: text and reasoning
 * with provider metadata, static and dynamic tool parts in each state (with approvals, errors,
 * provider metadata), sources, files (data URLs), step starts, data parts, message metadata; text
 * from all of Unicode (emoji, right-to-left, combining marks) except what PostgreSQL cannot hold.
 */
import type { UIMessage } from 'ai';
import fc from 'fast-check';

/** Any well-formed text PostgreSQL can hold: no NUL (lone surrogates are never generated here). */
export const anyText = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom(
      'שלום עולם',
      'مرحبا',
      '👩‍👩‍👧‍👦🏳️‍🌈',
      'e\u0301',
      '<script>&amp;</script>',
      '\u2028\u2029',
      '"\\\n\t',
    ),
  )
  .filter((s) => !s.includes('\u0000'));

/** Any JSON value as it survives JSON (no -0, no undefined), including `__proto__` keys. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}') as unknown),
);

const providerMetadata = fc.dictionary(
  fc.constantFrom('anthropic', 'openai', 'google', '__proto__'),
  fc.dictionary(fc.constantFrom('signature', 'redactedData', 'itemId', 'cache'), anyJson, { maxKeys: 2 }),
  { maxKeys: 2 },
);

/** Optional fields: present with a value, or absent (never present as undefined). */
function optional<T>(record: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<Partial<T>> {
  return fc.record(record, { requiredKeys: [] }) as fc.Arbitrary<Partial<T>>;
}

const textPart = fc
  .tuple(anyText, optional({ state: fc.constantFrom('streaming', 'done'), providerMetadata }))
  .map(([text, rest]) => ({ type: 'text' as const, text, ...rest }));

const reasoningPart = fc
  .tuple(anyText, optional({ state: fc.constantFrom('streaming', 'done'), providerMetadata }))
  .map(([text, rest]) => ({ type: 'reasoning' as const, text, ...rest }));

const approval = fc.record(
  { id: fc.uuid(), approved: fc.boolean(), reason: anyText },
  { requiredKeys: ['id', 'approved'] },
);

const toolState = fc.oneof(
  fc.record({ state: fc.constant('input-streaming'), input: anyJson }, { requiredKeys: ['state'] }),
  fc.record(
    { state: fc.constant('input-available'), input: anyJson, callProviderMetadata: providerMetadata },
    {
      requiredKeys: ['state', 'input'],
    },
  ),
  fc.record({
    state: fc.constant('approval-requested'),
    input: anyJson,
    approval: fc.record({ id: fc.uuid() }),
  }),
  fc.record({ state: fc.constant('approval-responded'), input: anyJson, approval }),
  fc.record(
    {
      state: fc.constant('output-available'),
      input: anyJson,
      output: anyJson,
      preliminary: fc.boolean(),
      providerExecuted: fc.boolean(),
    },
    { requiredKeys: ['state', 'input', 'output'] },
  ),
  fc.record({ state: fc.constant('output-error'), input: anyJson, errorText: anyText }),
  fc.record({ state: fc.constant('output-denied'), input: anyJson, approval }),
);

const toolName = fc.constantFrom('weather', 'search', 'get_time', 'ünïcode');

const toolPart = fc
  .tuple(toolName, fc.uuid(), toolState, optional({ title: anyText }))
  .map(([name, toolCallId, state, rest]) => ({ type: `tool-${name}`, toolCallId, ...state, ...rest }));

const dynamicToolPart = fc.tuple(toolName, fc.uuid(), toolState).map(([name, toolCallId, state]) => ({
  type: 'dynamic-tool' as const,
  toolName: name,
  toolCallId,
  ...state,
}));

const sourceUrlPart = fc
  .tuple(fc.uuid(), fc.webUrl(), optional({ title: anyText, providerMetadata }))
  .map(([sourceId, url, rest]) => ({ type: 'source-url' as const, sourceId, url, ...rest }));

const sourceDocumentPart = fc
  .tuple(fc.uuid(), anyText, optional({ filename: anyText, providerMetadata }))
  .map(([sourceId, title, rest]) => ({
    type: 'source-document' as const,
    sourceId,
    mediaType: 'application/pdf',
    title,
    ...rest,
  }));

const filePart = fc
  .tuple(
    fc.constantFrom('image/png', 'application/pdf', 'text/plain'),
    fc.uint8Array({ maxLength: 64 }),
    optional({ filename: anyText, providerMetadata }),
  )
  .map(([mediaType, bytes, rest]) => ({
    type: 'file' as const,
    mediaType,
    url: `data:${mediaType};base64,${Buffer.from(bytes).toString('base64')}`,
    ...rest,
  }));

const dataPart = fc
  .tuple(fc.constantFrom('weather', 'status', 'x-y'), anyJson, optional({ id: fc.uuid() }))
  .map(([name, data, rest]) => ({ type: `data-${name}`, data, ...rest }));

const anyPart = fc.oneof(
  textPart,
  reasoningPart,
  toolPart,
  dynamicToolPart,
  sourceUrlPart,
  sourceDocumentPart,
  filePart,
  dataPart,
  fc.constant({ type: 'step-start' as const }),
);

/** A message without its id (ids are assigned by the list generator so they are unique). */
export const messageBody = fc
  .tuple(
    fc.constantFrom('user', 'assistant', 'assistant', 'system'),
    fc.array(anyPart, { maxLength: 6 }),
    optional({ metadata: anyJson }),
  )
  .map(([role, parts, rest]) => ({ role, parts, ...rest }) as Omit<UIMessage, 'id'>);

/** Message ids, including characters that mean something to SQL LIKE, JSON and URLs. */
const messageId = fc.oneof(fc.uuid(), fc.constantFrom('%', '_', "o'brien", 'a%_b', '50%', 'id"quote', '🔑'));

/** A list of messages with unique ids. */
export const messageList = fc
  .uniqueArray(messageId, { maxLength: 8 })
  .chain((ids) =>
    fc.tuple(fc.constant(ids), fc.array(messageBody, { minLength: ids.length, maxLength: ids.length })),
  )
  .map(([ids, bodies]) => ids.map((id, i) => ({ id, ...bodies[i]! }) as UIMessage));
