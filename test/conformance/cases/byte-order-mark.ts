/**
 * A byte order mark (U+FEFF) at the start of text bound for a key column (app name, user id,
 * session id, app and user state keys, track names, summary filter keys) or an app or user state
 * value: embedded PGlite's protocol reader drops it when it reads such a column back, so the row
 * would come back as another key. Every backend refuses it alike, with INVALID_ARGUMENT naming the
 * field, before anything is written; U+FEFF anywhere else, and inside events and session state
 * (stored as JSON), is stored and read back exactly.
 */
import { expect, it } from 'vitest';
import { createEvent } from '../../../src/session/event.js';
import { stateOf, textValue } from '../../../src/session/state.js';
import { expectInvalid, type Harness } from './harness.js';

const BOM = '\uFEFF';

export function byteOrderMarkCases(h: Harness): void {
  it('refuses a key, state key, track or filter key that starts with U+FEFF, naming the field', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const user = t.userKey();
      const bad = `${BOM}x`;
      const badKey = stateOf({});
      badKey[bad] = textValue('v');
      const appKey = stateOf({});
      appKey[`app:${bad}`] = textValue('v');
      await expectInvalid(() => t.svc.createSession({ ...user, appName: bad }), 'appName');
      await expectInvalid(() => t.svc.createSession({ ...user, userId: bad }), 'userId');
      await expectInvalid(() => t.svc.createSession({ ...user, sessionId: bad }), 'sessionId');
      await expectInvalid(() => t.svc.getSession({ ...t.key('s'), sessionId: BOM }), 'sessionId');
      await expectInvalid(() => t.svc.listSessions({ ...user, userId: BOM }), 'userId');
      await expectInvalid(() => t.svc.updateAppState(t.app, badKey), `state[${JSON.stringify(bad)}]`);
      await expectInvalid(
        () => t.svc.updateAppState(t.app, appKey),
        `state[${JSON.stringify(`app:${bad}`)}]`,
      );
      await expectInvalid(() => t.svc.updateUserState(user, badKey), `state[${JSON.stringify(bad)}]`);
      await expectInvalid(() => t.svc.deleteAppState(t.app, bad), 'key');
      await expectInvalid(() => t.svc.deleteUserState(user, bad), 'key');
      await expectInvalid(
        () => t.svc.appendTrackEvent(session, { track: bad, payload: {}, timestamp: t.clock.now() }),
        'trackEvent.track',
      );
      await expectInvalid(() => t.svc.getTrackEvents(t.key('s'), bad), 'track');
      await expectInvalid(() => t.svc.getSessionSummaryText(session, { filterKey: bad }), 'filterKey');
      // Nothing of it was written.
      expect(await t.svc.listAppStates(t.app)).toEqual({});
      expect(await t.svc.listUserStates(user)).toEqual({});
      expect((await t.list()).map((s) => s.id)).toEqual(['s']);
    }));

  it('refuses an app or user state value whose text starts with U+FEFF', () =>
    h.run({}, async (t) => {
      const user = t.userKey();
      await expectInvalid(
        () => t.svc.updateAppState(t.app, stateOf({ 'app:k': `${BOM}v` })),
        'state["app:k"]',
      );
      await expectInvalid(() => t.svc.updateUserState(user, stateOf({ 'user:k': BOM })), 'state["user:k"]');
      expect(await t.svc.listAppStates(t.app)).toEqual({});
      expect(await t.svc.listUserStates(user)).toEqual({});
    }));

  it('stores U+FEFF after the first character, and anywhere in events and session state, exactly', () =>
    h.run({}, async (t) => {
      const id = `s${BOM}`;
      const session = await t.create(id, stateOf({ [`${BOM}k`]: `${BOM}v` }));
      await t.svc.updateAppState(t.app, stateOf({ [`app:a${BOM}`]: `a${BOM}` }));
      await t.svc.updateUserState(t.userKey(), stateOf({ [`user:u${BOM}`]: `u${BOM}` }));
      await t.svc.appendEvent(
        session,
        createEvent({ author: BOM, message: { role: 'user', content: `${BOM}hi` }, now: t.clock.now() }),
      );
      await t.svc.appendTrackEvent(session, {
        track: `t${BOM}`,
        payload: { [BOM]: BOM },
        timestamp: t.clock.now(),
      });

      expect((await t.list()).map((s) => s.id)).toEqual([id]);
      const read = await t.mustGet(id);
      const text = (key: string) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(read.state[key]!);
      expect(text(`${BOM}k`)).toBe(`${BOM}v`);
      expect(text(`app:a${BOM}`)).toBe(`a${BOM}`);
      expect(text(`user:u${BOM}`)).toBe(`u${BOM}`);
      expect(read.events.map((e) => [e.author, e.choices?.[0]?.message.content])).toEqual([
        [BOM, `${BOM}hi`],
      ]);
      const track = await t.svc.getTrackEvents(t.key(id), `t${BOM}`);
      expect(track.events.map((e) => e.payload)).toEqual([{ [BOM]: BOM }]);
    }));
}
