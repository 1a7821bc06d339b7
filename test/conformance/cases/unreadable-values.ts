/**
 * Caller values that throw when read: a getter, a Proxy trap or a toJSON of the caller's. Every
 * public method refuses them with an InvalidArgumentError (INVALID_ARGUMENT) naming the value, the
 * thrown error as its cause, alike on every backend, and nothing stored changes.
 */
import { expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/session/errors.js';
import type { Session } from '../../../src/session/session.js';
import type { StateMap } from '../../../src/session/state.js';
import type { TrackEvent } from '../../../src/session/track.js';
import { FakeSummarizer } from '../fakes.js';
import { type Env, expectInvalid, type Harness, ids, textState } from './harness.js';

const boom = new Error('boom');
const throwBoom = (): never => {
  throw boom;
};

/** A copy of `object` whose own `name` is a getter that throws. */
function throwingAt<T extends object>(object: T, name: string): T {
  return Object.defineProperty({ ...object }, name, { get: throwBoom, enumerable: true });
}

/** A Proxy of `target` whose every read (a property, the keys, a descriptor) throws. */
function unreadable<T extends object>(target: T): T {
  return new Proxy(target, { get: throwBoom, ownKeys: throwBoom, getOwnPropertyDescriptor: throwBoom });
}

/** A Proxy of `target` whose keys cannot be listed (copying it throws), its properties readable. */
function unlistable<T extends object>(target: T): T {
  return new Proxy(target, { ownKeys: throwBoom });
}

/** An array whose item `index` is a getter that throws. */
function arrayThrowingAt<T>(items: T[], index: number): T[] {
  return Object.defineProperty([...items], index, { get: throwBoom, enumerable: true });
}

/** Awaits a call that must be refused as a value of the caller's that cannot be read. */
async function expectUnreadable(call: () => Promise<unknown>, field: string): Promise<void> {
  const error = await expectInvalid(call, field);
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect(error.message).toBe(`${field} cannot be read: boom`);
  expect(error.cause).toBe(boom);
}

/**
 * A session `s` with state, an event and a track event, app and user state: what every case
 * starts from and must find unchanged after its refused calls.
 */
async function seed(t: Env): Promise<Session> {
  const session = await t.create('s', textState({ keep: 'v0' }));
  await t.append(session, t.user('hello'));
  await t.svc.appendTrackEvent(session, { track: 'agui', payload: { n: 1 }, timestamp: t.tick() });
  await t.svc.updateAppState(t.app, textState({ a: '1' }));
  await t.svc.updateUserState(t.userKey(), textState({ u: '1' }));
  return session;
}

/** Everything a refused call could have changed, as read back. */
async function stored(t: Env): Promise<unknown> {
  await t.svc.flush();
  const session = await t.mustGet('s');
  return {
    sessions: (await t.list()).map((s) => s.id),
    state: session.state,
    events: ids(session.events),
    updatedAt: session.updatedAt,
    summaries: session.summaries,
    tracks: (await t.svc.getTrackEvents(t.key('s'), 'agui')).events,
    app: await t.svc.listAppStates(t.app),
    user: await t.svc.listUserStates(t.userKey()),
  };
}

const KEY_FIELDS = ['appName', 'userId', 'sessionId'] as const;

export function unreadableValueCases(h: Harness): void {
  it('refuses a state map with a getter or Proxy that throws, naming the map or the value', () =>
    h.run({}, async (t) => {
      await seed(t);
      const before = await stored(t);
      const bytes = new TextEncoder().encode('v1');
      const getter = throwingAt<StateMap>({ ok: bytes }, 'x');
      const proxy = unreadable<StateMap>({ ok: bytes });
      const writes: [string, (state: StateMap) => Promise<unknown>][] = [
        ['state', (state) => t.svc.createSession(t.key('s2'), state)],
        ['state', (state) => t.svc.updateSessionState(t.key('s'), state)],
        ['state', (state) => t.svc.updateAppState(t.app, state)],
        ['state', (state) => t.svc.updateUserState(t.userKey(), state)],
        ['request.state', (state) => t.svc.replaceEvents(t.key('s'), { events: [], state })],
        [
          'request.expectedState',
          (expectedState) => t.svc.replaceEvents(t.key('s'), { events: [], expectedState }),
        ],
      ];
      for (const [field, write] of writes) {
        await expectUnreadable(() => write(getter), `${field}["x"]`);
        await expectUnreadable(() => write(proxy), field);
        // A Proxy of a Uint8Array is no typed array: reading its bytes would throw.
        const wrapped = { ok: bytes, p: new Proxy(new Uint8Array([1]), {}) } as StateMap;
        const error = await expectInvalid(() => write(wrapped), `${field}["p"]`);
        expect(error.message).toMatch(/must be a Uint8Array or null/);
      }
      expect(await stored(t)).toEqual(before);
    }));

  it('refuses a key whose field throws when read, naming the field, in every method that takes one', () =>
    h.run({}, async (t) => {
      await seed(t);
      const before = await stored(t);
      const state = textState({ k: 'v' });
      const sessionKeyCalls: ((key: ReturnType<Env['key']>) => Promise<unknown>)[] = [
        (key) => t.svc.createSession(key, state),
        (key) => t.svc.getSession(key),
        (key) => t.svc.deleteSession(key),
        (key) => t.svc.popEvent(key),
        (key) => t.svc.clearEvents(key),
        (key) => t.svc.replaceEvents(key, { events: [] }),
        (key) => t.svc.updateSessionState(key, state),
        (key) => t.svc.getTrackEvents(key, 'agui'),
        (key) => t.svc.getEventWindow(key, 'e', { before: 1, after: 1 }),
      ];
      const userKeyCalls: ((key: ReturnType<Env['userKey']>) => Promise<unknown>)[] = [
        (key) => t.svc.listSessions(key),
        (key) => t.svc.updateUserState(key, state),
        (key) => t.svc.listUserStates(key),
        (key) => t.svc.deleteUserState(key, 'u'),
      ];
      for (const field of KEY_FIELDS) {
        for (const call of sessionKeyCalls)
          await expectUnreadable(() => call(throwingAt(t.key('s'), field)), field);
        if (field === 'sessionId') continue;
        for (const call of userKeyCalls)
          await expectUnreadable(() => call(throwingAt(t.userKey(), field)), field);
      }
      // A key that cannot be read at all is refused at its first field.
      await expectUnreadable(() => t.svc.getSession(unreadable(t.key('s'))), 'appName');
      await expectUnreadable(() => t.svc.listSessions(unreadable(t.userKey())), 'appName');
      expect(await stored(t)).toEqual(before);
    }));

  it('refuses options whose fields throw when read, naming the option', () =>
    h.run({}, async (t) => {
      const session = await seed(t);
      const before = await stored(t);
      const key = t.key('s');
      const page = { offset: 0, limit: 1 };
      const cases: [field: string, call: () => Promise<unknown>][] = [
        ['eventNum', () => t.svc.getSession(key, throwingAt({}, 'eventNum'))],
        ['eventTime', () => t.svc.getSession(key, throwingAt({}, 'eventTime'))],
        ['eventPage', () => t.svc.getSession(key, throwingAt({}, 'eventPage'))],
        ['eventPage.limit', () => t.svc.getSession(key, { eventPage: throwingAt(page, 'limit') })],
        ['eventNum', () => t.svc.getSession(key, unreadable({}))],
        ['options', () => t.svc.getSession(key, unlistable({}))],
        ['eventPage', () => t.svc.listSessions(t.userKey(), throwingAt({}, 'eventPage'))],
        ['eventNum', () => t.svc.listSessions(t.userKey(), throwingAt({}, 'eventNum'))],
        ['eventTime', () => t.svc.listSessions(t.userKey(), throwingAt({}, 'eventTime'))],
        ['onlyMeta', () => t.svc.listSessions(t.userKey(), throwingAt({}, 'onlyMeta'))],
        ['page', () => t.svc.listSessions(t.userKey(), throwingAt({}, 'page'))],
        ['page.offset', () => t.svc.listSessions(t.userKey(), { page: throwingAt(page, 'offset') })],
        ['eventNum', () => t.svc.appendEvent(session, t.user('x'), throwingAt({}, 'eventNum'))],
        ['eventTime', () => t.svc.appendEvent(session, t.user('x'), throwingAt({}, 'eventTime'))],
        ['options.signal', () => t.svc.appendEvent(session, t.user('x'), throwingAt({}, 'signal'))],
        ['options', () => t.svc.appendEvent(session, t.user('x'), unlistable({}))],
        ['eventNum', () => t.svc.appendEvents(session, [t.user('x')], throwingAt({}, 'eventNum'))],
        ['options.signal', () => t.svc.appendEvents(session, [t.user('x')], throwingAt({}, 'signal'))],
        ['options', () => t.svc.appendEvents(session, [t.user('x')], unlistable({}))],
        ['eventNum', () => t.svc.getTrackEvents(key, 'agui', throwingAt({}, 'eventNum'))],
        ['eventTime', () => t.svc.getTrackEvents(key, 'agui', throwingAt({}, 'eventTime'))],
        ['before', () => t.svc.getEventWindow(key, 'e', throwingAt({ before: 1, after: 1 }, 'before'))],
        ['after', () => t.svc.getEventWindow(key, 'e', throwingAt({ before: 1, after: 1 }, 'after'))],
        ['roles', () => t.svc.getEventWindow(key, 'e', throwingAt({ before: 1, after: 1 }, 'roles'))],
        [
          'roles[1]',
          () =>
            t.svc.getEventWindow(key, 'e', { before: 1, after: 1, roles: arrayThrowingAt(['user', 'x'], 1) }),
        ],
        ['filterKey', () => t.svc.getSessionSummaryText(session, throwingAt({}, 'filterKey'))],
      ];
      for (const [field, call] of cases) await expectUnreadable(call, field);
      expect(ids(session.events)).toHaveLength(1);
      expect(await stored(t)).toEqual(before);
    }));

  it('refuses summary call options whose signal throws when read', () =>
    h.run({ summarizer: new FakeSummarizer() }, async (t) => {
      const session = await seed(t);
      const before = await stored(t);
      const options = throwingAt({}, 'signal');
      await expectUnreadable(() => t.svc.createSessionSummary(session, '', true, options), 'options.signal');
      await expectUnreadable(() => t.svc.enqueueSummaryJob(session, '', true, options), 'options.signal');
      expect(await stored(t)).toEqual(before);
    }));

  it('refuses a track event whose fields or payload throw when read, naming the field', () =>
    h.run({}, async (t) => {
      const session = await seed(t);
      const before = await stored(t);
      const callerTracks = structuredClone(session.tracks);
      const event: TrackEvent = { track: 'agui', payload: { n: 2 }, timestamp: t.tick() };
      const cases: [field: string, trackEvent: TrackEvent][] = [
        ['trackEvent.track', throwingAt(event, 'track')],
        ['trackEvent.payload', throwingAt(event, 'payload')],
        ['trackEvent.timestamp', throwingAt(event, 'timestamp')],
        ['trackEvent.payload', { ...event, payload: { deep: [throwingAt({}, 'x')] } }],
        ['trackEvent.payload', { ...event, payload: { deep: { toJSON: throwBoom } } }],
        ['trackEvent.payload', { ...event, payload: unreadable({ n: 1 }) }],
      ];
      for (const [field, trackEvent] of cases)
        await expectUnreadable(() => t.svc.appendTrackEvent(session, trackEvent), field);
      expect(session.tracks).toEqual(callerTracks);
      expect(await stored(t)).toEqual(before);
    }));

  it("refuses a session object whose fields throw when read, before its or the store's copy changes", () =>
    h.run({}, async (t) => {
      const session = await seed(t);
      const before = await stored(t);
      const trackEvent = { track: 'other', payload: null, timestamp: t.tick() };
      await expectUnreadable(() => t.svc.appendEvent(throwingAt(session, 'events'), t.user('x')), 'session');
      await expectUnreadable(
        () => t.svc.appendEvents(throwingAt(session, 'events'), [t.user('x')]),
        'session',
      );
      await expectUnreadable(() => t.svc.appendEvent(throwingAt(session, 'id'), t.user('x')), 'session');
      await expectUnreadable(
        () => t.svc.appendTrackEvent(throwingAt(session, 'state'), trackEvent),
        'session',
      );
      await expectUnreadable(
        () => t.svc.appendTrackEvent(throwingAt(session, 'tracks'), trackEvent),
        'session',
      );
      await expectUnreadable(() => t.svc.getSessionSummaryText(throwingAt(session, 'id')), 'session');
      await expectUnreadable(() => t.svc.getSessionSummaryText(throwingAt(session, 'summaries')), 'session');
      expect(await stored(t)).toEqual(before);
    }));

  it('refuses a list of events or ids whose items throw when read, naming the item', () =>
    h.run({}, async (t) => {
      const session = await seed(t);
      const before = await stored(t);
      const key = t.key('s');
      await expectUnreadable(
        () => t.svc.appendEvents(session, arrayThrowingAt([t.user('a'), t.user('b')], 1)),
        'events[1]',
      );
      await expectUnreadable(
        () => t.svc.replaceEvents(key, throwingAt({ events: [] }, 'events')),
        'request.events',
      );
      await expectUnreadable(
        () => t.svc.replaceEvents(key, { events: arrayThrowingAt([t.user('a')], 0) }),
        'events[0]',
      );
      await expectUnreadable(
        () => t.svc.replaceEvents(key, throwingAt({ events: [] }, 'expectedEventIds')),
        'request.expectedEventIds',
      );
      await expectUnreadable(
        () => t.svc.replaceEvents(key, { events: [], expectedEventIds: arrayThrowingAt(['e'], 0) }),
        'request.expectedEventIds[0]',
      );
      expect(ids(session.events)).toHaveLength(1);
      expect(await stored(t)).toEqual(before);
    }));
}
