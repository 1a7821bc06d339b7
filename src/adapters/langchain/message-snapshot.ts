/**
 * A LangChain message as stored data, and the same message rebuilt from it: its class, every own
 * field (ids, tool calls, invalid tool calls, usage and response metadata, additional kwargs,
 * artifacts, content blocks), and its constructor arguments (`lc_kwargs`, which LangChain's own
 * serialization writes). A message read back is an instance of the same class whose fields
 * deep-equal the saved one's, `undefined`-valued keys included.
 *
 * Format 2 (written now) leaves out the fields that hold their class's default, a string content
 * included, which the event's Go-visible text holds (see snapshot-defaults.ts). Format 1 kept
 * every field; rows written in it are read as they were.
 */
import {
  AIMessage,
  AIMessageChunk,
  type BaseMessage,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  FunctionMessageChunk,
  HumanMessage,
  HumanMessageChunk,
  isBaseMessage,
  isBaseMessageChunk,
  RemoveMessage,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
} from '@langchain/core/messages';
import { InvalidArgumentError } from '../../index.js';
import { MessageBuilder, type MessageClass } from './message-rebuild.js';
import { DEFAULTS, defaultShared } from './snapshot-defaults.js';
import { decodeValue, encodeValue } from './stored-value.js';

/** The message classes of `@langchain/core`, by the name LangChain's serialization gives them. */
const CLASSES: Record<string, MessageClass> = {
  HumanMessage,
  HumanMessageChunk,
  AIMessage,
  AIMessageChunk,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  FunctionMessageChunk,
  RemoveMessage,
} as unknown as Record<string, MessageClass>;

/** The class to rebuild a message of `type` as, when its own class is not one of LangChain's. */
const BY_TYPE: Record<string, [string, string]> = {
  human: ['HumanMessage', 'HumanMessageChunk'],
  ai: ['AIMessage', 'AIMessageChunk'],
  system: ['SystemMessage', 'SystemMessageChunk'],
  tool: ['ToolMessage', 'ToolMessageChunk'],
  generic: ['ChatMessage', 'ChatMessageChunk'],
  function: ['FunctionMessage', 'FunctionMessageChunk'],
  remove: ['RemoveMessage', 'RemoveMessage'],
};

/** What the event's extension holds for one message (format 2). */
export interface MessageSnapshot {
  /** The snapshot's format version. */
  v: 2;
  /** The LangChain class name (`AIMessageChunk`, ...). */
  class: string;
  /** The own enumerable fields but `lc_kwargs` and the defaults, encoded by {@link encodeValue}. */
  fields?: Record<string, unknown>;
  /** Fields of the class's defaults the message does not have. */
  absent?: string[];
  /** The `lc_kwargs` entries that are not the very same value as the field of that name. */
  kwargs?: Record<string, unknown>;
  /**
   * The `lc_kwargs` keys whose value is the field of that name (stored once, shared again on
   * load); without it, the class's {@link defaultShared}.
   */
  shared?: string[];
}

/**
 * A format-2 snapshot that holds nothing but its class, stored as the class name alone: a message
 * made from its text (most of a chat). A load then parses one string where it parsed an object
 * holding a number, and that number made the event decoder scan the whole event's text for numbers
 * JSON.parse may have rounded.
 */
export type ClassOnlySnapshot = string;

/** Format 1: every own field, kwargs and shared always present. */
interface SnapshotV1 {
  v: 1;
  class: string;
  fields: Record<string, unknown>;
  kwargs: Record<string, unknown>;
  shared: string[];
}

