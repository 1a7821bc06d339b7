import { expect, it } from 'vitest';
import type { Event } from '../../../src/session/event.js';
import { type Env, expectError, type Harness, ids } from './harness.js';

/** A session `s` with six alternating text messages, e1 (user) to e6 (assistant). */
async function conversation(t: Env): Promise<Event[]> {
  const session = await t.create('s');
  const events = [
    t.user('e1'),
    t.assistant('e2'),
    t.user('e3'),
    t.assistant('e4'),
    t.user('e5'),
    t.assistant('e6'),
  ];
  await t.append(session, ...events);
  await t.svc.flush();
  return events;
}

export function windowCases(h: Harness): void {
  it('returns before events, the anchor and after events, oldest first', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const window = await t.svc.getEventWindow(t.key('s'), events[2]!.id, { before: 1, after: 2 });
      expect(ids(window)).toEqual(ids(events.slice(1, 5)));
    }));

  it('returns only the anchor with before and after 0', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const window = await t.svc.getEventWindow(t.key('s'), events[3]!.id, { before: 0, after: 0 });
      expect(ids(window)).toEqual([events[3]!.id]);
    }));

  it('stops at the first event for an anchor at the start', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const window = await t.svc.getEventWindow(t.key('s'), events[0]!.id, { before: 5, after: 1 });
      expect(ids(window)).toEqual(ids(events.slice(0, 2)));
    }));

  it('stops at the last event for an anchor at the end', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const window = await t.svc.getEventWindow(t.key('s'), events[5]!.id, { before: 2, after: 5 });
      expect(ids(window)).toEqual(ids(events.slice(3)));
    }));

  it('does not anchor the window on a user message', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const window = await t.svc.getEventWindow(t.key('s'), events[3]!.id, { before: 0, after: 2 });
      expect(ids(window)).toEqual(ids(events.slice(3, 6)));
      expect(window[0]?.author).toBe('assistant');
    }));

  it('fails with NOT_FOUND for an unknown anchor or session', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      await expectError(
        () => t.svc.getEventWindow(t.key('s'), 'no-such-event', { before: 1, after: 1 }),
        'NOT_FOUND',
      );
      await expectError(
        () => t.svc.getEventWindow(t.key('other'), events[0]!.id, { before: 1, after: 1 }),
        'NOT_FOUND',
      );
    }));
}
