import { expect, it } from 'vitest';
import type { SessionKey } from '../../../src/session/keys.js';
import { type StateMap, stateOf, TRACKS_STATE_KEY } from '../../../src/session/state.js';
import { expectInvalid, type Harness, ids, text, textState } from './harness.js';

type KeyField = 'appName' | 'userId' | 'sessionId';
const KEY_FIELDS: KeyField[] = ['appName', 'userId', 'sessionId'];

/** A unique value of exactly `length` characters (so a 255-character key never collides across runs). */
function uniqueOfLength(length: number): string {
  const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  return unique + 'k'.repeat(length - unique.length);
}

export function validationCases(h: Harness): void {
  it('requires an appName', () =>
    h.run({}, async (t) => {
      await expectInvalid(() => t.svc.createSession({ appName: '', userId: t.userId }), 'appName');
      await expectInvalid(() => t.svc.getSession({ ...t.key('s'), appName: '' }), 'appName');
      await expectInvalid(() => t.svc.listSessions({ appName: '', userId: t.userId }), 'appName');
      await expectInvalid(() => t.svc.updateAppState('', textState({ a: '1' })), 'appName');
      await expectInvalid(() => t.svc.listAppStates(''), 'appName');
      await expectInvalid(() => t.svc.deleteAppState('', 'a'), 'appName');
    }));

  it('requires a userId', () =>
    h.run({}, async (t) => {
      await expectInvalid(() => t.svc.createSession({ appName: t.app, userId: '' }), 'userId');
      await expectInvalid(() => t.svc.getSession({ ...t.key('s'), userId: '' }), 'userId');
      await expectInvalid(() => t.svc.listSessions({ appName: t.app, userId: '' }), 'userId');
      await expectInvalid(() => t.svc.updateUserState(t.userKey(''), textState({ a: '1' })), 'userId');
      await expectInvalid(() => t.svc.listUserStates(t.userKey('')), 'userId');
      await expectInvalid(() => t.svc.deleteUserState(t.userKey(''), 'a'), 'userId');
      expect(await t.list()).toEqual([]);
    }));

  it('requires a sessionId wherever a session is addressed', () =>
    h.run({}, async (t) => {
      const key = t.key('');
      await expectInvalid(() => t.svc.getSession(key), 'sessionId');
      await expectInvalid(() => t.svc.deleteSession(key), 'sessionId');
      await expectInvalid(() => t.svc.updateSessionState(key, textState({ a: '1' })), 'sessionId');
      await expectInvalid(() => t.svc.getTrackEvents(key, 'agui'), 'sessionId');
      await expectInvalid(() => t.svc.getEventWindow(key, 'e', { before: 1, after: 1 }), 'sessionId');
    }));

  it('checks key fields in the order appName, userId, sessionId', () =>
    h.run({}, async (t) => {
      await expectInvalid(() => t.svc.getSession({ appName: '', userId: '', sessionId: '' }), 'appName');
      await expectInvalid(() => t.svc.getSession({ appName: t.app, userId: '', sessionId: '' }), 'userId');
      await expectInvalid(() => t.svc.createSession({ appName: '', userId: '', sessionId: '' }), 'appName');
      await expectInvalid(
        () => t.svc.getSession({ appName: 'x'.repeat(300), userId: '', sessionId: '' }),
        'appName',
      );
    }));

  it.each(KEY_FIELDS)('refuses a 256-character %s and stores nothing', (field) =>
    h.run({}, async (t) => {
      const key: SessionKey = { ...t.key('s-256'), [field]: uniqueOfLength(256) };
      await expectInvalid(() => t.svc.createSession(key, textState({ a: '1' })), field);
      await expectInvalid(() => t.svc.getSession(key), field);
      if (field === 'sessionId') expect(await t.list()).toEqual([]);
    }),
  );

  it('accepts 255-character keys in every field', () =>
    h.run({}, async (t) => {
      const key: SessionKey = {
        appName: uniqueOfLength(255),
        userId: uniqueOfLength(255),
        sessionId: uniqueOfLength(255),
      };
      const created = await t.svc.createSession(key, textState({ a: '1' }));
      expect(created.id).toBe(key.sessionId);
      await t.svc.flush();
      const read = await t.svc.getSession(key);
      expect(read?.id).toBe(key.sessionId);
      expect(read?.appName).toBe(key.appName);
      expect(read?.userId).toBe(key.userId);
      await t.svc.deleteSession(key);
    }));

  it('counts key length in characters: 255 emoji pass, 256 fail', () =>
    h.run({}, async (t) => {
      const emoji255 = '😀'.repeat(255);
      const created = await t.create(emoji255);
      expect(created.id).toBe(emoji255);
      expect((await t.mustGet(emoji255)).id).toBe(emoji255);
      const user = await t.svc.createSession({ appName: t.app, userId: emoji255, sessionId: 's' });
      expect(user.userId).toBe(emoji255);
      await expectInvalid(() => t.create('😀'.repeat(256)), 'sessionId');
    }));

  it.each(KEY_FIELDS)('refuses a NUL character in %s', (field) =>
    h.run({}, async (t) => {
      const key: SessionKey = { ...t.key('s-nul'), [field]: 'bad\u0000key' };
      await expectInvalid(() => t.svc.createSession(key), field);
      await expectInvalid(() => t.svc.getSession(key), field);
      await expectInvalid(() => t.svc.deleteSession(key), field);
      if (field === 'sessionId') expect(await t.list()).toEqual([]);
    }),
  );

  it('refuses an unpaired surrogate in a key', () =>
    h.run({}, async (t) => {
      await expectInvalid(() => t.create('bad\uD800key'), 'sessionId');
      expect(await t.list()).toEqual([]);
    }));

  it('refuses a negative, fractional or NaN eventNum', () =>
    h.run({}, async (t) => {
      await t.create('s');
      for (const eventNum of [-1, 1.5, Number.NaN, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        await expectInvalid(() => t.svc.getSession(t.key('s'), { eventNum }), 'eventNum');
        await expectInvalid(() => t.svc.listSessions(t.userKey(), { eventNum }), 'eventNum');
        await expectInvalid(() => t.svc.getTrackEvents(t.key('s'), 'agui', { eventNum }), 'eventNum');
      }
    }));

  it('refuses an invalid eventTime', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const eventTime = new Date(Number.NaN);
      await expectInvalid(() => t.svc.getSession(t.key('s'), { eventTime }), 'eventTime');
      await expectInvalid(() => t.svc.listSessions(t.userKey(), { eventTime }), 'eventTime');
    }));

  it('refuses an eventPage with a negative offset or a limit below 1', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await expectInvalid(
        () => t.svc.getSession(t.key('s'), { eventPage: { offset: -1, limit: 1 } }),
        'eventPage.offset',
      );
      await expectInvalid(
        () => t.svc.getSession(t.key('s'), { eventPage: { offset: 0, limit: 0 } }),
        'eventPage.limit',
      );
      await expectInvalid(
        () => t.svc.getSession(t.key('s'), { eventPage: { offset: 0, limit: Number.NaN } }),
        'eventPage.limit',
      );
      // Beyond PostgreSQL's integer: refused alike everywhere, never a STORAGE error.
      await expectInvalid(
        () => t.svc.getSession(t.key('s'), { eventPage: { offset: 0, limit: 2 ** 31 } }),
        'eventPage.limit',
      );
      await expectInvalid(
        () => t.svc.getSession(t.key('s'), { eventPage: { offset: 2 ** 31, limit: 1 } }),
        'eventPage.offset',
      );
      await expectInvalid(
        () => t.svc.listSessions(t.userKey(), { page: { offset: 0, limit: 2 ** 31 } }),
        'page.limit',
      );
    }));

  it('refuses an eventPage combined with eventNum or eventTime', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const eventPage = { offset: 0, limit: 2 };
      await expectInvalid(() => t.svc.getSession(t.key('s'), { eventPage, eventNum: 3 }), 'eventPage');
      await expectInvalid(
        () => t.svc.getSession(t.key('s'), { eventPage, eventTime: t.clock.now() }),
        'eventPage',
      );
    }));

  it('refuses an eventPage in listSessions', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const options = { eventPage: { offset: 0, limit: 1 } } as never;
      await expectInvalid(() => t.svc.listSessions(t.userKey(), options), 'eventPage');
    }));

  it('refuses a listSessions page with limit 0 or a negative offset', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await expectInvalid(
        () => t.svc.listSessions(t.userKey(), { page: { offset: 0, limit: 0 } }),
        'page.limit',
      );
      await expectInvalid(
        () => t.svc.listSessions(t.userKey(), { page: { offset: -1, limit: 1 } }),
        'page.offset',
      );
    }));

  it('refuses initial state values that are not Uint8Array and creates nothing', () =>
    h.run({}, async (t) => {
      const state = { ok: new Uint8Array([1]), bad: 'text' } as unknown as StateMap;
      await expectInvalid(() => t.create('s', state), 'state["bad"]');
      expect(await t.get('s')).toBeNull();
      expect(await t.list()).toEqual([]);
    }));

  it('refuses session state values that are not Uint8Array and changes nothing', () =>
    h.run({}, async (t) => {
      await t.create('s', textState({ keep: 'v0' }));
      for (const bad of ['text', 42, { a: 1 }, [1, 2], undefined]) {
        const state = { keep: new TextEncoder().encode('v1'), bad } as unknown as StateMap;
        await expectInvalid(() => t.svc.updateSessionState(t.key('s'), state), 'state["bad"]');
      }
      const session = await t.mustGet('s');
      expect(text(session.state, 'keep')).toBe('v0');
      expect(text(session.state, 'bad')).toBeUndefined();
    }));

  it('refuses app and user state values that are not Uint8Array', () =>
    h.run({}, async (t) => {
      const state = { ok: new TextEncoder().encode('1'), bad: 7 } as unknown as StateMap;
      await expectInvalid(() => t.svc.updateAppState(t.app, state), 'state["bad"]');
      await expectInvalid(() => t.svc.updateUserState(t.userKey(), state), 'state["bad"]');
      await t.svc.flush();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual([]);
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual([]);
    }));

  it('refuses a state map that is not an object', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await expectInvalid(() => t.svc.updateSessionState(t.key('s'), null as never), 'state');
      await expectInvalid(() => t.svc.updateAppState(t.app, 'x' as never), 'state');
    }));

  it.each([
    ['app:', 'app:color'],
    ['user:', 'user:color'],
  ])('refuses %s keys in updateSessionState and applies none of the call', (_prefix, badKey) =>
    h.run({}, async (t) => {
      await t.create('s');
      await expectInvalid(
        () => t.svc.updateSessionState(t.key('s'), textState({ plain: 'v', [badKey]: 'red' })),
        `state[${JSON.stringify(badKey)}]`,
      );
      const session = await t.mustGet('s');
      expect(text(session.state, 'plain')).toBeUndefined();
      expect(text(session.state, badKey)).toBeUndefined();
      await t.svc.flush();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual([]);
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual([]);
    }),
  );

  it('requires a state key in deleteAppState and deleteUserState', () =>
    h.run({}, async (t) => {
      await t.svc.updateAppState(t.app, textState({ a: '1' }));
      await t.svc.updateUserState(t.userKey(), textState({ b: '2' }));
      await expectInvalid(() => t.svc.deleteAppState(t.app, ''), 'key');
      await expectInvalid(() => t.svc.deleteUserState(t.userKey(), ''), 'key');
      await t.svc.flush();
      expect(text(await t.svc.listAppStates(t.app), 'a')).toBe('1');
      expect(text(await t.svc.listUserStates(t.userKey()), 'b')).toBe('2');
    }));

  it('refuses app and user state values that are not UTF-8 text, storing none of the call', () =>
    h.run({}, async (t) => {
      const state: StateMap = {
        good: new TextEncoder().encode('fine'),
        bad: new Uint8Array([0xff, 0xfe, 0x80]),
      };
      await expectInvalid(() => t.svc.updateAppState(t.app, state), 'state["bad"]');
      await expectInvalid(() => t.svc.updateUserState(t.userKey(), state), 'state["bad"]');
      const nul: StateMap = { good: new TextEncoder().encode('fine'), bad: new Uint8Array([0x61, 0x00]) };
      await expectInvalid(() => t.svc.updateAppState(t.app, nul), 'state["bad"]');
      await t.svc.flush();
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual([]);
      expect(Object.keys(await t.svc.listUserStates(t.userKey()))).toEqual([]);
    }));

  it('refuses an event with a NUL character in its content and applies nothing', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const first = t.user('hello');
      await t.append(session, first);
      const bad = t.assistant('bad\u0000content', { stateDelta: stateOf({ leaked: 'yes' }) });
      await expectInvalid(() => t.svc.appendEvent(session, bad), /^event\b.*content/);
      expect(ids(session.events)).toEqual([first.id]);
      expect(text(session.state, 'leaked')).toBeUndefined();
      const stored = await t.mustGet('s');
      expect(ids(stored.events)).toEqual([first.id]);
      expect(text(stored.state, 'leaked')).toBeUndefined();
    }));

  it('refuses a value whose own code throws, or a transferred buffer, with INVALID_ARGUMENT naming it', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', textState({ keep: 'v0' }));
      const first = t.user('hello');
      await t.append(session, first);
      const boom = () => {
        throw new Error('boom');
      };
      const throwingJson = t.assistant('a', { extensions: { x: { toJSON: boom } } });
      const throwingGetter = Object.defineProperty(t.assistant('b'), 'author', {
        get: boom,
        enumerable: true,
      });
      for (const bad of [throwingJson, throwingGetter]) {
        const error = await expectInvalid(() => t.svc.appendEvent(session, bad), 'event');
        expect(error.message).toBe('event cannot be read: boom');
        await expectInvalid(() => t.svc.appendEvents(session, [t.user('ok'), bad]), 'events[1]');
      }
      // What was thrown cannot always be shown as text (String() of it throws): still INVALID_ARGUMENT.
      const unprintable = Object.create(null) as object;
      const throwingOddly = t.assistant('c', {
        extensions: {
          x: {
            toJSON: () => {
              throw unprintable;
            },
          },
        },
      });
      const odd = await expectInvalid(() => t.svc.appendEvent(session, throwingOddly), 'event');
      expect(odd.message).toBe('event cannot be read: a value that cannot be shown as text');
      expect(odd.cause).toBe(unprintable);
      const throwingSession = Object.defineProperty({ ...session }, 'id', { get: boom, enumerable: true });
      await expectInvalid(() => t.svc.appendEvent(throwingSession, t.user('x')), 'session');
      const detached = new Uint8Array(new ArrayBuffer(4));
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      const state = { keep: new TextEncoder().encode('v1'), gone: detached } as StateMap;
      await expectInvalid(() => t.svc.updateSessionState(t.key('s'), state), 'state["gone"]');
      await expectInvalid(() => t.svc.updateAppState(t.app, state), 'state["gone"]');
      await expectInvalid(() => t.svc.updateUserState(t.userKey(), state), 'state["gone"]');
      await t.svc.flush();
      const stored = await t.mustGet('s');
      expect(ids(stored.events)).toEqual([first.id]);
      expect(ids(session.events)).toEqual([first.id]);
      expect(text(stored.state, 'keep')).toBe('v0');
      expect(Object.keys(await t.svc.listAppStates(t.app))).toEqual([]);
    }));

  it('refuses an appendEvent whose session has an invalid key', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const broken = { ...session, id: '' };
      await expectInvalid(() => t.svc.appendEvent(broken, t.user('hi')), 'sessionId');
      await expectInvalid(
        () => t.svc.appendTrackEvent(broken, { track: 'agui', payload: {}, timestamp: t.clock.now() }),
        'sessionId',
      );
      const stored = await t.mustGet('s');
      expect(stored.events).toEqual([]);
      expect(text(stored.state, TRACKS_STATE_KEY)).toBeUndefined();
    }));

  it('refuses negative before or after in getEventWindow', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const e = t.user('hi');
      await t.append(session, e);
      await expectInvalid(() => t.svc.getEventWindow(t.key('s'), e.id, { before: -1, after: 0 }), 'before');
      await expectInvalid(() => t.svc.getEventWindow(t.key('s'), e.id, { before: 0, after: -1 }), 'after');
    }));
}
