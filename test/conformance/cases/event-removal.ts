import { expect, it } from 'vitest';
import { textValue } from '../../../src/session/state.js';
import { FakeSummarizer } from '../fakes.js';
import { expectError, expectInvalid, type Harness, ids, text, textState } from './harness.js';

/** popEvent and clearEvents: taking events out of a session that stays. */
export function eventRemovalCases(h: Harness): void {
  it('popEvent removes and returns the newest event, then undefined once the session is empty', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ mood: 'calm' }));
      const events = [t.user('q1'), t.assistant('r1'), t.user('q2')];
      await t.append(session, ...events);
      const stored = (await t.mustGet('s')).events;

      const popped = await t.svc.popEvent(t.key('s'));
      expect(popped).toEqual(stored[2]);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events.slice(0, 2)));
      expect(await t.svc.popEvent(t.key('s'))).toEqual(stored[1]);
      expect(await t.svc.popEvent(t.key('s'))).toEqual(stored[0]);
      expect(await t.svc.popEvent(t.key('s'))).toBeUndefined();
      expect(await t.svc.popEvent(t.key('s'))).toBeUndefined();

      const after = await t.mustGet('s');
      expect(after.events).toEqual([]);
      expect(text(after.state, 'mood')).toBe('calm');
    }));

  it('popEvent hands out a copy: changing it changes nothing stored', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.assistant('r1'));
      const popped = await t.svc.popEvent(t.key('s'));
      popped!.author = 'someone else';
      const read = await t.mustGet('s');
      expect(read.events.map((e) => e.author)).toEqual(['user']);
    }));

  it('events appended after a pop follow the ones left, in append order', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const [q1, r1] = [t.user('q1'), t.assistant('r1')];
      await t.append(session, q1, r1);
      expect((await t.svc.popEvent(t.key('s')))?.id).toBe(r1.id);
      const r2 = t.assistant('r2');
      await t.append(session, r2);
      expect(ids((await t.mustGet('s')).events)).toEqual([q1.id, r2.id]);
      expect((await t.svc.popEvent(t.key('s')))?.id).toBe(r2.id);
    }));

  it('popEvent sees appends accepted before it, even ones not flushed yet', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = Array.from({ length: 5 }, (_, i) => t.user(`q${i}`));
      for (const event of events) await t.svc.appendEvent(session, event);
      // No flush: with asyncPersist the appends may still be queued.
      expect((await t.svc.popEvent(t.key('s')))?.id).toBe(events[4]!.id);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events.slice(0, 4)));
    }));

  it('concurrent pops each take a different event, and the extra ones get undefined', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = Array.from({ length: 6 }, (_, i) => t.user(`q${i}`));
      await t.append(session, ...events);
      await t.svc.flush();
      const popped = await Promise.all(Array.from({ length: 8 }, () => t.svc.popEvent(t.key('s'))));
      const found = popped.filter((e) => e !== undefined).map((e) => e.id);
      expect(found.sort()).toEqual(ids(events).sort());
      expect(popped.filter((e) => e === undefined)).toHaveLength(2);
      expect((await t.mustGet('s')).events).toEqual([]);
    }));

  it('popEvent and clearEvent move updatedAt (a write, as an append)', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.user('q2'));
      const before = (await t.mustGet('s')).updatedAt.getTime();
      const popAt = t.tick(5_000);
      await t.svc.popEvent(t.key('s'));
      expect((await t.mustGet('s')).updatedAt.getTime()).toBe(popAt.getTime());
      expect(popAt.getTime()).toBeGreaterThan(before);
      const clearAt = t.tick(5_000);
      await t.svc.clearEvents(t.key('s'));
      expect((await t.mustGet('s')).updatedAt.getTime()).toBe(clearAt.getTime());
    }));

  it('clearEvents removes every event and summary, keeps the session, its state in every scope and its tracks', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s', textState({ mood: 'calm' }));
      await t.svc.updateAppState(t.app, { theme: textValue('dark') });
      await t.svc.updateUserState(t.userKey(), { lang: textValue('en') });
      await t.append(session, t.user('q1'), t.assistant('r1'), t.user('q2'));
      await t.svc.appendTrackEvent(session, { track: 'audit', payload: { a: 1 }, timestamp: t.tick() });
      await t.svc.flush();
      await t.svc.createSessionSummary(session, '', true);
      expect(Object.keys((await t.mustGet('s')).summaries)).toEqual(['']);

      await t.svc.clearEvents(t.key('s'));
      const cleared = await t.mustGet('s');
      expect(cleared.events).toEqual([]);
      expect(cleared.summaries).toEqual({});
      expect(text(cleared.state, 'mood')).toBe('calm');
      expect(text(cleared.state, 'app:theme')).toBe('dark');
      expect(text(cleared.state, 'user:lang')).toBe('en');
      expect((await t.svc.getTrackEvents(t.key('s'), 'audit')).events).toHaveLength(1);
      const bare = { ...cleared, summaries: {} };
      expect(await t.svc.getSessionSummaryText(bare)).toBeUndefined();
      expect(await t.svc.popEvent(t.key('s'))).toBeUndefined();

      const next = t.user('again');
      await t.append(cleared, next);
      expect(ids((await t.mustGet('s')).events)).toEqual([next.id]);
    });
  });

  it('clearEvents clears appends accepted before it, even ones not flushed yet', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      for (let i = 0; i < 5; i++) await t.svc.appendEvent(session, t.user(`q${i}`));
      await t.svc.clearEvents(t.key('s'));
      expect((await t.mustGet('s')).events).toEqual([]);
    }));

  it('clearEvents on an empty session is a no-op that succeeds', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await t.svc.clearEvents(t.key('s'));
      await t.svc.clearEvents(t.key('s'));
      expect((await t.mustGet('s')).events).toEqual([]);
    }));

  it('clearing or popping one session leaves sessions with look-alike ids alone', () =>
    h.run({}, async (t) => {
      const ids_ = ['a_b', 'a%b', 'a_b2', "a'b"];
      const sessions = await Promise.all(ids_.map((id) => t.create(id)));
      for (const s of sessions) await t.append(s, t.user(`in ${s.id}`));
      await t.svc.clearEvents(t.key('a_b'));
      expect(await t.svc.popEvent(t.key('a%b'))).toBeDefined();
      expect((await t.mustGet('a_b')).events).toHaveLength(0);
      expect((await t.mustGet('a%b')).events).toHaveLength(0);
      expect((await t.mustGet('a_b2')).events).toHaveLength(1);
      expect((await t.mustGet("a'b")).events).toHaveLength(1);
    }));

  it('popEvent and clearEvents of a missing or deleted session fail with NOT_FOUND', () =>
    h.run({}, async (t) => {
      await expectError(() => t.svc.popEvent(t.key('missing')), 'NOT_FOUND');
      await expectError(() => t.svc.clearEvents(t.key('missing')), 'NOT_FOUND');
      const session = await t.create('s');
      await t.append(session, t.user('q1'));
      await t.svc.deleteSession(t.key('s'));
      await expectError(() => t.svc.popEvent(t.key('s')), 'NOT_FOUND');
      await expectError(() => t.svc.clearEvents(t.key('s')), 'NOT_FOUND');
    }));

  it("a session created again under a deleted one's id pops none of the old events", () =>
    h.run({}, async (t) => {
      const old = await t.create('s');
      await t.append(old, t.user('old'));
      await t.svc.flush();
      await t.svc.deleteSession(t.key('s'));
      t.tick();
      await t.create('s');
      expect(await t.svc.popEvent(t.key('s'))).toBeUndefined();
    }));

  it('popEvent and clearEvents validate the key', () =>
    h.run({}, async (t) => {
      await expectInvalid(() => t.svc.popEvent(t.key('')), 'sessionId');
      await expectInvalid(() => t.svc.clearEvents(t.key('')), 'sessionId');
      await expectInvalid(() => t.svc.popEvent({ ...t.key('s'), appName: '' }), 'appName');
      await expectInvalid(() => t.svc.clearEvents({ ...t.key('s'), userId: '' }), 'userId');
      await expectInvalid(() => t.svc.popEvent({ ...t.key('s'), sessionId: 'a\u0000b' }), 'sessionId');
    }));

  it('popEvent and clearEvents fail with CLOSED after close()', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await t.svc.close();
      await expectError(() => t.svc.popEvent(t.key('s')), 'CLOSED');
      await expectError(() => t.svc.clearEvents(t.key('s')), 'CLOSED');
    }));
}
