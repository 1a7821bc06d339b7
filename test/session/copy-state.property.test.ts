import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyState, newStateMap } from '../../src/session/state.js';

/**
 * copyState is how a backend keeps a caller's state values and hands stored ones out. Whatever the
 * bytes and whatever the view (a Buffer, often a slice of Node's shared pool, or a subarray), the
 * copy must be a plain Uint8Array holding those bytes in memory of its own.
 */

/** The same bytes as a plain array, a Buffer (pooled when short), and a subarray of a larger one. */
const viewArb = fc
  .uint8Array({ maxLength: 64 })
  .chain((bytes) =>
    fc
      .constantFrom<[string, () => Uint8Array]>(
        ['Uint8Array', () => Uint8Array.from(bytes)],
        ['Buffer', () => Buffer.from(bytes)],
        ['subarray', () => Uint8Array.from([7, ...bytes, 7]).subarray(1, bytes.length + 1)],
        ['Buffer subarray', () => Buffer.from([7, ...bytes, 7]).subarray(1, bytes.length + 1)],
      )
      .map(([kind, make]) => ({ bytes, kind, view: make() })),
  );

describe('copyState', () => {
  it('copies every value into a plain Uint8Array that later writes to the original never reach', () => {
    fc.assert(
      fc.property(fc.array(viewArb, { maxLength: 5 }), (values) => {
        const state = newStateMap();
        values.forEach(({ view }, i) => {
          state[`k${i}`] = view;
        });
        const copy = copyState(state);
        for (const { view } of values) view.fill(0xff);
        values.forEach(({ bytes, kind }, i) => {
          const value = copy[`k${i}`]!;
          expect(Object.getPrototypeOf(value), kind).toBe(Uint8Array.prototype);
          expect([...value], kind).toEqual([...bytes]);
        });
      }),
    );
  });
});
