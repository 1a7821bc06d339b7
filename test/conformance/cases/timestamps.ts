/**
 * Timestamps at the edges of what the stores hold. Go writes RFC 3339 (years 0000-9999) and
 * PostgreSQL's TIMESTAMP has no year 0000, so every backend stores 0001-01-01T00:00:00Z through
 * 9999-12-31T23:59:59.999999999Z and refuses anything else with INVALID_ARGUMENT naming the
 * field: an event's or a track event's time as well as a time given as an option, which the
 * PostgreSQL backends would otherwise send to the database (and fail with STORAGE) while the
 * in-memory one answered.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createEvent, type Event } from '../../../src/session/event.js';
import {
  formatRfc3339Nano,
  MAX_STORABLE_TIME_MS,
  MIN_STORABLE_TIME_MS,
  PreciseDate,
} from '../../../src/session/time.js';
import { expectInvalid, type Harness, ids } from './harness.js';

/** The first instant every store holds: Go's zero time. */
const FIRST = new Date(MIN_STORABLE_TIME_MS);
/** The last millisecond, and the last nanosecond a PreciseDate can carry within it. */
const LAST_MS = new Date(MAX_STORABLE_TIME_MS);
const LAST = new PreciseDate(MAX_STORABLE_TIME_MS, 999_999);

/** One step (a millisecond) outside the range, the ends of JavaScript's Dates, and no Date at all. */
const OUT_OF_RANGE: readonly (readonly [string, Date])[] = [
  ['0000-12-31T23:59:59.999Z, a millisecond before year 0001', new Date(MIN_STORABLE_TIME_MS - 1)],
  ['10000-01-01T00:00:00Z, a millisecond after year 9999', new Date(MAX_STORABLE_TIME_MS + 1)],
  ['+275760-09-13, the last JavaScript Date', new Date(8.64e15)],
  ['-271821-04-20, the first JavaScript Date', new Date(-8.64e15)],
  ['4714 BC, before PostgreSQL’s first day', new Date(Date.UTC(-4713, 10, 23))],
  ['an invalid Date', new Date(Number.NaN)],
];

const SEED = Number(process.env.FC_SEED ?? 20_261_215);