/** The name of the LangChain class `message` is rebuilt as. */
function classNameOf(message: BaseMessage): string {
  const own = (message.constructor as { lc_name?: () => string }).lc_name?.();
  if (own !== undefined && Object.hasOwn(CLASSES, own)) return own;
  // A subclass of the application's own: rebuilt as the LangChain class of its type.
  const names = BY_TYPE[message.type];
  if (!names)
    throw new InvalidArgumentError('message.type', `is not a LangChain message type: ${message.type}`);
  return isBaseMessageChunk(message) ? names[1] : names[0];
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * The stored form of one message; `path` names it in errors (`messages[2]`), `goText` is the
 * text the event's Go-visible message holds (`''` when it holds none).
 */
export function snapshotMessage(
  message: BaseMessage,
  path: string,
  goText: string,
): MessageSnapshot | ClassOnlySnapshot {
  if (!isBaseMessage(message)) throw new InvalidArgumentError(path, 'must be a LangChain message');
  const className = classNameOf(message);
  const defaults = DEFAULTS[className]!;
  const snapshot: MessageSnapshot = { v: 2, class: className };
  const own = message as unknown as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  let stored = 0;
  for (const key of Object.keys(message)) {
    if (key === 'lc_kwargs' || defaults.get(key)?.is(own[key], goText)) continue;
    setOwn(fields, key, encodeValue(own[key], `${path}.${key}`));
    stored++;
  }
  if (stored > 0) snapshot.fields = fields;
  const absent = [...defaults.keys()].filter((key) => !Object.hasOwn(own, key));
  if (absent.length > 0) snapshot.absent = absent;
  const kwargs: Record<string, unknown> = {};
  const shared: string[] = [];
  const lcKwargs = (message.lc_kwargs ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(lcKwargs)) {
    if (Object.hasOwn(own, key) && lcKwargs[key] === own[key]) shared.push(key);
    else setOwn(kwargs, key, encodeValue(lcKwargs[key], `${path}.lc_kwargs.${key}`));
  }
  const onlyShared = shared.length === Object.keys(lcKwargs).length;
  if (!onlyShared) snapshot.kwargs = kwargs;
  if (!onlyShared || !sameNames(shared, defaultShared(className))) snapshot.shared = shared;
  const classOnly =
    snapshot.fields === undefined &&
    snapshot.absent === undefined &&
    snapshot.kwargs === undefined &&
    snapshot.shared === undefined;
  return classOnly ? className : snapshot;
}

/** Each class's defaults as a list, for the loop that fills them in. */
const DEFAULT_ORDER = Object.fromEntries(Object.entries(DEFAULTS).map(([name, d]) => [name, [...d]]));

/** No fields: most format-2 snapshots store none. */
const NONE: Record<string, unknown> = Object.freeze({});

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((name, i) => name === b[i]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isNames = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((name) => typeof name === 'string');

/** Whether a stored value is a snapshot this adapter wrote, in any format. */
export function isMessageSnapshot(value: unknown): value is MessageSnapshot | SnapshotV1 | ClassOnlySnapshot {
  if (typeof value === 'string') return true;
  if (!isRecord(value) || typeof value.class !== 'string') return false;
  if (value.v === 1) return isRecord(value.fields) && isRecord(value.kwargs) && isNames(value.shared);
  return (
    value.v === 2 &&
    (value.fields === undefined || isRecord(value.fields)) &&
    (value.absent === undefined || isNames(value.absent)) &&
    (value.kwargs === undefined || isRecord(value.kwargs)) &&
    (value.shared === undefined || isNames(value.shared))
  );
}

/** The message a snapshot was made of; `goText` is the Go-visible text of its event. */
export function restoreMessage(
  stored: MessageSnapshot | SnapshotV1 | ClassOnlySnapshot,
  goText: string,
): BaseMessage {
  const snapshot: MessageSnapshot | SnapshotV1 =
    typeof stored === 'string' ? { v: 2, class: stored } : stored;
  const Class = Object.hasOwn(CLASSES, snapshot.class) ? CLASSES[snapshot.class] : undefined;
  if (!Class)
    throw new InvalidArgumentError('extensions', `names an unknown message class: ${snapshot.class}`);
  const message = new MessageBuilder(Class);
  const fields = snapshot.fields ?? NONE;
  if (snapshot.v === 2) {
    const defaults = DEFAULTS[snapshot.class]!;
    const order = DEFAULT_ORDER[snapshot.class]!;
    const absent = snapshot.absent;
    // The defaults first, in the order the constructor sets them, each one a fresh value.
    for (let i = 0; i < order.length; i++) {
      const [key, value] = order[i]!;
      if (fields !== NONE && Object.hasOwn(fields, key)) message.set(key, decodeValue(fields[key]));
      else if (absent === undefined || !absent.includes(key)) message.set(key, value.make(goText));
    }
    if (fields !== NONE)
      for (const key of Object.keys(fields))
        if (!defaults.has(key)) message.set(key, decodeValue(fields[key]));
  } else {
    for (const key of Object.keys(fields)) message.set(key, decodeValue(fields[key]));
  }
  const lcKwargs = decodeValue(snapshot.kwargs ?? {}) as Record<string, unknown>;
  const shared = snapshot.shared ?? (snapshot.v === 2 ? defaultShared(snapshot.class) : []);
  for (const key of shared) setOwn(lcKwargs, key, message.get(key));
  return message.finish(lcKwargs);
}
