/**
 * A stored message made an instance again. A LangChain message constructor converts its arguments
 * (content blocks, tool calls, metadata), and a read then overwrites every field it set with the
 * saved one: for a 1,000-message history that work was most of a load. So a message of a class
 * whose instances are plain data — own enumerable fields, plus the symbols LangChain marks its
 * messages with — is made from the class's prototype and given the saved fields and symbols, with
 * no constructor run. A class whose instances hold anything else (a non-enumerable or accessor
 * field, in some other LangChain version) is constructed from its `lc_kwargs` as before.
 */
import type { BaseMessage } from '@langchain/core/messages';

export type MessageClass = new (fields: never) => BaseMessage;

type Own = Record<string | symbol, unknown>;

interface Shape {
  /** The own symbol-keyed values of a fresh instance (LangChain's message mark). */
  symbols: [symbol, unknown][];
  /** Field names plain assignment creates as own fields (the prototype lacks them), as met. */
  assignable: Set<string>;
}

/** Each class's shape; null for a class that must be constructed. */
const shapes = new Map<MessageClass, Shape | null>();

/** Arguments every message class accepts (RemoveMessage needs an id, ToolMessage a call id). */
const PROBE = { content: '', id: 'probe', tool_call_id: 'probe', role: 'probe', name: 'probe' };

function probe(Class: MessageClass): Shape | null {
  let instance: object;
  try {
    instance = new Class(PROBE as never);
  } catch {
    return null;
  }
  const symbols: [symbol, unknown][] = [];
  const copy = Object.create(Class.prototype) as Own;
  for (const key of Reflect.ownKeys(instance)) {
    const d = Object.getOwnPropertyDescriptor(instance, key)!;
    if (!('value' in d) || !d.enumerable || !d.writable || !d.configurable) return null;
    if (typeof key === 'symbol') symbols.push([key, d.value]);
    Object.defineProperty(copy, key, d);
  }
  // State the constructor keeps out of sight (a private field) would make these throw on a copy.
  try {
    const message = copy as unknown as BaseMessage;
    void message.text;
    void message.contentBlocks;
    message.toDict();
    message.toJSON();
  } catch {
    return null;
  }
  return { symbols, assignable: new Set() };
}

function shapeOf(Class: MessageClass): Shape | null {
  let shape = shapes.get(Class);
  if (shape === undefined) {
    shape = probe(Class);
    shapes.set(Class, shape);
  }
  return shape;
}

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Where a message's fields are gathered: the blank instance itself for a plain-data class, else a
 * plain object the constructor path reads them from.
 */
export class MessageBuilder {
  readonly #Class: MessageClass;
  readonly #shape: Shape | null;
  readonly #own: Own;

  constructor(Class: MessageClass) {
    this.#Class = Class;
    const shape = shapeOf(Class);
    this.#shape = shape;
    const own: Own = shape ? Object.create(Class.prototype) : {};
    if (shape)
      for (let i = 0; i < shape.symbols.length; i++) own[shape.symbols[i]![0]] = shape.symbols[i]![1];
    this.#own = own;
  }

  /** Sets own field `key`, as an own data field even where the prototype has that name. */
  set(key: string, value: unknown): void {
    if (this.#shape?.assignable.has(key)) this.#own[key] = value;
    else this.#setChecked(key, value);
  }

  #setChecked(key: string, value: unknown): void {
    if (key === '__proto__' || key in this.#own) {
      defineOwn(this.#own, key, value);
      return;
    }
    this.#own[key] = value;
    // Only names the prototype lacks are remembered: they stay assignable for every instance.
    this.#shape?.assignable.add(key);
  }

  get(key: string): unknown {
    return this.#own[key];
  }

  /** The message, with `lcKwargs` as its constructor arguments. */
  finish(lcKwargs: Record<string, unknown>): BaseMessage {
    if (this.#shape) {
      this.set('lc_kwargs', lcKwargs);
      return this.#own as unknown as BaseMessage;
    }
    return constructed(this.#Class, this.#own as Record<string, unknown>, lcKwargs);
  }
}

/**
 * Constructed from `lcKwargs` (so the instance is set up as LangChain sets up its own), then given
 * exactly the saved fields.
 */
function constructed(
  Class: MessageClass,
  fields: Record<string, unknown>,
  lcKwargs: Record<string, unknown>,
): BaseMessage {
  const message = new Class(lcKwargs as never) as unknown as Record<string, unknown>;
  // The constructor may derive fields the saved message did not have (or had changed since).
  for (const key of Object.keys(message)) if (!Object.hasOwn(fields, key)) delete message[key];
  for (const key of Object.keys(fields)) defineOwn(message, key, fields[key]);
  defineOwn(message, 'lc_kwargs', lcKwargs);
  return message as unknown as BaseMessage;
}