export function timestampCases(h: Harness): void {
  it('stores the first and last storable instants in events and track events, and reads them back', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const first = t.user('first', { timestamp: FIRST });
      const last = t.user('last', { timestamp: LAST, response: { timestamp: LAST } });
      await t.append(session, first, last);
      await t.svc.appendTrackEvent(session, { track: 't', payload: 1, timestamp: FIRST });
      await t.svc.appendTrackEvent(session, { track: 't', payload: 2, timestamp: LAST });

      const read = await t.mustGet('s');
      expect(read.events.map((e) => formatRfc3339Nano(e.timestamp))).toEqual([
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999999999Z',
      ]);
      expect(formatRfc3339Nano(read.events[1]!.response!.timestamp!)).toBe('9999-12-31T23:59:59.999999999Z');
      const tracks = await t.svc.getTrackEvents(t.key('s'), 't');
      expect(tracks.events.map((e) => formatRfc3339Nano(e.timestamp))).toEqual([
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999999999Z',
      ]);
    }));

  it('accepts the first and last storable instants as eventTime, filtering by them', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const first = t.user('first', { timestamp: FIRST });
      const last = t.user('last', { timestamp: LAST });
      await t.append(session, first, last);
      await t.svc.appendTrackEvent(session, { track: 't', payload: 1, timestamp: FIRST });
      await t.svc.appendTrackEvent(session, { track: 't', payload: 2, timestamp: LAST });
      await t.svc.flush();

      expect(ids((await t.mustGet('s', { eventTime: FIRST })).events)).toEqual([first.id, last.id]);
      expect(ids((await t.mustGet('s', { eventTime: LAST_MS })).events)).toEqual([last.id]);
      const listed = await t.list({ eventTime: LAST_MS });
      expect(listed.map((s) => ids(s.events))).toEqual([[last.id]]);
      // Track events strictly after the time.
      const after = async (eventTime: Date) =>
        (await t.svc.getTrackEvents(t.key('s'), 't', { eventTime })).events.map((e) => e.payload);
      expect(await after(FIRST)).toEqual([2]);
      expect(await after(LAST_MS)).toEqual([2]);
      await t.svc.appendEvent(session, t.user('x'), { eventTime: FIRST });
      await t.svc.appendEvents(session, [t.user('y')], { eventTime: LAST_MS });
    }));

  it.each(OUT_OF_RANGE)(
    'refuses %s wherever a time is given, naming the field, and stores nothing',
    (_, bad) =>
      h.run({}, async (t) => {
        const session = await t.create('s');
        const key = t.key('s');
        await expectInvalid(() => t.svc.getSession(key, { eventTime: bad }), 'eventTime');
        await expectInvalid(() => t.svc.listSessions(t.userKey(), { eventTime: bad }), 'eventTime');
        await expectInvalid(() => t.svc.getTrackEvents(key, 't', { eventTime: bad }), 'eventTime');
        await expectInvalid(() => t.svc.appendEvent(session, t.user('a'), { eventTime: bad }), 'eventTime');
        await expectInvalid(
          () => t.svc.appendEvents(session, [t.user('b')], { eventTime: bad }),
          'eventTime',
        );
        await expectInvalid(
          () => t.svc.appendEvent(session, t.user('c', { timestamp: bad })),
          'event.timestamp',
        );
        await expectInvalid(
          () => t.svc.appendEvent(session, t.user('d', { response: { timestamp: bad } })),
          'event.response.timestamp',
        );
        await expectInvalid(
          () => t.svc.appendEvents(session, [t.user('e'), t.user('f', { timestamp: bad })]),
          'events[1].timestamp',
        );
        await expectInvalid(
          () => t.svc.appendTrackEvent(session, { track: 't', payload: 1, timestamp: bad }),
          'trackEvent.timestamp',
        );
        expect(session.events).toEqual([]);
        const read = await t.mustGet('s');
        expect(read.events).toEqual([]);
        expect(read.tracks ?? {}).toEqual({});
      }),
  );

  it('accepts exactly the storable Dates anywhere in the range of JavaScript Dates (property)', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const key = t.key('s');
      const stored: string[] = [];
      const near = (edge: number) => fc.integer({ min: -3, max: 3 }).map((d) => edge + d);
      const ms = fc.oneof(
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        near(MIN_STORABLE_TIME_MS),
        near(MAX_STORABLE_TIME_MS),
        near(8.64e15).filter((n) => n <= 8.64e15),
        fc.integer({ min: MIN_STORABLE_TIME_MS, max: MAX_STORABLE_TIME_MS }),
        fc.constant(Number.NaN),
      );
      await fc.assert(
        fc.asyncProperty(ms, async (time) => {
          const date = new Date(time);
          const storable = time >= MIN_STORABLE_TIME_MS && time <= MAX_STORABLE_TIME_MS;
          const event: Event = createEvent({
            author: 'user',
            message: { role: 'user', content: 'p' },
            now: date,
          });
          const read = () => t.svc.getSession(key, { eventTime: date });
          const track = () => t.svc.appendTrackEvent(session, { track: 'p', payload: 'x', timestamp: date });
          const append = () => t.svc.appendEvent(session, event);
          if (!storable) {
            await expectInvalid(read, 'eventTime');
            await expectInvalid(track, 'trackEvent.timestamp');
            await expectInvalid(append, 'event.timestamp');
            return;
          }
          await read();
          await track();
          await append();
          stored.push(formatRfc3339Nano(date));
        }),
        { seed: SEED, numRuns: 30 },
      );
      await t.svc.flush();
      // What was accepted reads back to the millisecond (in storage order: the order of writes).
      const got = await t.svc.getTrackEvents(key, 'p');
      expect(got.events.map((e) => formatRfc3339Nano(e.timestamp)).sort()).toEqual([...stored].sort());
    }));
}
