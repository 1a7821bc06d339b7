import { expect, it } from 'vitest';
import type { Event } from '../../../src/session/event.js';
import { stateOf } from '../../../src/session/state.js';
import { type Harness, ids, text } from './harness.js';

const COUNT = 200;

export function concurrencyCases(h: Harness): void {
  it(`stores ${COUNT} appends from a sequential loop in call order`, () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events: Event[] = [];
      for (let i = 0; i < COUNT; i++) {
        const event = i % 2 === 0 ? t.user(`q${i}`) : t.assistant(`r${i}`);
        events.push(event);
        await t.svc.appendEvent(session, event);
      }
      expect(ids(session.events)).toEqual(ids(events));
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events));
    }));

  it(`loses none of ${COUNT} concurrent appends to one session`, () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = Array.from({ length: COUNT }, (_, i) =>
        t.user(`q${i}`, { stateDelta: stateOf({ [`k${i}`]: String(i) }) }),
      );
      await Promise.all(events.map((event) => t.svc.appendEvent(session, event)));
      const read = await t.mustGet('s');
      expect(read.events).toHaveLength(COUNT);
      expect(new Set(ids(read.events))).toEqual(new Set(ids(events)));
      for (let i = 0; i < COUNT; i++) expect(text(read.state, `k${i}`)).toBe(String(i));
      expect(session.events).toHaveLength(COUNT);
    }));

  it('lets exactly one of many concurrent creates of the same id win', () =>
    h.run({}, async (t) => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => t.create('race', stateOf({ winner: String(i) }))),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(9).fill('CONFLICT'));
      const winner = (won[0] as PromiseFulfilledResult<{ state: Record<string, Uint8Array | null> }>).value;
      expect(text((await t.mustGet('race')).state, 'winner')).toBe(text(winner.state, 'winner'));
      expect(await t.list()).toHaveLength(1);
    }));

  it('keeps concurrent appends to different sessions apart', () =>
    h.run({}, async (t) => {
      const sessions = await Promise.all(['a', 'b', 'c', 'd'].map((id) => t.create(id)));
      const perSession = sessions.map((session) => ({
        session,
        events: Array.from({ length: 25 }, (_, i) => t.user(`${session.id}-${i}`)),
      }));
      await Promise.all(
        perSession.map(async ({ session, events }) => {
          for (const event of events) await t.svc.appendEvent(session, event);
        }),
      );
      for (const { session, events } of perSession) {
        expect(ids((await t.mustGet(session.id)).events)).toEqual(ids(events));
      }
    }));
}
