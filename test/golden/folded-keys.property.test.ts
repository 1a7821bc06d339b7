/**
 * Go matches an object key to a struct field case-insensitively (with Unicode simple folding), so
 * a document whose keys are spelled in any case reads as the one Go itself writes. Generated
 * respellings of the fixtures' struct keys (map keys stay as they are) read the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StructFields } from '../../src/session/codec/fields.js';
import { EVENT } from '../../src/session/codec/go-structs.js';
import { decodeEvent } from '../../src/session/codec/index.js';
import { expectedEvents } from './expected-events.js';
import { comparable, fixture, type Pick, respell } from './helpers.js';

/** The document with every struct key respelled, following the Go structs' nesting. */
function respellKeys(value: unknown, struct: StructFields, pick: Pick): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = struct.fields.get(key);
    let respelled = item;
    if (field?.of && field.kind === 'structs' && Array.isArray(item)) {
      respelled = item.map((element) => respellKeys(element, field.of!, pick));
    } else if (field?.of) {
      respelled = respellKeys(item, field.of, pick);
    }
    out[field ? respell(key, pick) : key] = respelled;
  }
  return out;
}

describe('struct keys in any case', () => {
  it('read as the fixtures Go writes', () => {
    const names = Object.keys(expectedEvents);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.gen(), (name, g) => {
        const pick: Pick = (options) => g(fc.constantFrom, ...options);
        const text = JSON.stringify(respellKeys(JSON.parse(fixture(name)), EVENT, pick));
        expect(comparable(decodeEvent(text))).toStrictEqual(comparable(decodeEvent(fixture(name))));
      }),
      { numRuns: 300 },
    );
  });
});
