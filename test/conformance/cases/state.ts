import { expect, it } from 'vitest';
import { stateOf } from '../../../src/session/state.js';
import { type Harness, newAppName, text, textState } from './harness.js';

export function stateCases(h: Harness): void {
  it('merges app and user state into created, read and listed sessions under their prefixes', () =>
    h.run({}, async (t) => {
      await t.svc.updateAppState(t.app, textState({ model: 'gpt' }));
      await t.svc.updateUserState(t.userKey(), textState({ lang: 'fr' }));
      const created = await t.create('s', textState({ own: 'mine' }));
      for (const session of [created, await t.mustGet('s'), (await t.list())[0]]) {
        expect(text(session?.state, 'own')).toBe('mine');
        expect(text(session?.state, 'app:model')).toBe('gpt');
        expect(text(session?.state, 'user:lang')).toBe('fr');
        expect(text(session?.state, 'model')).toBeUndefined();
        expect(text(session?.state, 'lang')).toBeUndefined();
      }
    }));

  it('accepts app and user state keys with or without their prefix and lists them without it', () =>
    h.run({}, async (t) => {
      await t.svc.updateAppState(t.app, textState({ 'app:a': '1', b: '2' }));
      await t.svc.updateUserState(t.userKey(), textState({ 'user:c': '3', d: '4' }));
      await t.svc.flush();
      const app = await t.svc.listAppStates(t.app);
      const user = await t.svc.listUserStates(t.userKey());
      expect(Object.keys(app).sort()).toEqual(['a', 'b']);
      expect(text(app, 'a')).toBe('1');
      expect(Object.keys(user).sort()).toEqual(['c', 'd']);
      expect(text(user, 'c')).toBe('3');
      await t.create('s');
      const session = await t.mustGet('s');
      expect(text(session.state, 'app:a')).toBe('1');
      expect(text(session.state, 'app:b')).toBe('2');
      expect(text(session.state, 'user:c')).toBe('3');
      expect(text(session.state, 'user:d')).toBe('4');
    }));

  it('overwrites app and user state keys on update and keeps the others', () =>
    h.run({}, async (t) => {
      await t.svc.updateAppState(t.app, textState({ a: '1', b: '2' }));
      await t.svc.updateAppState(t.app, textState({ b: 'two' }));
      await t.svc.updateUserState(t.userKey(), textState({ c: '3' }));
      await t.svc.updateUserState(t.userKey(), textState({ c: 'three', d: '4' }));
      await t.svc.flush();
      const app = await t.svc.listAppStates(t.app);
      expect(text(app, 'a')).toBe('1');
      expect(text(app, 'b')).toBe('two');
      const user = await t.svc.listUserStates(t.userKey());
      expect(text(user, 'c')).toBe('three');
      expect(text(user, 'd')).toBe('4');
    }));

  it('deletes one app state key from the list and from sessions', () =>
    h.run({}, async (t) => {
      await t.svc.updateAppState(t.app, textState({ a: '1', b: '2' }));
      await t.create('s');
      await t.svc.deleteAppState(t.app, 'a');
      await t.svc.deleteAppState(t.app, 'never-set');
      await t.svc.flush();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual(['b']);
      const session = await t.mustGet('s');
      expect(text(session.state, 'app:a')).toBeUndefined();
      expect(text(session.state, 'app:b')).toBe('2');
    }));

  it('deletes one user state key from the list and from sessions', () =>
    h.run({}, async (t) => {
      await t.svc.updateUserState(t.userKey(), textState({ a: '1', b: '2' }));
      await t.create('s');
      await t.svc.deleteUserState(t.userKey(), 'b');
      await t.svc.deleteUserState(t.userKey(), 'never-set');
      await t.svc.flush();
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual(['a']);
      const session = await t.mustGet('s');
      expect(text(session.state, 'user:a')).toBe('1');
      expect(text(session.state, 'user:b')).toBeUndefined();
    }));

  it('keeps null values in app and user state', () =>
    h.run({}, async (t) => {
      await t.svc.updateAppState(t.app, textState({ nothing: null }));
      await t.svc.updateUserState(t.userKey(), textState({ nada: null }));
      await t.svc.flush();
      const app = await t.svc.listAppStates(t.app);
      expect(Object.keys(app)).toEqual(['nothing']);
      expect(app.nothing).toBeNull();
      const user = await t.svc.listUserStates(t.userKey());
      expect(Object.keys(user)).toEqual(['nada']);
      expect(user.nada).toBeNull();
      await t.create('s');
      const session = await t.mustGet('s');
      expect(text(session.state, 'app:nothing')).toBeNull();
      expect(text(session.state, 'user:nada')).toBeNull();
    }));

  it('returns empty maps for an app or user without state', () =>
    h.run({}, async (t) => {
      await t.svc.flush();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual([]);
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual([]);
    }));

  it('reads app state live, across sessions and users', () =>
    h.run({}, async (t) => {
      await t.create('s1');
      await t.svc.createSession({ appName: t.app, userId: 'other', sessionId: 's2' });
      await t.svc.updateAppState(t.app, textState({ mode: 'v1' }));
      await t.svc.flush();
      const other = { appName: t.app, userId: 'other', sessionId: 's2' };
      expect(text((await t.mustGet('s1')).state, 'app:mode')).toBe('v1');
      expect(text((await t.svc.getSession(other))?.state, 'app:mode')).toBe('v1');
      await t.svc.updateAppState(t.app, textState({ mode: 'v2' }));
      await t.svc.flush();
      expect(text((await t.mustGet('s1')).state, 'app:mode')).toBe('v2');
      expect(text((await t.svc.getSession(other))?.state, 'app:mode')).toBe('v2');
      expect(text((await t.list())[0]?.state, 'app:mode')).toBe('v2');
    }));

  it('reads user state live in every session of the user and only theirs', () =>
    h.run({}, async (t) => {
      await t.create('s1');
      await t.create('s2');
      await t.svc.createSession({ appName: t.app, userId: 'other', sessionId: 's3' });
      await t.svc.updateUserState(t.userKey(), textState({ tz: 'UTC' }));
      await t.svc.flush();
      expect(text((await t.mustGet('s1')).state, 'user:tz')).toBe('UTC');
      expect(text((await t.mustGet('s2')).state, 'user:tz')).toBe('UTC');
      const others = await t.svc.getSession({ appName: t.app, userId: 'other', sessionId: 's3' });
      expect(text(others?.state, 'user:tz')).toBeUndefined();
      expect(Object.keys(await t.svc.listUserStates(t.userKey('other')))).toEqual([]);
    }));

  it('keeps app state separate per app', () =>
    h.run({}, async (t) => {
      const otherApp = newAppName();
      await t.svc.updateAppState(t.app, textState({ k: 'mine' }));
      await t.svc.updateAppState(otherApp, textState({ k: 'theirs' }));
      await t.svc.updateUserState({ appName: otherApp, userId: t.userId }, textState({ u: 'theirs' }));
      await t.svc.flush();
      expect(text(await t.svc.listAppStates(t.app), 'k')).toBe('mine');
      expect(text(await t.svc.listAppStates(otherApp), 'k')).toBe('theirs');
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual([]);
      await t.create('s');
      const session = await t.mustGet('s');
      expect(text(session.state, 'app:k')).toBe('mine');
      expect(text(session.state, 'user:u')).toBeUndefined();
    }));

  it('lets app and user state win over a same-named key in the session itself', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(
        session,
        t.user('hi', { stateDelta: stateOf({ 'app:color': 'red', 'user:size': 'S' }) }),
      );
      await t.svc.updateAppState(t.app, textState({ color: 'blue' }));
      await t.svc.updateUserState(t.userKey(), textState({ size: 'XL' }));
      const read = await t.mustGet('s');
      expect(text(read.state, 'app:color')).toBe('blue');
      expect(text(read.state, 'user:size')).toBe('XL');
      const [listed] = await t.list();
      expect(text(listed?.state, 'app:color')).toBe('blue');
    }));
}
