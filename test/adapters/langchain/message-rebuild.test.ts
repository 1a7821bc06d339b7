/**
 * How a stored message becomes an instance again: from the prototype for LangChain's plain-data
 * classes, through the constructor for a class whose instances hold anything else.
 */
import { HumanMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { MessageBuilder, type MessageClass } from '../../../src/adapters/langchain/message-rebuild.js';

function rebuild(Class: MessageClass, from: HumanMessage) {
  const builder = new MessageBuilder(Class);
  const own = from as unknown as Record<string, unknown>;
  for (const key of Object.keys(from)) if (key !== 'lc_kwargs') builder.set(key, own[key]);
  return builder.finish({ ...from.lc_kwargs });
}

describe('MessageBuilder', () => {
  it('rebuilds a plain-data class without its constructor, deep-equal and marked as a message', () => {
    let constructed = 0;
    class Counted extends HumanMessage {
      constructor(fields: ConstructorParameters<typeof HumanMessage>[0]) {
        super(fields);
        constructed++;
      }
    }
    const saved = new Counted({ content: 'hi', id: 'm-1' });
    rebuild(Counted, saved); // the first use checks the class, on one instance of its own
    const before = constructed;
    const message = rebuild(Counted, saved);
    expect(constructed).toBe(before);
    expect(message).toStrictEqual(saved);
    expect(HumanMessage.isInstance(message)).toBe(true);
  });

  it('constructs a class whose instances hold a field that is not plain data', () => {
    class Hidden extends HumanMessage {
      constructor(fields: ConstructorParameters<typeof HumanMessage>[0]) {
        super(fields);
        Object.defineProperty(this, 'secret', { value: 42, enumerable: false });
      }
    }
    const message = rebuild(Hidden, new Hidden({ content: 'hi', id: 'm-2' }));
    expect((message as unknown as { secret: number }).secret).toBe(42);
    expect(message).toStrictEqual(new Hidden({ content: 'hi', id: 'm-2' }));
  });

  it('keeps a field named like a prototype member (or __proto__) as an own data field', () => {
    const builder = new MessageBuilder(HumanMessage);
    builder.set('content', 'hi');
    builder.set('text', 'own text');
    builder.set('__proto__', { not: 'a prototype' });
    const message = builder.finish({ content: 'hi' });
    expect(Object.getOwnPropertyDescriptor(message, 'text')?.value).toBe('own text');
    expect(Object.getPrototypeOf(message)).toBe(HumanMessage.prototype);
    expect(Object.hasOwn(message, '__proto__')).toBe(true);
  });
});
