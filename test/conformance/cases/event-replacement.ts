import { expect, it } from 'vitest';
import { textValue } from '../../../src/session/state.js';
import { FakeSummarizer } from '../fakes.js';
import { type Env, expectError, expectInvalid, type Harness, ids, text, textState } from './harness.js';

/** Everything a read shows of a session, to compare a session before and after a failed call. */
async function snapshot(t: Env, sessionId: string) {
  const { events, state, summaries, updatedAt, tracks } = await t.mustGet(sessionId);
  return { events, state, summaries, updatedAt, tracks };
}

/** replaceEvents: a suffix of the events (or all of them) swapped, with a state delta, atomically. */
export function eventReplacementCases(h: Harness): void {
  it('replaces the newest events named by expectedEventIds, keeping the older ones, in order', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ mood: 'calm' }));
      const [q1, r1, q2, r2] = [t.user('q1'), t.assistant('r1'), t.user('q2'), t.assistant('r2')];
      await t.append(session, q1, r1, q2, r2);
      const [n1, n2, n3] = [t.user('n1'), t.assistant('n2'), t.assistant('n3')];
      await t.svc.replaceEvents(t.key('s'), { expectedEventIds: [q2.id, r2.id], events: [n1, n2, n3] });
      const after = await t.mustGet('s');
      expect(ids(after.events)).toEqual([q1.id, r1.id, n1.id, n2.id, n3.id]);
      expect(after.events[2]).toEqual((await t.mustGet('s')).events[2]);
      expect(after.events.map((e) => e.choices?.[0]?.message.content)).toEqual([
        'q1',
        'r1',
        'n1',
        'n2',
        'n3',
      ]);
      expect(text(after.state, 'mood')).toBe('calm');
      // Appends after it follow the replacement.
      const q3 = t.user('q3');
      await t.append(after, q3);
      expect(ids((await t.mustGet('s')).events).at(-1)).toBe(q3.id);
    }));

  it('with expectedEventIds [] appends; with no events it only removes', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const [q1, r1] = [t.user('q1'), t.assistant('r1')];
      await t.append(session, q1, r1);
      const n1 = t.user('n1');
      await t.svc.replaceEvents(t.key('s'), { expectedEventIds: [], events: [n1] });
      expect(ids((await t.mustGet('s')).events)).toEqual([q1.id, r1.id, n1.id]);
      await t.svc.replaceEvents(t.key('s'), { expectedEventIds: [r1.id, n1.id], events: [] });
      expect(ids((await t.mustGet('s')).events)).toEqual([q1.id]);
    }));

  it('without expectedEventIds replaces every event and removes the summaries, keeping state and tracks', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s', textState({ mood: 'calm' }));
      await t.svc.updateUserState(t.userKey(), { lang: textValue('en') });
      await t.append(session, t.user('q1'), t.assistant('r1'));
      await t.svc.appendTrackEvent(session, { track: 'audit', payload: { a: 1 }, timestamp: t.tick() });
      await t.svc.flush();
      await t.svc.createSessionSummary(session, '', true);
      const marker = t.user('summary so far');
      await t.svc.replaceEvents(t.key('s'), { events: [marker] });
      const after = await t.mustGet('s');
      expect(ids(after.events)).toEqual([marker.id]);
      expect(after.summaries).toEqual({});
      expect(text(after.state, 'mood')).toBe('calm');
      expect(text(after.state, 'user:lang')).toBe('en');
      expect((await t.svc.getTrackEvents(t.key('s'), 'audit')).events).toHaveLength(1);
    });
  });

  it('a suffix replacement keeps the summaries (as popEvent does)', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s');
      const [q1, r1] = [t.user('q1'), t.assistant('r1')];
      await t.append(session, q1, r1);
      await t.svc.flush();
      await t.svc.createSessionSummary(session, '', true);
      await t.svc.replaceEvents(t.key('s'), { expectedEventIds: [r1.id], events: [t.assistant('r1b')] });
      expect(Object.keys((await t.mustGet('s')).summaries)).toEqual(['']);
    });
  });

  it('merges state after the events’ deltas, in the same step; the events are stored as appended', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ keep: 'k', op: 'old' }));
      await t.append(session, t.user('q1'));
      const withDelta = t.assistant('r1', { stateDelta: textState({ fromEvent: 'e', op: 'event' }) });
      const partial = t.assistant('chunk', { is_partial: true, stateDelta: textState({ partial: 'p' }) });
      await t.svc.replaceEvents(t.key('s'), {
        expectedEventIds: [],
        events: [withDelta, partial],
        state: textState({ op: 'request', gone: null }),
      });
      const after = await t.mustGet('s');
      // The partial event applied its delta but, as appendEvent, is not stored.
      expect(after.events.map((e) => e.choices?.[0]?.message.content)).toEqual(['q1', 'r1']);
      expect(text(after.state, 'keep')).toBe('k');
      expect(text(after.state, 'fromEvent')).toBe('e');
      expect(text(after.state, 'partial')).toBe('p');
      expect(text(after.state, 'op')).toBe('request');
      expect(text(after.state, 'gone')).toBeNull();
    }));

  it('a suffix that does not match fails with CONFLICT and changes nothing', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ mood: 'calm' }));
      const [q1, r1, q2] = [t.user('q1'), t.assistant('r1'), t.user('q2')];
      await t.append(session, q1, r1, q2);
      const before = await snapshot(t, 's');
      t.tick(5_000);
      const attempt = (expectedEventIds: string[]) =>
        expectError(
          () =>
            t.svc.replaceEvents(t.key('s'), {
              expectedEventIds,
              events: [t.user('x')],
              state: textState({ mood: 'angry' }),
            }),
          'CONFLICT',
          'request.expectedEventIds',
        );
      await attempt([r1.id]); // not the newest
      await attempt([q2.id, r1.id]); // wrong order
      await attempt([q1.id, r1.id]); // an older run of events
      await attempt(['x', q1.id, r1.id, q2.id]); // longer than the session
      await attempt([q2.id, q2.id]);
      expect(await snapshot(t, 's')).toEqual(before);
    }));

  it('expectedState is a compare-and-set: a mismatch fails with CONFLICT and changes nothing', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ version: '1' }));
      const q1 = t.user('q1');
      await t.append(session, q1);
      const before = await snapshot(t, 's');
      for (const expectedState of [
        textState({ version: '2' }),
        textState({ version: null }),
        textState({ other: 'x' }),
      ]) {
        await expectError(
          () =>
            t.svc.replaceEvents(t.key('s'), {
              expectedEventIds: [],
              events: [t.user('x')],
              state: textState({ version: '3' }),
              expectedState,
            }),
          'CONFLICT',
          /^request\.expectedState/,
        );
      }
      expect(await snapshot(t, 's')).toEqual(before);
      await t.svc.replaceEvents(t.key('s'), {
        expectedEventIds: [q1.id],
        events: [],
        state: textState({ version: '2', op: 'a' }),
        expectedState: textState({ version: '1', op: null }),
      });
      const after = await t.mustGet('s');
      expect(after.events).toEqual([]);
      expect(text(after.state, 'version')).toBe('2');
    }));

  it('works on an empty session: every event of none, or a suffix of none', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const a = t.user('a');
      await t.svc.replaceEvents(t.key('s'), { events: [a] });
      expect(ids((await t.mustGet('s')).events)).toEqual([a.id]);
      await t.create('empty');
      await t.svc.replaceEvents(t.key('empty'), { expectedEventIds: [], events: [] });
      await expectError(
        () => t.svc.replaceEvents(t.key('empty'), { expectedEventIds: ['nope'], events: [] }),
        'CONFLICT',
      );
      expect((await t.mustGet('empty')).events).toEqual([]);
    }));

  it('sees the appends accepted before it, even ones not flushed yet', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = Array.from({ length: 5 }, (_, i) => t.user(`q${i}`));
      for (const event of events) await t.svc.appendEvent(session, event);
      // No flush: with asyncPersist the appends may still be queued; the newest must be found.
      const n = t.assistant('n');
      await t.svc.replaceEvents(t.key('s'), {
        expectedEventIds: [events[3]!.id, events[4]!.id],
        events: [n],
      });
      expect(ids((await t.mustGet('s')).events)).toEqual([...ids(events.slice(0, 3)), n.id]);
      // And appends accepted after it land after the replacement.
      const later = t.user('later');
      await t.svc.appendEvent(session, later);
      expect(ids((await t.mustGet('s')).events)).toEqual([...ids(events.slice(0, 3)), n.id, later.id]);
    }));

  it('of calls racing from the same read, exactly one wins; the others fail with CONFLICT', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ op: '' }));
      const [q1, r1] = [t.user('q1'), t.assistant('r1')];
      await t.append(session, q1, r1);
      await t.svc.flush();
      const racers = Array.from({ length: 6 }, (_, i) => t.assistant(`racer${i}`));
      const outcomes = await Promise.allSettled(
        racers.map((event, i) =>
          t.svc.replaceEvents(t.key('s'), {
            expectedEventIds: [r1.id],
            events: [event],
            state: textState({ op: `racer${i}` }),
          }),
        ),
      );
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect((o.reason as { code?: string }).code).toBe('CONFLICT');
      }
      const after = await t.mustGet('s');
      expect(ids(after.events)).toEqual([q1.id, racers[won[0]!]!.id]);
      expect(text(after.state, 'op')).toBe(`racer${won[0]}`);
    }));

  it('racing appends-by-compare-and-set: exactly one of the same operation is applied', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          t.svc.replaceEvents(t.key('s'), {
            expectedEventIds: [],
            events: [t.user('once')],
            state: textState({ 'op:1': 'done' }),
            expectedState: textState({ 'op:1': null }),
          }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect((await t.mustGet('s')).events).toHaveLength(1);
    }));

  it('moves updatedAt (a write, as an append)', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const q1 = t.user('q1');
      await t.append(session, q1);
      const at = t.tick(5_000);
      await t.svc.replaceEvents(t.key('s'), { expectedEventIds: [q1.id], events: [] });
      expect((await t.mustGet('s')).updatedAt.getTime()).toBe(at.getTime());
    }));

  it('fails with NOT_FOUND for a missing or deleted session, INVALID_ARGUMENT for bad input, CLOSED after close()', () =>
    h.run({}, async (t) => {
      await expectError(() => t.svc.replaceEvents(t.key('missing'), { events: [] }), 'NOT_FOUND');
      const session = await t.create('s');
      const q1 = t.user('q1');
      await t.append(session, q1);
      const before = await snapshot(t, 's');
      const bad = (request: unknown, field: string | RegExp) =>
        expectInvalid(() => t.svc.replaceEvents(t.key('s'), request as never), field);
      await expectInvalid(() => t.svc.replaceEvents(t.key(''), { events: [] }), 'sessionId');
      await bad(null, 'request');
      await bad({}, 'events');
      await bad({ events: [null] }, 'events[0]');
      // biome-ignore lint/suspicious/noSparseArray: the hole is the input under test
      await bad({ events: [t.user('x'), ,] }, 'events[1]');
      await bad({ events: [{ ...t.user('x'), author: 'a\u0000' }] }, /^events\[0\]/);
      await bad({ expectedEventIds: 'x', events: [] }, 'request.expectedEventIds');
      await bad({ expectedEventIds: [''], events: [] }, 'request.expectedEventIds[0]');
      await bad({ events: [], state: { 'app:x': null } }, 'request.state["app:x"]');
      await bad({ events: [], state: { x: 'text' } }, 'request.state["x"]');
      await bad({ events: [], expectedState: [] }, 'request.expectedState');
      // A bad event after good ones stores nothing, and neither does a bad state.
      await bad({ events: [t.user('ok'), { ...t.user('x'), id: 'a\uD800' }] }, /^events\[1\]/);
      expect(await snapshot(t, 's')).toEqual(before);
      await t.svc.deleteSession(t.key('s'));
      await expectError(() => t.svc.replaceEvents(t.key('s'), { events: [] }), 'NOT_FOUND');
      await t.svc.close();
      await expectError(() => t.svc.replaceEvents(t.key('s'), { events: [] }), 'CLOSED');
    }));
}
