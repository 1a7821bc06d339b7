import { expect, it } from 'vitest';
import { expectWriteNotFound, type Harness, ids, MINUTE, text, textState } from './harness.js';

const TTL = 10 * MINUTE;
const YEAR = 365 * 24 * 60 * MINUTE;

export function ttlCases(h: Harness): void {
  it('hides a session once its TTL has passed', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('hi'));
      const lastWrite = t.clock.now().getTime();
      await t.create('other');
      t.clock.set(lastWrite + TTL - 1);
      expect(await t.get('s')).not.toBeNull();
      t.clock.set(lastWrite + TTL + 1);
      expect(await t.get('s')).toBeNull();
      expect((await t.list()).map((s) => s.id)).not.toContain('s');
    }));

  it('never expires a session without a TTL', () =>
    h.run({}, async (t) => {
      await t.create('s');
      t.tick(10 * YEAR);
      expect(await t.get('s')).not.toBeNull();
      expect(await t.list()).toHaveLength(1);
    }));

  it('does not extend the TTL on read', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      await t.create('s');
      t.tick(TTL - MINUTE);
      expect(await t.get('s')).not.toBeNull();
      expect(await t.list()).toHaveLength(1);
      t.tick(MINUTE + 1);
      expect(await t.get('s')).toBeNull();
      expect(await t.list()).toEqual([]);
    }));

  it('extends the TTL on appendEvent and updateSessionState', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      const session = await t.create('s');
      t.tick(TTL - MINUTE);
      await t.append(session, t.user('keep me'));
      const appendedAt = t.clock.now().getTime();
      t.clock.set(appendedAt + TTL - 1);
      expect(await t.get('s')).not.toBeNull();
      await t.svc.updateSessionState(t.key('s'), textState({ k: 'v' }));
      const updatedAt = t.clock.now().getTime();
      t.clock.set(updatedAt + TTL - 1);
      expect(text((await t.mustGet('s')).state, 'k')).toBe('v');
      t.clock.set(updatedAt + TTL + 1);
      expect(await t.get('s')).toBeNull();
    }));

  it('reads only events stamped within the TTL when no eventTime is given', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      const session = await t.create('s');
      const u1 = t.user('old question');
      const a1 = t.assistant('old answer');
      await t.append(session, u1, a1);
      t.tick(TTL - MINUTE);
      const u2 = t.user('new question');
      const a2 = t.assistant('new answer');
      await t.append(session, u2, a2);
      // Alive until u2's write + TTL, but u1 and a1 are now older than the TTL.
      t.clock.set(u1.timestamp.getTime() + TTL + MINUTE / 2);
      expect(ids((await t.mustGet('s')).events)).toEqual([u2.id, a2.id]);
      expect(ids((await t.list())[0]?.events ?? [])).toEqual([u2.id, a2.id]);
      // An explicit eventTime replaces the TTL cut.
      expect(ids((await t.mustGet('s', { eventTime: u1.timestamp })).events)).toEqual(ids([u1, a1, u2, a2]));
    }));

  it('returns just the last user message when every event is older than the TTL', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      const session = await t.create('s');
      const u1 = t.user('q1');
      const u2 = t.user('q2');
      const a2 = t.assistant('r2');
      await t.append(session, u1, u2, a2);
      t.tick(TTL - MINUTE);
      await t.svc.updateSessionState(t.key('s'), textState({ touched: 'yes' }));
      t.clock.set(a2.timestamp.getTime() + TTL + MINUTE / 2);
      const read = await t.mustGet('s');
      expect(text(read.state, 'touched')).toBe('yes');
      expect(ids(read.events)).toEqual([u2.id]);
    }));

  it('expires app state keys one by one after appStateTtlMs', () =>
    h.run({ appStateTtlMs: TTL }, async (t) => {
      await t.create('s');
      await t.svc.updateAppState(t.app, textState({ early: '1' }));
      const earlyAt = t.clock.now().getTime();
      t.tick(TTL / 2);
      await t.svc.updateAppState(t.app, textState({ late: '2' }));
      const lateAt = t.clock.now().getTime();
      t.clock.set(earlyAt + TTL + 1);
      await t.svc.flush();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual(['late']);
      const session = await t.mustGet('s');
      expect(text(session.state, 'app:early')).toBeUndefined();
      expect(text(session.state, 'app:late')).toBe('2');
      t.clock.set(lateAt + TTL + 1);
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual([]);
      expect(await t.get('s')).not.toBeNull();
    }));

  it('expires user state after userStateTtlMs and renews it on update', () =>
    h.run({ userStateTtlMs: TTL }, async (t) => {
      await t.create('s');
      await t.svc.updateUserState(t.userKey(), textState({ pref: 'a' }));
      t.tick(TTL + 1);
      await t.svc.flush();
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual([]);
      expect(text((await t.mustGet('s')).state, 'user:pref')).toBeUndefined();
      await t.svc.updateUserState(t.userKey(), textState({ pref: 'b' }));
      t.tick(TTL - 1);
      await t.svc.flush();
      expect(text(await t.svc.listUserStates(t.userKey()), 'pref')).toBe('b');
      expect(text((await t.mustGet('s')).state, 'user:pref')).toBe('b');
    }));

  it('expires track events after trackEventTtlMs while the session lives on', () =>
    h.run({ trackEventTtlMs: TTL }, async (t) => {
      const session = await t.create('s');
      await t.svc.appendTrackEvent(session, { track: 'agui', payload: 'old', timestamp: t.tick() });
      t.tick(TTL / 2);
      await t.svc.appendTrackEvent(session, { track: 'agui', payload: 'new', timestamp: t.tick() });
      t.tick(TTL / 2);
      await t.svc.flush();
      expect((await t.svc.getTrackEvents(t.key('s'), 'agui')).events.map((e) => e.payload)).toEqual(['new']);
      t.tick(TTL);
      expect((await t.svc.getTrackEvents(t.key('s'), 'agui')).events).toEqual([]);
      expect(await t.get('s')).not.toBeNull();
    }));

  it('expires track events with the session TTL by default', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      const session = await t.create('s');
      await t.svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: t.tick() });
      const trackAt = t.clock.now().getTime();
      t.tick(TTL - MINUTE);
      await t.svc.updateSessionState(t.key('s'), textState({ alive: 'yes' }));
      t.clock.set(trackAt + TTL + 1);
      expect(await t.get('s')).not.toBeNull();
      await t.svc.flush();
      expect((await t.svc.getTrackEvents(t.key('s'), 'agui')).events).toEqual([]);
    }));

  it('re-creates an expired session as a fresh one', () =>
    h.run({ sessionTtlMs: TTL }, async (t) => {
      const old = await t.create('s', textState({ old: 'yes' }));
      await t.append(old, t.user('old question'));
      t.tick(TTL + MINUTE);
      const fresh = await t.create('s', textState({ fresh: 'yes' }));
      expect(fresh.createdAt.getTime()).toBe(t.clock.now().getTime());
      const read = await t.mustGet('s');
      expect(read.events).toEqual([]);
      expect(text(read.state, 'old')).toBeUndefined();
      expect(text(read.state, 'fresh')).toBe('yes');
      const next = t.user('new question');
      await t.append(fresh, next);
      expect(ids((await t.mustGet('s')).events)).toEqual([next.id]);
    }));

  it.runIf(h.backend.sweepNow !== undefined)('sweeps expired data and leaves live data', () =>
    h.run({ sessionTtlMs: TTL, appStateTtlMs: TTL, userStateTtlMs: TTL }, async (t) => {
      const stale = await t.create('stale');
      await t.append(stale, t.user('stale question'));
      await t.svc.updateAppState(t.app, textState({ staleApp: '1' }));
      await t.svc.updateUserState(t.userKey(), textState({ staleUser: '1' }));
      t.tick(TTL - MINUTE);
      const live = await t.create('live');
      const liveQuestion = t.user('live question');
      await t.append(live, liveQuestion);
      await t.svc.updateAppState(t.app, textState({ liveApp: '2' }));
      await t.svc.updateUserState(t.userKey(), textState({ liveUser: '2' }));
      t.tick(2 * MINUTE);
      await t.svc.flush();
      await h.backend.sweepNow!(t.svc);

      expect(await t.get('stale')).toBeNull();
      await expectWriteNotFound(h, t.svc, () => t.svc.appendEvent(stale, t.user('too late')));
      const read = await t.mustGet('live');
      expect(ids(read.events)).toEqual([liveQuestion.id]);
      expect(text(read.state, 'app:liveApp')).toBe('2');
      expect(text(read.state, 'user:liveUser')).toBe('2');
      expect(text(read.state, 'app:staleApp')).toBeUndefined();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual(['liveApp']);
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual(['liveUser']);
      expect((await t.list()).map((s) => s.id)).toEqual(['live']);

      const again = await t.create('stale');
      expect((await t.mustGet('stale')).events).toEqual([]);
      expect(again.id).toBe('stale');
    }),
  );
}
