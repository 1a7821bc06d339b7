/**
 * A LangChain message as stored data, and the same message rebuilt from it: its class, every own
 * field (ids, tool calls, invalid tool calls, usage and response metadata, additional kwargs,
 * artifacts, content blocks), and its constructor arguments (`lc_kwargs`, which LangChain's own
 * serialization writes). A message read back is an instance of the same class whose fields
 * deep-equal the saved one's, `undefined`-valued keys included.
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
import { decodeValue, encodeValue } from './stored-value.js';

type MessageClass = new (fields: never) => BaseMessage;

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

/** What the event's extension holds for one message. */
export interface MessageSnapshot {
  /** The snapshot's format version. */
  v: 1;
  /** The LangChain class name (`AIMessageChunk`, ...). */
  class: string;
  /** Every own enumerable field but `lc_kwargs`, encoded by {@link encodeValue}. */
  fields: Record<string, unknown>;
  /** The `lc_kwargs` entries that are not the very same value as the field of that name. */
  kwargs: Record<string, unknown>;
  /** The `lc_kwargs` keys whose value is the field of that name (stored once, shared again on load). */
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

/** The stored form of one message; `path` names it in errors (`messages[2]`). */
export function snapshotMessage(message: BaseMessage, path: string): MessageSnapshot {
  if (!isBaseMessage(message)) throw new InvalidArgumentError(path, 'must be a LangChain message');
  const className = classNameOf(message);
  const fields: Record<string, unknown> = {};
  const own = message as unknown as Record<string, unknown>;
  for (const key of Object.keys(message)) {
    if (key === 'lc_kwargs') continue;
    Object.defineProperty(fields, key, {
      value: encodeValue(own[key], `${path}.${key}`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const kwargs: Record<string, unknown> = {};
  const shared: string[] = [];
  const lcKwargs = (message.lc_kwargs ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(lcKwargs)) {
    if (Object.hasOwn(own, key) && lcKwargs[key] === own[key]) shared.push(key);
    else
      Object.defineProperty(kwargs, key, {
        value: encodeValue(lcKwargs[key], `${path}.lc_kwargs.${key}`),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return { v: 1, class: className, fields, kwargs, shared };
}

function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Whether a stored value is a snapshot this adapter wrote. */
export function isMessageSnapshot(value: unknown): value is MessageSnapshot {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Partial<MessageSnapshot>;
  return (
    s.v === 1 &&
    typeof s.class === 'string' &&
    typeof s.fields === 'object' &&
    typeof s.kwargs === 'object' &&
    Array.isArray(s.shared)
  );
}

/**
 * The message a snapshot was made of: constructed from its `lc_kwargs` (so the instance is set up
 * as LangChain sets up its own), then given exactly the saved fields.
 */
export function restoreMessage(snapshot: MessageSnapshot): BaseMessage {
  const Class = Object.hasOwn(CLASSES, snapshot.class) ? CLASSES[snapshot.class] : undefined;
  if (!Class)
    throw new InvalidArgumentError('extensions', `names an unknown message class: ${snapshot.class}`);
  const fields = decodeValue(snapshot.fields) as Record<string, unknown>;
  const lcKwargs = decodeValue(snapshot.kwargs) as Record<string, unknown>;
  for (const key of snapshot.shared) setOwn(lcKwargs, key, fields[key]);
  const message = new Class(lcKwargs as never) as unknown as Record<string, unknown>;
  // The constructor may derive fields the saved message did not have (or had changed since).
  for (const key of Object.keys(message)) if (!Object.hasOwn(fields, key)) delete message[key];
  for (const [key, value] of Object.entries(fields)) setOwn(message, key, value);
  setOwn(message, 'lc_kwargs', lcKwargs);
  return message as unknown as BaseMessage;
}
