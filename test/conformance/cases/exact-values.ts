import { expect, it } from 'vitest';
import { RawJson } from '../../../src/session/codec/index.js';
import { readJson, stateOf } from '../../../src/session/state.js';
import { expectInvalid, type Harness } from './harness.js';

const MAX_INT64 = 2n ** 63n - 1n;

/** Raw JSON whose numbers a JavaScript number cannot hold, as a caller passes it in. */
const ledger = () => ({
  id: MAX_INT64,
  uid: 2n ** 64n - 1n,
  amount: new RawJson('0.1000000000000000055511151231257827'),
  huge: new RawJson('1e400'),
  price: new RawJson('1.50'),
  plain: 0.5,
});

export function exactValueCases(h: Harness): void {
  it('keeps int64 fields beyond 2^53 and exact numbers in extensions, on every read path', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('total?'));
      const answer = t.assistant('done', {
        created: MAX_INT64,
        usage: {
          prompt_tokens: MAX_INT64,
          completion_tokens: -MAX_INT64 - 1n,
          total_tokens: 9007199254740993n,
        },
        extensions: { ledger: ledger(), spelled: new RawJson('[1.0, 2.5E+3]') },
      });
      await t.append(session, answer);
      for (const read of [await t.mustGet('s'), (await t.list())[0]!]) {
        const event = read.events[1]!;
        expect(event.created).toBe(MAX_INT64);
        expect(event.usage).toMatchObject({
          prompt_tokens: MAX_INT64,
          completion_tokens: -MAX_INT64 - 1n,
          total_tokens: 9007199254740993n,
        });
        const extensions = event.extensions as Record<string, unknown>;
        // 1e400 is an integer: read as PostgreSQL's numeric writes it, all its digits, everywhere.
        expect(extensions.ledger).toEqual({ ...ledger(), huge: 10n ** 400n });
        expect(extensions.spelled).toEqual([new RawJson('1.0'), 2500]);
      }
      const popped = await t.svc.popEvent(t.key('s'));
      expect(popped?.created).toBe(MAX_INT64);
    }));

  it('reads a negative zero as the 0 that PostgreSQL numeric keeps, on every backend', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const zeros = { a: -0, b: new RawJson('-0'), c: new RawJson('-0e3'), d: new RawJson('-0.0') };
      await t.append(session, t.user('zero?', { extensions: zeros }));
      for (const read of [await t.mustGet('s'), (await t.list())[0]!]) {
        const extensions = read.events[0]!.extensions as Record<string, unknown>;
        expect(Object.is(extensions.a, 0)).toBe(true);
        expect(Object.is(extensions.b, 0)).toBe(true);
        expect(Object.is(extensions.c, 0)).toBe(true);
        expect(extensions.d).toEqual(new RawJson('0.0'));
      }
    }));

  it('keeps exact numbers in track payloads and state values', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', stateOf({ blob: { id: MAX_INT64, price: new RawJson('1.50') } }));
      await t.svc.appendTrackEvent(session, { track: 'ledger', payload: ledger(), timestamp: t.tick() });
      await t.svc.flush();
      const { events } = await t.svc.getTrackEvents(t.key('s'), 'ledger');
      expect(events[0]!.payload).toEqual({ ...ledger(), huge: 10n ** 400n });
      const read = await t.mustGet('s');
      expect(readJson(read.state, 'blob')).toEqual({ id: MAX_INT64, price: new RawJson('1.50') });
    }));

  it('stores a boxed bigint as the bigint it holds, in extensions, track payloads and state values', () =>
    h.run({}, async (t) => {
      const boxed = () => ({ small: Object(5n), big: Object(MAX_INT64), list: [Object(-7n)] });
      const plain = { small: 5, big: MAX_INT64, list: [-7] };
      const session = await t.create('s', stateOf({ blob: boxed() }));
      await t.append(session, t.user('boxed', { extensions: { ledger: boxed() } }));
      await t.svc.appendTrackEvent(session, { track: 'ledger', payload: boxed(), timestamp: t.tick() });
      await t.svc.flush();
      for (const read of [await t.mustGet('s'), (await t.list())[0]!]) {
        expect((read.events[0]!.extensions as Record<string, unknown>).ledger).toEqual(plain);
        expect(readJson(read.state, 'blob')).toEqual(plain);
      }
      const { events } = await t.svc.getTrackEvents(t.key('s'), 'ledger');
      expect(events[0]!.payload).toEqual(plain);
    }));

  it('refuses an int64 field out of range and a number that lost its digits, naming the field', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await expectInvalid(
        () => t.svc.appendEvent(session, t.assistant('x', { created: 2n ** 63n })),
        'event.created',
      );
      await expectInvalid(
        () => t.svc.appendEvent(session, t.assistant('x', { created: 2 ** 60 })),
        'event.created',
      );
    }));
}
