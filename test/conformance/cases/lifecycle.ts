import { expect, it } from 'vitest';
import type { Session } from '../../../src/session/session.js';
import { FakeSummarizer } from '../fakes.js';
import { type Env, expectError, type Harness, textState } from './harness.js';

type Call = (t: Env, session: Session) => Promise<unknown>;

const CALLS_AFTER_CLOSE: [string, Call][] = [
  ['createSession', (t) => t.svc.createSession({ appName: t.app, userId: t.userId, sessionId: 'new' })],
  ['getSession', (t) => t.svc.getSession(t.key('s'))],
  ['listSessions', (t) => t.svc.listSessions(t.userKey())],
  ['deleteSession', (t) => t.svc.deleteSession(t.key('s'))],
  ['updateSessionState', (t) => t.svc.updateSessionState(t.key('s'), textState({ a: '1' }))],
  ['updateAppState', (t) => t.svc.updateAppState(t.app, textState({ a: '1' }))],
  ['listAppStates', (t) => t.svc.listAppStates(t.app)],
  ['deleteAppState', (t) => t.svc.deleteAppState(t.app, 'a')],
  ['updateUserState', (t) => t.svc.updateUserState(t.userKey(), textState({ a: '1' }))],
  ['listUserStates', (t) => t.svc.listUserStates(t.userKey())],
  ['deleteUserState', (t) => t.svc.deleteUserState(t.userKey(), 'a')],
  ['appendEvent', (t, s) => t.svc.appendEvent(s, t.user('late'))],
  ['appendEvents', (t, s) => t.svc.appendEvents(s, [t.user('late')])],
  [
    'appendTrackEvent',
    (t, s) => t.svc.appendTrackEvent(s, { track: 'agui', payload: 1, timestamp: t.tick() }),
  ],
  ['getTrackEvents', (t) => t.svc.getTrackEvents(t.key('s'), 'agui')],
  ['getEventWindow', (t) => t.svc.getEventWindow(t.key('s'), 'e', { before: 1, after: 1 })],
  ['createSessionSummary', (t, s) => t.svc.createSessionSummary(s, '', true)],
  ['enqueueSummaryJob', (t, s) => t.svc.enqueueSummaryJob(s, '', true)],
  ['getSessionSummaryText', (t, s) => t.svc.getSessionSummaryText(s)],
];

export function lifecycleCases(h: Harness): void {
  it('resolves flush with and without pending writes', () =>
    h.run({}, async (t) => {
      await expect(t.svc.flush()).resolves.toBeUndefined();
      const session = await t.create('s');
      const event = t.user('hi');
      const append = t.svc.appendEvent(session, event);
      await t.svc.flush();
      await append;
      expect((await t.svc.getSession(t.key('s')))?.events.map((e) => e.id)).toEqual([event.id]);
      await expect(t.svc.flush()).resolves.toBeUndefined();
    }));

  it('closes idempotently', () =>
    h.run({}, async (t) => {
      await t.create('s');
      await expect(t.svc.close()).resolves.toBeUndefined();
      await expect(t.svc.close()).resolves.toBeUndefined();
      await expect(Promise.all([t.svc.close(), t.svc.close()])).resolves.toBeDefined();
    }));

  it('closes through Symbol.asyncDispose', () =>
    h.run({}, async (t) => {
      await t.svc[Symbol.asyncDispose]();
      await expectError(() => t.svc.getSession(t.key('s')), 'CLOSED');
    }));

  it.each(CALLS_AFTER_CLOSE)('refuses %s after close with CLOSED', (_name, call) =>
    h.run({ summarizer: new FakeSummarizer() }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('before close'));
      await t.svc.close();
      await expectError(() => call(t, session), 'CLOSED');
    }),
  );

  it('refuses flush after close with CLOSED', () =>
    h.run({}, async (t) => {
      await t.svc.close();
      await expectError(() => t.svc.flush(), 'CLOSED');
    }));
}
