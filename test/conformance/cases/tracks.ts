import { expect, it } from 'vitest';
import { readJson, TRACKS_STATE_KEY } from '../../../src/session/state.js';
import type { TrackEvent } from '../../../src/session/track.js';
import {
  type Env,
  expectInvalid,
  expectWriteError,
  expectWriteNotFound,
  type Harness,
  text,
  textState,
} from './harness.js';

function trackEvent(t: Env, track: string, payload: unknown): TrackEvent {
  return { track, payload, timestamp: t.tick() };
}

const payloads = (events: readonly TrackEvent[]) => events.map((event) => event.payload);

export function trackCases(h: Harness): void {
  it('stores track events and returns them oldest first', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const first = trackEvent(t, 'agui', { type: 'RUN_STARTED', n: 1 });
      const second = trackEvent(t, 'agui', { type: 'TEXT', delta: 'héllo', nested: [1, { a: null }] });
      await t.svc.appendTrackEvent(session, first);
      await t.svc.appendTrackEvent(session, second);
      await t.svc.flush();
      const got = await t.svc.getTrackEvents(t.key('s'), 'agui');
      expect(got.track).toBe('agui');
      expect(payloads(got.events)).toEqual([first.payload, second.payload]);
      expect(got.events.map((e) => e.track)).toEqual(['agui', 'agui']);
      expect(got.events.map((e) => e.timestamp.getTime())).toEqual([
        first.timestamp.getTime(),
        second.timestamp.getTime(),
      ]);
      expect((await t.mustGet('s')).events).toEqual([]);
    }));

  it('indexes track names in the tracks state key in first-append order without duplicates', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 1));
      await t.svc.appendTrackEvent(session, trackEvent(t, 'custom', 2));
      await t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 3));
      expect(readJson(session.state, TRACKS_STATE_KEY)).toEqual(['agui', 'custom']);
      const read = await t.mustGet('s');
      expect(readJson(read.state, TRACKS_STATE_KEY)).toEqual(['agui', 'custom']);
    }));

  it('returns the newest eventNum track events, oldest first', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      for (let i = 1; i <= 5; i++) await t.svc.appendTrackEvent(session, trackEvent(t, 'agui', i));
      await t.svc.flush();
      expect(payloads((await t.svc.getTrackEvents(t.key('s'), 'agui', { eventNum: 2 })).events)).toEqual([
        4, 5,
      ]);
      expect(payloads((await t.svc.getTrackEvents(t.key('s'), 'agui', { eventNum: 0 })).events)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      expect(payloads((await t.svc.getTrackEvents(t.key('s'), 'agui', { eventNum: 9 })).events)).toEqual([
        1, 2, 3, 4, 5,
      ]);
    }));

  it('returns track events strictly after eventTime', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = [trackEvent(t, 'agui', 1), trackEvent(t, 'agui', 2), trackEvent(t, 'agui', 3)];
      for (const event of events) await t.svc.appendTrackEvent(session, event);
      await t.svc.flush();
      const after = (eventTime: Date) => t.svc.getTrackEvents(t.key('s'), 'agui', { eventTime });
      expect(payloads((await after(events[1]!.timestamp)).events)).toEqual([3]);
      expect(payloads((await after(new Date(events[0]!.timestamp.getTime() - 1))).events)).toEqual([1, 2, 3]);
      expect(payloads((await after(events[2]!.timestamp)).events)).toEqual([]);
      const both = await t.svc.getTrackEvents(t.key('s'), 'agui', {
        eventTime: new Date(events[0]!.timestamp.getTime() - 1),
        eventNum: 1,
      });
      expect(payloads(both.events)).toEqual([3]);
    }));

  it('returns tracks with getSession', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('hi'));
      await t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 'a1'));
      await t.svc.appendTrackEvent(session, trackEvent(t, 'custom', 'c1'));
      await t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 'a2'));
      const read = await t.mustGet('s');
      expect(Object.keys(read.tracks).sort()).toEqual(['agui', 'custom']);
      expect(read.tracks.agui?.track).toBe('agui');
      expect(payloads(read.tracks.agui?.events ?? [])).toEqual(['a1', 'a2']);
      expect(payloads(read.tracks.custom?.events ?? [])).toEqual(['c1']);
    }));

  it('returns an empty track for an unknown track or session', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 1));
      await t.svc.flush();
      expect(await t.svc.getTrackEvents(t.key('s'), 'nope')).toEqual({ track: 'nope', events: [] });
      expect(await t.svc.getTrackEvents(t.key('missing'), 'agui')).toEqual({ track: 'agui', events: [] });
    }));

  it('keeps track events separate per session', () =>
    h.run({}, async (t) => {
      const a = await t.create('a');
      const b = await t.create('b');
      await t.svc.appendTrackEvent(a, trackEvent(t, 'agui', 'for a'));
      await t.svc.appendTrackEvent(b, trackEvent(t, 'agui', 'for b'));
      await t.svc.flush();
      expect(payloads((await t.svc.getTrackEvents(t.key('a'), 'agui')).events)).toEqual(['for a']);
      expect(payloads((await t.svc.getTrackEvents(t.key('b'), 'agui')).events)).toEqual(['for b']);
    }));

  it('refuses a track event when the stored tracks index does not decode, leaving it as stored', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.svc.updateSessionState(t.key('s'), textState({ [TRACKS_STATE_KEY]: 'v1' }));
      const error = await expectWriteError(
        h,
        t.svc,
        () => t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 1)),
        'STORAGE',
      );
      expect(error.message).toContain(
        `the stored "${TRACKS_STATE_KEY}" index of session s must be a JSON list`,
      );
      const read = await t.mustGet('s');
      expect(text(read.state, TRACKS_STATE_KEY)).toBe('v1');
      expect((await t.svc.getTrackEvents(t.key('s'), 'agui')).events).toEqual([]);
    }));

  it('refuses a track event when the caller’s tracks index does not decode, naming it', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      session.state = textState({ [TRACKS_STATE_KEY]: 'v1' });
      await expectInvalid(
        () => t.svc.appendTrackEvent(session, trackEvent(t, 'agui', 1)),
        `session.state["${TRACKS_STATE_KEY}"]`,
      );
      expect((await t.svc.getTrackEvents(t.key('s'), 'agui')).events).toEqual([]);
    }));

  it('refuses a track event for a missing session with NOT_FOUND', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const ghost = { ...session, id: 'missing', state: {}, tracks: {} };
      await expectWriteNotFound(h, t.svc, () => t.svc.appendTrackEvent(ghost, trackEvent(t, 'agui', 1)));
      expect(await t.get('missing')).toBeNull();
    }));
}
