import { expect, it } from 'vitest';
import { newStateMap, TRACKS_STATE_KEY } from '../../../src/session/state.js';
import { FakeSummarizer } from '../fakes.js';
import {
  expectError,
  type Harness,
  ids,
  MINUTE,
  SECOND,
  START,
  text,
  textState,
  UUID_V4,
} from './harness.js';

export function sessionCases(h: Harness): void {
  it('creates a session with the given id, initial state and times from the clock', () =>
    h.run({}, async (t) => {
      t.tick(5 * MINUTE);
      const now = t.clock.now();
      const created = await t.create('s1', textState({ topic: 'weather', empty: null }));
      expect(created.id).toBe('s1');
      expect(created.appName).toBe(t.app);
      expect(created.userId).toBe(t.userId);
      expect(created.events).toEqual([]);
      expect(text(created.state, 'topic')).toBe('weather');
      expect(text(created.state, 'empty')).toBeNull();
      expect(created.createdAt.getTime()).toBe(now.getTime());
      expect(created.updatedAt.getTime()).toBe(now.getTime());

      t.tick();
      const read = await t.mustGet('s1');
      expect(read.id).toBe('s1');
      expect(text(read.state, 'topic')).toBe('weather');
      expect(text(read.state, 'empty')).toBeNull();
      expect(read.createdAt.getTime()).toBe(now.getTime());
      expect(read.updatedAt.getTime()).toBe(now.getTime());
      expect(read.events).toEqual([]);
    }));

  it('generates a UUID v4 when no sessionId is given', () =>
    h.run({}, async (t) => {
      const a = await t.create();
      const b = await t.create();
      expect(a.id).toMatch(UUID_V4);
      expect(b.id).toMatch(UUID_V4);
      expect(a.id).not.toBe(b.id);
      expect((await t.mustGet(a.id)).id).toBe(a.id);
      expect((await t.list()).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
    }));

  it('keeps its own copy of the initial state', () =>
    h.run({}, async (t) => {
      const value = new TextEncoder().encode('original');
      const state = newStateMap();
      state.k = value;
      await t.create('s', state);
      value.fill(0x78);
      state.extra = new Uint8Array([1]);
      const read = await t.mustGet('s');
      expect(text(read.state, 'k')).toBe('original');
      expect(text(read.state, 'extra')).toBeUndefined();
    }));

  it('refuses to create a session that already exists and leaves the original untouched', () =>
    h.run({}, async (t) => {
      const original = await t.create('dup', textState({ owner: 'first' }));
      const question = t.user('question');
      await t.append(original, question);
      t.tick();
      await expectError(() => t.create('dup', textState({ owner: 'second' })), 'CONFLICT');
      const read = await t.mustGet('dup');
      expect(text(read.state, 'owner')).toBe('first');
      expect(ids(read.events)).toEqual([question.id]);
      expect(read.createdAt.getTime()).toBe(original.createdAt.getTime());
      expect(await t.list()).toHaveLength(1);
    }));

  it('creates a fresh session under the id of a deleted one', () =>
    h.run({}, async (t) => {
      const old = await t.create('s', textState({ old: 'yes' }));
      await t.append(old, t.user('old question'));
      await t.svc.deleteSession(t.key('s'));
      t.tick();
      const fresh = await t.create('s', textState({ fresh: 'yes' }));
      expect(fresh.createdAt.getTime()).toBe(t.clock.now().getTime());
      const read = await t.mustGet('s');
      expect(read.events).toEqual([]);
      expect(text(read.state, 'old')).toBeUndefined();
      expect(text(read.state, 'fresh')).toBe('yes');
      expect(read.createdAt.getTime()).toBe(t.clock.now().getTime());
    }));

  it('returns null for a session that does not exist', () =>
    h.run({}, async (t) => {
      await t.create('exists');
      expect(await t.get('missing')).toBeNull();
      expect(await t.svc.getSession({ appName: t.app, userId: 'nobody', sessionId: 'exists' })).toBeNull();
      expect(
        await t.svc.getSession({ appName: `${t.app}-other`, userId: t.userId, sessionId: 'exists' }),
      ).toBeNull();
    }));

  it('lists nothing for a user without sessions', () =>
    h.run({}, async (t) => {
      expect(await t.list()).toEqual([]);
      await t.create('s');
      expect(await t.list(undefined, 'someone-else')).toEqual([]);
    }));

  it('lists sessions most recently updated first', () =>
    h.run({}, async (t) => {
      const a = await t.create('a');
      t.tick();
      await t.create('b');
      t.tick();
      await t.create('c');
      expect((await t.list()).map((s) => s.id)).toEqual(['c', 'b', 'a']);
      await t.append(a, t.user('bump'));
      expect((await t.list()).map((s) => s.id)).toEqual(['a', 'c', 'b']);
      t.tick();
      await t.svc.updateSessionState(t.key('b'), textState({ x: '1' }));
      const listed = await t.list();
      expect(listed.map((s) => s.id)).toEqual(['b', 'a', 'c']);
      expect(listed[0]?.updatedAt.getTime()).toBe(t.clock.now().getTime());
    }));

  it('lists only the sessions of the given user and app', () =>
    h.run({}, async (t) => {
      await t.create('mine');
      await t.svc.createSession({ appName: t.app, userId: 'other-user', sessionId: 'theirs' });
      await t.svc.createSession({ appName: `${t.app}-x`, userId: t.userId, sessionId: 'other-app' });
      expect((await t.list()).map((s) => s.id)).toEqual(['mine']);
      await t.svc.deleteSession({ appName: `${t.app}-x`, userId: t.userId, sessionId: 'other-app' });
    }));

  it('pages listSessions from the newest', () =>
    h.run({}, async (t) => {
      for (const id of ['s1', 's2', 's3', 's4', 's5']) {
        await t.create(id);
        t.tick();
      }
      for (const onlyMeta of [false, true]) {
        const page = async (offset: number, limit: number) =>
          (await t.list({ page: { offset, limit }, onlyMeta })).map((s) => s.id);
        expect(await page(0, 2)).toEqual(['s5', 's4']);
        expect(await page(1, 3)).toEqual(['s4', 's3', 's2']);
        expect(await page(4, 10)).toEqual(['s1']);
        expect(await page(5, 1)).toEqual([]);
      }
    }));

  it('lists only metadata and merged state with onlyMeta', () =>
    h.run({ summarizer: new FakeSummarizer() }, async (t) => {
      const session = await t.create('s', textState({ own: 'v' }));
      await t.append(session, t.user('q'), t.assistant('a'));
      await t.svc.appendTrackEvent(session, { track: 'agui', payload: { n: 1 }, timestamp: t.tick() });
      await t.svc.createSessionSummary(session, '', true);
      await t.svc.updateAppState(t.app, textState({ shared: 'app' }));
      await t.svc.updateUserState(t.userKey(), textState({ pref: 'user' }));

      const [meta] = await t.list({ onlyMeta: true });
      expect(meta?.id).toBe('s');
      expect(meta?.events).toEqual([]);
      expect(Object.keys(meta?.tracks ?? { x: 1 })).toEqual([]);
      expect(Object.keys(meta?.summaries ?? { x: 1 })).toEqual([]);
      expect(text(meta?.state, 'own')).toBe('v');
      expect(text(meta?.state, 'app:shared')).toBe('app');
      expect(text(meta?.state, 'user:pref')).toBe('user');

      const [full] = await t.list();
      expect(full?.events).toHaveLength(2);
      expect(full?.tracks.agui?.events).toHaveLength(1);

      // Only `true` leaves the events out, and only listSessions takes it (the memory backend took
      // any truthy value, and honoured it on getSession too).
      for (const truthy of [1, 'yes', {}, [0]]) {
        const [listed] = await t.list({ onlyMeta: truthy as never });
        expect(listed?.events, String(truthy)).toHaveLength(2);
      }
      const got = await t.svc.getSession(t.key('s'), { onlyMeta: true } as never);
      expect(got?.events).toHaveLength(2);
    }));

  it('applies eventNum to every listed session', () =>
    h.run({}, async (t) => {
      const a = await t.create('a');
      const b = await t.create('b');
      const a1 = t.user('a1');
      const a2 = t.assistant('a2');
      const a3 = t.user('a3');
      const a4 = t.assistant('a4');
      await t.append(a, a1, a2, a3, a4);
      const b1 = t.user('b1');
      const b2 = t.assistant('b2');
      const b3 = t.assistant('b3');
      await t.append(b, b1, b2, b3);
      const listed = await t.list({ eventNum: 2 });
      const byId = Object.fromEntries(listed.map((s) => [s.id, ids(s.events)]));
      expect(byId.a).toEqual([a3.id, a4.id]);
      expect(byId.b).toEqual([b1.id, b2.id, b3.id]);
    }));

  it('applies eventTime to every listed session', () =>
    h.run({}, async (t) => {
      const a = await t.create('a');
      const old = t.user('old');
      const cut = t.tick();
      const fresh = t.user('fresh');
      const reply = t.assistant('reply');
      await t.append(a, old, fresh, reply);
      const [listed] = await t.list({ eventTime: cut });
      expect(ids(listed?.events ?? [])).toEqual([fresh.id, reply.id]);
    }));

  it('hides a deleted session from getSession and listSessions', () =>
    h.run({}, async (t) => {
      const session = await t.create('gone');
      await t.append(session, t.user('hi'));
      await t.create('kept');
      await t.svc.deleteSession(t.key('gone'));
      expect(await t.get('gone')).toBeNull();
      expect((await t.list()).map((s) => s.id)).toEqual(['kept']);
      expect(await t.get('kept')).not.toBeNull();
    }));

  it('deletes idempotently', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await t.svc.deleteSession(t.key('s'));
      await expect(t.svc.deleteSession(t.key('s'))).resolves.toBeUndefined();
      await expect(t.svc.deleteSession(t.key('never-existed'))).resolves.toBeUndefined();
      await expect(
        t.svc.deleteSession({ appName: `${t.app}-none`, userId: 'u', sessionId: 's' }),
      ).resolves.toBeUndefined();
    }));

  it('deletes a session with its events, summaries and tracks', () =>
    h.run({ summarizer: new FakeSummarizer() }, async (t) => {
      const old = await t.create('s');
      const question = t.user('q');
      await t.append(old, question, t.assistant('a'));
      await t.svc.appendTrackEvent(old, { track: 'agui', payload: { n: 1 }, timestamp: t.tick() });
      await t.svc.createSessionSummary(old, '', true);
      expect(await t.svc.getSessionSummaryText(old)).toBeTruthy();
      await t.svc.deleteSession(t.key('s'));

      t.tick();
      const fresh = await t.create('s');
      const read = await t.mustGet('s');
      expect(read.events).toEqual([]);
      expect(Object.keys(read.summaries)).toEqual([]);
      expect(Object.keys(read.tracks)).toEqual([]);
      expect(text(read.state, TRACKS_STATE_KEY)).toBeUndefined();
      expect((await t.svc.getTrackEvents(t.key('s'), 'agui')).events).toEqual([]);
      expect(await t.svc.getSessionSummaryText(fresh)).toBeUndefined();
      await expectError(
        () => t.svc.getEventWindow(t.key('s'), question.id, { before: 1, after: 1 }),
        'NOT_FOUND',
      );
      // A new event in the re-created session shows only itself.
      const next = t.user('new');
      await t.append(fresh, next);
      expect(ids((await t.mustGet('s')).events)).toEqual([next.id]);
    }));

  it('deleting one session leaves the user’s other sessions', () =>
    h.run({}, async (t) => {
      const a = await t.create('a');
      const b = await t.create('b');
      const ea = t.user('a');
      const eb = t.user('b');
      await t.append(a, ea);
      await t.append(b, eb);
      await t.svc.deleteSession(t.key('a'));
      expect(ids((await t.mustGet('b')).events)).toEqual([eb.id]);
    }));

  it('merges updateSessionState into the session state, keeping nulls and temp: keys', () =>
    h.run({}, async (t) => {
      await t.create('s', textState({ a: '1', b: '2' }));
      await t.svc.updateSessionState(t.key('s'), textState({ b: 'two', c: null, 'temp:scratch': 'x' }));
      const read = await t.mustGet('s');
      expect(text(read.state, 'a')).toBe('1');
      expect(text(read.state, 'b')).toBe('two');
      expect(text(read.state, 'c')).toBeNull();
      expect(text(read.state, 'temp:scratch')).toBe('x');
    }));

  it('updates the session state of a missing session with NOT_FOUND', () =>
    h.run({}, async (t) => {
      await expectError(() => t.svc.updateSessionState(t.key('missing'), textState({ a: '1' })), 'NOT_FOUND');
      expect(await t.get('missing')).toBeNull();
    }));

  it('keeps arbitrary bytes in session state exactly', () =>
    h.run({}, async (t) => {
      const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x22]);
      const state = newStateMap();
      state.raw = bytes;
      state.empty = new Uint8Array();
      await t.create('s', state);
      const other = newStateMap();
      other.raw2 = new Uint8Array([0xc3, 0x28]);
      await t.svc.updateSessionState(t.key('s'), other);
      const read = await t.mustGet('s');
      expect(Array.from(read.state.raw ?? [])).toEqual(Array.from(bytes));
      expect(read.state.empty).toBeInstanceOf(Uint8Array);
      expect(read.state.empty?.length).toBe(0);
      expect(Array.from(read.state.raw2 ?? [])).toEqual([0xc3, 0x28]);
    }));

  it('treats __proto__ as an ordinary state key', () =>
    h.run({}, async (t) => {
      const protoKey = '__proto__';
      const state = newStateMap();
      state[protoKey] = new TextEncoder().encode('just a key');
      await t.create('s', state);
      const read = await t.mustGet('s');
      expect(Object.hasOwn(read.state, protoKey)).toBe(true);
      expect(text(read.state, protoKey)).toBe('just a key');
      expect(
        Object.getPrototypeOf(read.state) === null || Object.getPrototypeOf(read.state) === Object.prototype,
      ).toBe(true);
    }));

  it('returns copies: changing a returned session changes nothing stored', () =>
    h.run({}, async (t) => {
      await t.create('s', textState({ k: 'v' }));
      const session = await t.mustGet('s');
      session.state.k!.fill(0x78);
      session.state.extra = new Uint8Array([1]);
      session.events.push(t.user('not appended'));
      session.summaries.x = { summary: 'fake', updated_at: new Date() };
      const again = await t.mustGet('s');
      expect(text(again.state, 'k')).toBe('v');
      expect(text(again.state, 'extra')).toBeUndefined();
      expect(again.events).toEqual([]);
      expect(again.summaries.x).toBeUndefined();
    }));

  it('returns copies from listSessions: changing a listed value changes no later read', () =>
    h.run({}, async (t) => {
      await t.create('a', textState({ own: 'v' }));
      await t.create('b');
      await t.svc.updateAppState(t.app, textState({ shared: 'app' }));
      await t.svc.updateUserState(t.userKey(), textState({ pref: 'user' }));
      for (const onlyMeta of [true, false]) {
        const listed = await t.list({ onlyMeta });
        for (const session of listed) {
          session.state['app:shared']!.fill(0x78);
          session.state['user:pref']!.fill(0x78);
          session.state.own?.fill(0x78);
        }
        const again = await t.list({ onlyMeta });
        expect(again.map((s) => [text(s.state, 'app:shared'), text(s.state, 'user:pref')])).toEqual([
          ['app', 'user'],
          ['app', 'user'],
        ]);
        expect(text(again.find((s) => s.id === 'a')?.state, 'own')).toBe('v');
        expect(text((await t.mustGet('a')).state, 'app:shared')).toBe('app');
      }
    }));

  it('leaves updatedAt alone on reads', () =>
    h.run({}, async (t) => {
      const created = await t.create('s');
      t.tick(MINUTE);
      await t.mustGet('s');
      await t.list();
      t.tick(MINUTE);
      expect((await t.mustGet('s')).updatedAt.getTime()).toBe(created.updatedAt.getTime());
    }));

  it('never moves updatedAt back when a writer’s clock runs behind, so the list stays newest first', () =>
    h.run({}, async (t) => {
      const a = await t.create('a');
      t.tick(MINUTE);
      await t.create('b');
      t.tick(MINUTE);
      await t.append(a, t.user('ahead'));
      const ahead = (await t.mustGet('a')).updatedAt.getTime();
      // Another writer's clock, five seconds behind the last write to `a` (yet after `b`'s).
      t.clock.set(ahead - 5 * SECOND);
      await t.append(a, t.user('behind'));
      await t.svc.updateSessionState(t.key('a'), textState({ x: '1' }));
      await t.svc.appendTrackEvent(a, { track: 'agent', payload: { step: 1 }, timestamp: t.clock.now() });
      const read = await t.mustGet('a');
      expect(read.updatedAt.getTime()).toBe(ahead);
      expect(read.events.map((e) => e.id)).toHaveLength(2);
      const listed = await t.list();
      expect(listed.map((s) => [s.id, s.updatedAt.getTime()])).toEqual([
        ['a', ahead],
        ['b', START + MINUTE],
      ]);
    }));

  it('stamps createdAt and updatedAt with the service clock', () =>
    h.run({}, async (t) => {
      const created = await t.create('s');
      expect(created.createdAt.getTime()).toBe(START);
      t.tick(3 * MINUTE);
      await t.append(created, t.user('later'));
      const read = await t.mustGet('s');
      expect(read.createdAt.getTime()).toBe(START);
      expect(read.updatedAt.getTime()).toBe(t.clock.now().getTime());
    }));
}
