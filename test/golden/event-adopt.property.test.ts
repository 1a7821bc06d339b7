/**
 * decodeEvent reads a stored event by adopting JSON.parse's tree in place (adoptEvent) and falls
 * back to decodeEventValue on a fresh parse whenever the tree is not in canonical shape. The two
 * ways must be indistinguishable: for any text, the same event (keys, values, prototypes, dates
 * to the nanosecond, exact numbers) or the same error. Texts are what the codec writes, Go's
 * fixtures, and both bent by generated edits: keys removed, respelled or added, values nulled,
 * zeroed, retyped, or replaced by numbers JSON.parse rounds.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJsonText } from '../../src/session/codec/decode-text.js';
import { adoptEvent } from '../../src/session/codec/event-adopt.js';
import { decodeEvent, decodeEventValue, encodeEvent } from '../../src/session/codec/index.js';
import { decodeFastTree } from '../../src/session/codec/reader.js';
import { event, json } from './arbitraries.js';
import { comparable, fixture } from './helpers.js';

/** decodeEvent as it was before adoption: decodeEventValue on JSON.parse's tree, exact when needed. */
const copying = (text: string) => decodeJsonText(text, 'event', (tree) => decodeEventValue(tree, 'event'));

/** What a read gives: the comparable event, or the error's class and message. */
function outcome(read: () => unknown): unknown {
  try {
    return { event: comparable(read()), prototypes: prototypes(read()) };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

/** Each object's prototype by path: a map read as a prototype-free map must stay one. */
function prototypes(value: unknown, path = '', out: string[] = []): string[] {
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array)
    return out;
  const proto = Object.getPrototypeOf(value);
  out.push(
    `${path}:${proto === null ? 'null' : proto === Object.prototype ? 'object' : proto.constructor.name}`,
  );
  for (const key of Object.keys(value).sort())
    prototypes((value as Record<string, unknown>)[key], `${path}/${key}`, out);
  return out;
}

/** Numbers JSON.parse reads inexactly or differently from their text, written in place of a marker. */
const RAW_NUMBERS = ['12345678901234567890', '-9223372036854775809', '1e400', '1.0', '-0', '0.1e1', '1.5'];
const marker = (i: number) => `@@raw-number-${i}@@`;

type Edit =
  | { kind: 'remove' }
  | { kind: 'set'; value: unknown }
  | { kind: 'rawNumber'; index: number }
  | { kind: 'respell' }
  | { kind: 'addKey'; key: string; value: unknown };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.constant({ kind: 'remove' as const }),
  fc.constantFrom<unknown>(null, '', 0, false, true, {}, [], 'x', 1.5, [null]).map((value) => ({
    kind: 'set' as const,
    value,
  })),
  fc.record({ kind: fc.constant('set' as const), value: json }),
  fc.nat(RAW_NUMBERS.length - 1).map((index) => ({ kind: 'rawNumber' as const, index })),
  fc.constant({ kind: 'respell' as const }),
  fc.record({
    kind: fc.constant('addKey' as const),
    key: fc.constantFrom('extra', '__proto__', 'AUTHOR', 'Timestamp', 'ROLE', 'cached_tokens'),
    value: json,
  }),
);

/** Every place in a tree an edit can reach: [container, key] pairs, the root's own keys first. */
function places(tree: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        out.push([value, i]);
        walk(item);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        out.push([value as Record<string, unknown>, key]);
        walk((value as Record<string, unknown>)[key]);
      }
    }
  };
  walk(tree);
  return out;
}

/** The text with the edits applied at the chosen places (each index picks a place modulo their count). */
function edited(text: string, edits: [number, Edit][]): string {
  const tree = JSON.parse(text) as unknown;
  for (const [pick, change] of edits) {
    const all = places(tree);
    if (all.length === 0) break;
    const [container, key] = all[pick % all.length]!;
    const target = container as Record<string | number, unknown>;
    switch (change.kind) {
      case 'remove':
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete target[key];
        break;
      case 'set':
        target[key] = structuredClone(change.value);
        break;
      case 'rawNumber':
        target[key] = marker(change.index);
        break;
      case 'respell':
        if (typeof key === 'string') {
          const value = target[key];
          delete target[key];
          target[key.toUpperCase()] = value;
        }
        break;
      case 'addKey': {
        const value = target[key];
        if (value !== null && typeof value === 'object' && !Array.isArray(value))
          (value as Record<string, unknown>)[change.key] = structuredClone(change.value);
        break;
      }
    }
  }
  let out = JSON.stringify(tree);
  RAW_NUMBERS.forEach((raw, i) => {
    out = out.replaceAll(JSON.stringify(marker(i)), raw);
  });
  return out;
}

/** Every event Go wrote for the golden tests. */
const eventFixtures = readdirSync(new URL('./fixtures', import.meta.url)).filter((name) =>
  name.startsWith('event-'),
);
const sourceText = fc.oneof(
  event.map((e) => encodeEvent(e)),
  fc.constantFrom(...eventFixtures).map((name) => fixture(name)),
);

describe('decodeEvent adopting the parsed tree', () => {
  it('takes every event the codec writes in place, and reads it as decodeEventValue does', () => {
    fc.assert(
      fc.property(event, (e) => {
        const text = encodeEvent(e);
        expect(decodeFastTree(JSON.parse(text), adoptEvent)?.value).toBeDefined();
        expect(outcome(() => decodeEvent(text))).toStrictEqual(outcome(() => copying(text)));
      }),
      { numRuns: 300 },
    );
  });

  it("takes Go's own events in place, other than its legacy flat one and its rounded numbers", () => {
    // As decodeEvent offers it: in a fast decode, where a rounded integer asks for the exact parse.
    const taken = (name: string) => {
      const adopted = decodeFastTree(JSON.parse(fixture(name)), adoptEvent);
      return adopted === null
        ? 'needs the exact parse'
        : adopted.value === undefined
          ? 'declined'
          : 'adopted';
    };
    expect(Object.fromEntries(eventFixtures.map((name) => [name, taken(name)]))).toEqual(
      Object.fromEntries(
        eventFixtures.map((name) => [
          name,
          name === 'event-legacy-flat.json'
            ? 'declined'
            : name === 'event-big-numbers.json'
              ? 'needs the exact parse'
              : 'adopted',
        ]),
      ),
    );
    for (const name of eventFixtures) {
      expect(outcome(() => decodeEvent(fixture(name)))).toStrictEqual(outcome(() => copying(fixture(name))));
    }
  });

  it('reads edited texts exactly as decodeEventValue reads them, errors included', () => {
    fc.assert(
      fc.property(
        sourceText,
        fc.array(fc.tuple(fc.nat(), edit), { minLength: 1, maxLength: 4 }),
        (text, edits) => {
          const changed = edited(text, edits);
          expect(outcome(() => decodeEvent(changed))).toStrictEqual(outcome(() => copying(changed)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
