/**
 * The JSON writer hands its list of pieces to the next writer when it finishes (see
 * JsonWriter.finish). Whatever came before — a longer document, an encode that failed halfway, a
 * document encoded from inside another — the next text must be exactly what a fresh writer writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../src/index.js';
import { encodeEvent } from '../../src/session/codec/index.js';

const small = createEvent({
  author: 'user',
  id: 'small',
  now: new Date('2026-01-02T03:04:05.678Z'),
  message: { role: 'user', content: 'hi <there> & "you"' },
});

/** An event of many pieces: a tool call per argument, and a state delta of many keys. */
function large(n: number): Event {
  return createEvent({
    author: 'assistant',
    id: `large-${n}`,
    now: new Date('2026-01-02T03:04:05.678Z'),
    message: {
      role: 'assistant',
      tool_calls: Array.from({ length: n }, (_, i) => ({
        type: 'function',
        id: `call_${i}`,
        function: { name: 'f', arguments: `{"i":${i}}` },
      })),
    },
  });
}

/** An event whose encoding fails after most of it is written (a NUL in its last field). */
const failing = createEvent({
  author: 'user',
  id: 'failing',
  message: { role: 'user', content: 'fine' },
  extensions: { z: { text: 'bad \u0000' } },
});

const expectedSmall = encodeEvent(small);

describe('JsonWriter reuse', () => {
  it('writes the same text after a longer document, and after one past the reuse bound', () => {
    for (const n of [1, 50, 2000, 3]) {
      const text = encodeEvent(large(n));
      expect(JSON.parse(text).choices[0].message.tool_calls).toHaveLength(n);
      expect(encodeEvent(small)).toBe(expectedSmall);
    }
  });

  it('writes the same text after an encode that failed halfway', () => {
    expect(() => encodeEvent(failing)).toThrow(/NUL/);
    expect(encodeEvent(small)).toBe(expectedSmall);
    expect(encodeEvent(large(5))).toBe(encodeEvent(large(5)));
  });

  it('keeps a document encoded from inside another apart from it', () => {
    let inner = '';
    const outer = createEvent({ author: 'user', id: 'outer', message: { role: 'user', content: 'x' } });
    // A getter the encoder reads in the middle of the outer event encodes another event.
    Object.defineProperty(outer, 'branch', {
      enumerable: true,
      get() {
        inner = encodeEvent(small);
        return 'b';
      },
    });
    const text = encodeEvent(outer);
    expect(inner).toBe(expectedSmall);
    expect(JSON.parse(text)).toMatchObject({ id: 'outer', branch: 'b' });
    expect(text).not.toContain('small');
  });

  it('matches a fresh encoding for any sequence of sizes and failures', () => {
    const fresh = new Map<number, string>();
    for (let n = 0; n <= 40; n++) fresh.set(n, encodeEvent(large(n)));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(-1)), { maxLength: 30 }),
        (steps) => {
          for (const n of steps) {
            if (n < 0) expect(() => encodeEvent(failing)).toThrow();
            else expect(encodeEvent(large(n))).toBe(fresh.get(n));
          }
        },
      ),
    );
  });
});
