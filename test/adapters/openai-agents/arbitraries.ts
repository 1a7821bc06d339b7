/**
 * fast-check generators of OpenAI Agents SDK items and conversations, as the runner stores them:
 * every item kind, text in any script (no NUL or lone surrogates, which the store refuses),
 * optional fields absent, null or undefined, provider data with binary values and awkward keys.
 */
import type { AgentInputItem } from '@openai/agents-core';
import fc from 'fast-check';

/** Records with Object.prototype, as the SDK's items always are (fast-check may make null-prototype ones). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as unknown as fc.Arbitrary<T>;
}

const text = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !s.includes('\u0000'));
const key = fc.oneof(
  fc.constantFrom('__proto__', '$ref', '$$x', '$bytes', '$undefined', 'toString', 'a b'),
  text,
);
const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 8 }));
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(key, scalar, { maxKeys: 3, noNullPrototype: true }),
);
const providerData = fc.dictionary(key, fc.oneof(value, fc.constant(undefined)), {
  maxKeys: 4,
  noNullPrototype: true,
});

/** Optional fields: each absent, or present (possibly as null or undefined where allowed). */
function withOptional<T extends object>(
  base: fc.Arbitrary<T>,
  optional: Record<string, fc.Arbitrary<unknown>>,
) {
  return fc
    .tuple(base, fc.record(optional, { requiredKeys: [], noNullPrototype: true }))
    .map(([b, o]) => ({ ...b, ...o }));
}

const userMessage = withOptional(
  record({
    role: fc.constant('user'),
    content: fc.oneof(
      text,
      fc.array(
        fc.oneof(
          record({ type: fc.constant('input_text'), text }),
          record({
            type: fc.constant('input_image'),
            image: fc.webUrl(),
            detail: fc.constantFrom('low', 'high', 'auto'),
          }),
          record({ type: fc.constant('input_file'), file: record({ id: text }) }),
        ),
        { maxLength: 3 },
      ),
    ),
  }),
  { type: fc.constant('message'), providerData, id: fc.option(text, { nil: undefined }) },
);

const systemMessage = record({ role: fc.constant('system'), content: text });

const outputText = withOptional(record({ type: fc.constant('output_text'), text }), { providerData });
const assistantMessage = withOptional(
  record({
    role: fc.constant('assistant'),
    status: fc.constantFrom('completed', 'in_progress', 'incomplete'),
    content: fc.array(fc.oneof(outputText, record({ type: fc.constant('refusal'), refusal: text })), {
      maxLength: 3,
    }),
  }),
  { type: fc.constant('message'), id: text, providerData },
);

/** A JSON-ish argument text, kept as a string whatever it holds (spacing, escapes, invalid JSON). */
const args = fc.oneof(fc.json(), text, fc.constant('{"a":  1 ,"b":null}'));

const functionCall = (callId: fc.Arbitrary<string>) =>
  withOptional(record({ type: fc.constant('function_call'), callId, name: text, arguments: args }), {
    id: text,
    status: fc.constantFrom('completed', 'in_progress'),
    providerData,
  });

const functionResult = (callId: fc.Arbitrary<string>) =>
  withOptional(
    record({
      type: fc.constant('function_call_result'),
      callId,
      name: text,
      status: fc.constantFrom('completed', 'incomplete'),
      output: fc.oneof(
        text,
        record({ type: fc.constant('text'), text }),
        fc.array(
          fc.oneof(
            record({ type: fc.constant('input_text'), text }),
            record({
              type: fc.constant('image'),
              image: record({
                data: fc.uint8Array({ maxLength: 16 }),
                mediaType: fc.constant('image/png'),
              }),
            }),
          ),
          { maxLength: 2 },
        ),
      ),
    }),
    { id: text, providerData },
  );

const reasoning = withOptional(
  record({
    type: fc.constant('reasoning'),
    content: fc.array(record({ type: fc.constant('input_text'), text }), { maxLength: 2 }),
  }),
  {
    id: text,
    providerData,
    rawContent: fc.array(record({ type: fc.constant('reasoning_text'), text }), { maxLength: 1 }),
  },
);

const hostedCall = withOptional(record({ type: fc.constant('hosted_tool_call'), name: text }), {
  arguments: text,
  status: text,
  output: text,
  id: text,
  providerData,
});

const unknownItem = record({ type: fc.constant('unknown'), providerData });

/** One item of any kind, on its own (calls and results need not match). */
export const arbitraryItem: fc.Arbitrary<AgentInputItem> = fc.oneof(
  userMessage,
  systemMessage,
  assistantMessage,
  functionCall(text),
  functionResult(text),
  reasoning,
  hostedCall,
  unknownItem,
) as fc.Arbitrary<AgentInputItem>;

/**
 * A conversation as the runner stores it: turns of a user message, then model steps (reasoning,
 * a message and calls), each step's results, and a final answer; call ids unique.
 */
interface Step {
  reasoning: object | undefined;
  preamble: object | undefined;
  calls: number;
}
interface Turn {
  user: object;
  steps: Step[];
  answer: object;
}

export const arbitraryConversation: fc.Arbitrary<AgentInputItem[]> = fc
  .array(
    record<Turn>({
      user: userMessage,
      steps: fc.array(
        record<Step>({
          reasoning: fc.option(reasoning, { nil: undefined }),
          preamble: fc.option(assistantMessage, { nil: undefined }),
          calls: fc.integer({ min: 1, max: 3 }),
        }),
        { maxLength: 2 },
      ),
      answer: assistantMessage,
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((turns) => {
    const items: object[] = [];
    let n = 0;
    for (const turn of turns) {
      items.push(turn.user);
      for (const step of turn.steps) {
        if (step.reasoning) items.push(step.reasoning);
        if (step.preamble) items.push(step.preamble);
        const ids = Array.from({ length: step.calls }, () => `call_${n++}`);
        for (const id of ids)
          items.push({ type: 'function_call', callId: id, name: 'tool', arguments: '{}' });
        for (const id of ids) {
          items.push({
            type: 'function_call_result',
            callId: id,
            name: 'tool',
            status: 'completed',
            output: 'ok',
          });
        }
      }
      items.push(turn.answer);
    }
    return items as unknown as AgentInputItem[];
  });
