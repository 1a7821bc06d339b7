import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cloneEvent,
  decodeEvent,
  decodeSessionState,
  encodeEvent,
  encodeSessionState,
  goJsonString,
} from '../../src/session/codec/index.js';
import { compareUtf8 } from '../../src/session/codec/writer.js';
import type { Event } from '../../src/session/event.js';
import { date, event, mapWith, nullableBytes, text } from './arbitraries.js';
import { bytes, comparable, mapOf, utc } from './helpers.js';

/** A `-0` number token (or text that looks like one inside a string: the check is then skipped). */
const NEGATIVE_ZERO = /(?<![\d.eE])-0(?![\d.eE])/;

describe('round trips of random events', () => {
  it('decode(encode(event)) gives the event back, and encoding it again gives the same bytes', () => {
    fc.assert(
      fc.property(event, (e) => {
        const encoded = encodeEvent(e);
        const decoded = decodeEvent(encoded);
        expect(comparable(decoded)).toStrictEqual(comparable(e));
        // A negative zero is written as Go writes it (-0) and read as the 0 a row holds, so only
        // an encoding without one is its own fixed point; every decoded event's encoding is.
        const reencoded = encodeEvent(decoded);
        if (!NEGATIVE_ZERO.test(encoded)) expect(reencoded).toBe(encoded);
        expect(encodeEvent(decodeEvent(reencoded))).toBe(reencoded);
      }),
      { numRuns: 300 },
    );
  });

  it('cloneEvent is a fixed point on canonical events', () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(comparable(cloneEvent(e))).toStrictEqual(comparable(e));
      }),
      { numRuns: 100 },
    );
  });

  it('writes text JSON.parse reads back unchanged, with nothing Go would have escaped left raw', () => {
    fc.assert(
      fc.property(text, (s) => {
        const literal = goJsonString(s);
        expect(JSON.parse(literal)).toBe(s);
        expect(literal).not.toMatch(/[<>&\u2028\u2029\u0000-\u001f]/);
        const e = encodeEvent({
          invocationId: s,
          author: s,
          id: s,
          timestamp: utc(2026, 1, 2),
          choices: [{ index: 0, message: { role: s, content: s } }],
        });
        const parsed = JSON.parse(e);
        expect(parsed.author).toBe(s);
        expect(parsed.choices[0].message.role).toBe(s);
      }),
    );
  });

  it('sorts map keys by UTF-8 bytes, as Go does', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 6 })), (keys) => {
        const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect([...keys].sort(compareUtf8)).toEqual(byBytes);
      }),
    );
  });

  it('round-trips random session-state envelopes', () => {
    fc.assert(
      fc.property(text, mapWith(nullableBytes), date, date, (id, state, createdAt, updatedAt) => {
        const envelope = { id, state, createdAt, updatedAt };
        const encoded = encodeSessionState(envelope);
        expect(comparable(decodeSessionState(encoded))).toStrictEqual(comparable(envelope));
        expect(encodeSessionState(decodeSessionState(encoded))).toBe(encoded);
      }),
    );
  });
});

describe('__proto__ and other inherited names', () => {
  it('stay ordinary keys in stateDelta and extensions', () => {
    const e: Event = {
      invocationId: 'i',
      author: 'a',
      id: 'e',
      timestamp: utc(2026, 1, 2),
      stateDelta: mapOf([
        ['__proto__', bytes('x')],
        ['constructor', null],
      ]),
      extensions: mapOf<unknown>([
        ['__proto__', { polluted: true }],
        ['nested', JSON.parse('{"__proto__":{"polluted":true}}')],
      ]),
    };
    const encoded = encodeEvent(e);
    expect(encoded).toContain('"stateDelta":{"__proto__":"eA==","constructor":null}');
    expect(encoded).toContain(
      '"extensions":{"__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true}}}',
    );
    const decoded = decodeEvent(encoded);
    expect(Object.hasOwn(decoded.stateDelta!, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(decoded.stateDelta, '__proto__')?.value).toEqual(bytes('x'));
    expect(decoded.stateDelta!.constructor).toBeNull();
    expect(Object.hasOwn(decoded.extensions!, '__proto__')).toBe(true);
    expect(Object.hasOwn(decoded.extensions!.nested as object, '__proto__')).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(encodeEvent(decoded)).toBe(encoded);
  });
});
