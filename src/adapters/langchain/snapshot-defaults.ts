/**
 * The fields a stored message (snapshot format 2) leaves out because they hold the value every
 * message of its class starts with: `lc_namespace`, an `undefined` id and name, empty
 * `additional_kwargs` and `response_metadata`, empty tool call lists, the class's `type` — and a
 * string `content`, which is the event's Go-visible text already — and the list of constructor
 * arguments (`lc_kwargs`) a message made from a string has. Most of a chat message's
 * snapshot is these, and each one left out is bytes the database does not store and a read does
 * not parse.
 *
 * The defaults are fixed here, not read off the installed LangChain: a row must read back the same
 * whatever version of LangChain reads it.
 */

/** One field's default: whether a value is it, and a fresh copy of it for a message read back. */
interface Default {
  is(value: unknown, goText: string): boolean;
  make(goText: string): unknown;
}

const constant = (constantValue: true | string | undefined): Default => ({
  is: (value) => value === constantValue,
  make: () => constantValue,
});

const UNDEFINED = constant(undefined);
const TRUE = constant(true);

/** `{}`: a plain object without keys (a null-prototype one is stored as a plain one anyway). */
const EMPTY_OBJECT: Default = {
  is(value) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.keys(value).length === 0;
  },
  make: () => ({}),
};

const EMPTY_ARRAY: Default = {
  is: (value) => Array.isArray(value) && value.length === 0 && Object.keys(value).length === 0,
  make: () => [],
};

const NAMESPACE: Default = {
  is: (value) =>
    Array.isArray(value) &&
    value.length === 2 &&
    value[0] === 'langchain_core' &&
    value[1] === 'messages' &&
    Object.keys(value).length === 2,
  make: () => ['langchain_core', 'messages'],
};

/** A string content that is the event's Go-visible text (`''` when the event has none). */
const GO_TEXT: Default = {
  is: (value, goText) => typeof value === 'string' && value === goText,
  make: (goText) => goText,
};

export type Defaults = ReadonlyMap<string, Default>;

function defaults(type: string, extra: [string, Default][] = []): Defaults {
  return new Map([
    ['lc_serializable', TRUE],
    ['lc_namespace', NAMESPACE],
    ['id', UNDEFINED],
    ['name', UNDEFINED],
    ['content', GO_TEXT],
    ['additional_kwargs', EMPTY_OBJECT],
    ['response_metadata', EMPTY_OBJECT],
    ['type', constant(type)],
    ...extra,
  ]);
}

const AI: [string, Default][] = [
  ['tool_calls', EMPTY_ARRAY],
  ['invalid_tool_calls', EMPTY_ARRAY],
  ['usage_metadata', UNDEFINED],
];

/** Each class's own fields as its constructor sets them when given nothing else. Never change one. */
export const DEFAULTS: Readonly<Record<string, Defaults>> = {
  HumanMessage: defaults('human'),
  HumanMessageChunk: defaults('human'),
  SystemMessage: defaults('system'),
  SystemMessageChunk: defaults('system'),
  AIMessage: defaults('ai', AI),
  AIMessageChunk: defaults('ai', [...AI, ['tool_call_chunks', EMPTY_ARRAY]]),
  ToolMessage: defaults('tool', [
    ['lc_direct_tool_output', TRUE],
    ['status', UNDEFINED],
    ['metadata', UNDEFINED],
    ['artifact', UNDEFINED],
  ]),
  ToolMessageChunk: defaults('tool', [
    ['status', UNDEFINED],
    ['artifact', UNDEFINED],
  ]),
  ChatMessage: defaults('generic'),
  ChatMessageChunk: defaults('generic'),
  FunctionMessage: defaults('function'),
  FunctionMessageChunk: defaults('function'),
  RemoveMessage: defaults('remove'),
};

const TEXT_KWARGS = ['content', 'additional_kwargs', 'response_metadata'];
const AI_KWARGS = ['content', 'tool_calls', 'invalid_tool_calls', 'additional_kwargs', 'response_metadata'];

/**
 * The `lc_kwargs` keys a snapshot without `shared` shares with the message's fields: those of a
 * message constructed from a string (`new AIMessage('…')`). Never change one.
 */
export function defaultShared(className: string): readonly string[] {
  if (className === 'AIMessage') return AI_KWARGS;
  if (className === 'AIMessageChunk')
    return [
      'content',
      'tool_calls',
      'invalid_tool_calls',
      'tool_call_chunks',
      'additional_kwargs',
      'response_metadata',
    ];
  return TEXT_KWARGS;
}
