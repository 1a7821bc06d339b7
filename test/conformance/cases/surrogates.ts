/**
 * Unpaired UTF-16 surrogates. UTF-8 (PostgreSQL's text, JSONB and the drivers' wire format)
 * cannot hold them: sent as they are, a driver writes U+FFFD in their place and the text read
 * back is not the text written. So every backend refuses them, wherever text enters the store,
 * with INVALID_ARGUMENT naming the field, before anything is written; text with proper pairs
 * (emoji) is stored and read back exactly.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createEvent } from '../../../src/session/event.js';
import type { SessionKey } from '../../../src/session/keys.js';
import type { SessionService } from '../../../src/session/service.js';
import type { Session } from '../../../src/session/session.js';
import { stateOf, textValue } from '../../../src/session/state.js';
import { FakeSummarizer } from '../fakes.js';
import { expectInvalid, type Harness } from './harness.js';

const SEED = Number(process.env.FC_SEED ?? 20_261_216);

/** Well-formed text of every kind (ASCII, accents, CJK, emoji pairs), never holding U+FFFD itself. */
const wellFormed = fc
  .string({
    unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', 'é', '中', '😀', '\u{10FFFF}', '\uD7FF', '\uE000', '\n'),
    maxLength: 8,
  })
  .filter((s) => s.isWellFormed());

/** A surrogate on its own: high (D800-DBFF) or low (DC00-DFFF). */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/**
 * Text with one surrogate put at any position of well-formed text: always unpaired, since it
 * either stands next to no partner or splits an existing pair.
 */
const withLoneSurrogate = fc.tuple(wellFormed, loneSurrogate, fc.nat()).map(([text, unit, at]) => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + unit + text.slice(i);
});

/** Every call that takes text from the caller, with the field it must name. */
function hostileCalls(
  svc: SessionService,
  session: Session,
  key: SessionKey,
  bad: string,
): (readonly [what: string, call: () => Promise<unknown>, field: string | RegExp])[] {
  const user = { appName: key.appName, userId: key.userId };
  const say = (extra: object = {}, content = 'hi') =>
    createEvent({ author: 'user', message: { role: 'user', content }, ...extra });
  const badKeyState = stateOf({});
  badKeyState[bad] = textValue('v');
  return [
    ['appName', () => svc.createSession({ ...user, appName: bad }), 'appName'],
    ['userId', () => svc.listSessions({ ...user, userId: bad }), 'userId'],
    ['sessionId', () => svc.createSession({ ...user, sessionId: bad }), 'sessionId'],
    ['a state key at create', () => svc.createSession({ ...user }, badKeyState), /^state key /],
    ['a session state key', () => svc.updateSessionState(key, badKeyState), /^state key /],
    ['an app state key', () => svc.updateAppState(key.appName, badKeyState), /^state key /],
    ['a user state key', () => svc.updateUserState(user, badKeyState), /^state key /],
    ['deleteAppState', () => svc.deleteAppState(key.appName, bad), 'key'],
    ['deleteUserState', () => svc.deleteUserState(user, bad), 'key'],
    ['message content', () => svc.appendEvent(session, say({}, bad)), 'event.choices[0].message.content'],
    ['event author', () => svc.appendEvent(session, say({ author: bad })), 'event.author'],
    ['event id', () => svc.appendEvent(session, say({ id: bad })), 'event.id'],
    ['event filterKey', () => svc.appendEvent(session, say({ filterKey: bad })), 'event.filterKey'],
    [
      'an extension value',
      () => svc.appendEvent(session, say({ extensions: { k: [bad] } })),
      'event.extensions.k[0]',
    ],
    [
      'an extension key',
      () => svc.appendEvent(session, say({ extensions: { [bad]: 1 } })),
      /^event\.extensions key /,
    ],
    [
      'a state delta key',
      () => svc.appendEvent(session, say({ stateDelta: badKeyState })),
      /^event\.stateDelta key /,
    ],
    [
      'an event of appendEvents',
      () => svc.appendEvents(session, [say(), say({}, bad)]),
      'events[1].choices[0].message.content',
    ],
    [
      'a track name',
      () => svc.appendTrackEvent(session, { track: bad, payload: 1, timestamp: new Date() }),
      'trackEvent.track',
    ],
    [
      'a track payload string',
      () => svc.appendTrackEvent(session, { track: 't', payload: { s: bad }, timestamp: new Date() }),
      'trackEvent.payload.s',
    ],
    [
      'a track payload key',
      () => svc.appendTrackEvent(session, { track: 't', payload: { [bad]: 1 }, timestamp: new Date() }),
      /^trackEvent\.payload key /,
    ],
    ['getTrackEvents track', () => svc.getTrackEvents(key, bad), 'track'],
    [
      'an event window anchor',
      () => svc.getEventWindow(key, `e${bad}`, { before: 1, after: 1 }),
      'anchorEventId',
    ],
    ['a summary filter key', () => svc.createSessionSummary(session, bad), 'filterKey'],
    ['a summary job filter key', () => svc.enqueueSummaryJob(session, bad), 'filterKey'],
    ['a summary text filter key', () => svc.getSessionSummaryText(session, { filterKey: bad }), 'filterKey'],
  ];
}

export function surrogateCases(h: Harness): void {
  it('refuses an unpaired surrogate at any position of any text, naming the field, storing nothing (property)', () =>
    // With a summarizer, so the summary calls check their filter key (without one they do nothing).
    h.run({ summarizer: new FakeSummarizer() }, async (t) => {
      const session = await t.create('s', stateOf({ keep: 'me' }));
      const key = t.key('s');
      await fc.assert(
        fc.asyncProperty(withLoneSurrogate, async (bad) => {
          expect(bad.isWellFormed()).toBe(false);
          for (const [what, call, field] of hostileCalls(t.svc, session, key, bad)) {
            const error = await expectInvalid(call, field).catch((e: unknown) => {
              throw new Error(`${what}: ${(e as Error).message}`);
            });
            expect(error.message, what).toMatch(/surrogate|well-formed/);
          }
        }),
        { seed: SEED, numRuns: 15 },
      );
      // Nothing of it was stored, and no U+FFFD anywhere.
      const read = await t.mustGet('s');
      expect(read.events).toEqual([]);
      expect(Object.keys(read.state)).toEqual(['keep']);
      expect(await t.list()).toHaveLength(1);
      expect(await t.svc.listAppStates(t.app)).toEqual({});
      expect(await t.svc.listUserStates(t.userKey())).toEqual({});
      expect((await t.svc.getTrackEvents(key, 't')).events).toEqual([]);
    }));

  it('stores text with surrogate pairs at any position and reads it back exactly (property)', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const key = t.key('s');
      const pair = fc.constantFrom('😀', '\u{10000}', '\u{10FFFF}', '👩‍👩‍👧');
      const withPair = fc.tuple(wellFormed, pair, fc.nat()).map(([text, p, at]) => {
        const i = [...text].length === 0 ? 0 : at % ([...text].length + 1);
        const chars = [...text];
        return chars.slice(0, i).join('') + p + chars.slice(i).join('');
      });
      const written: string[] = [];
      await fc.assert(
        fc.asyncProperty(withPair, async (good) => {
          const event = createEvent({
            author: good,
            message: { role: 'user', content: good },
            extensions: { [good]: good },
          });
          await t.svc.appendEvent(session, event);
          await t.svc.appendTrackEvent(session, {
            track: good,
            payload: { [good]: good },
            timestamp: t.tick(),
          });
          await t.svc.updateAppState(t.app, stateOf({ [good]: good }));
          written.push(good);
        }),
        { seed: SEED + 1, numRuns: 15 },
      );
      await t.svc.flush();
      const read = await t.mustGet('s', { eventNum: 1000 });
      expect(read.events.map((e) => [e.author, e.choices?.[0]?.message.content])).toEqual(
        written.map((w) => [w, w]),
      );
      expect(read.events.map((e, i) => (e.extensions as Record<string, unknown>)[written[i]!])).toEqual(
        written,
      );
      const app = await t.svc.listAppStates(t.app);
      for (const w of written) expect(new TextDecoder().decode(app[w]!)).toBe(w);
      for (const w of new Set(written)) {
        const track = await t.svc.getTrackEvents(key, w);
        for (const e of track.events) expect((e.payload as Record<string, unknown>)[w]).toBe(w);
      }
      expect(JSON.stringify(read)).not.toContain('\uFFFD');
    }));

  it('never finds an event holding U+FFFD by an id with a lone surrogate in its place', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const event = createEvent({ author: 'user', id: 'e\uFFFD', message: { role: 'user', content: 'hi' } });
      await t.svc.appendEvent(session, event);
      await t.svc.flush();
      // A driver sends a lone surrogate as U+FFFD: without the check, PostgreSQL found this event.
      await expectInvalid(
        () => t.svc.getEventWindow(t.key('s'), 'e\uD800', { before: 0, after: 0 }),
        'anchorEventId',
      );
      const found = await t.svc.getEventWindow(t.key('s'), 'e\uFFFD', { before: 0, after: 0 });
      expect(found.map((e) => e.id)).toEqual(['e\uFFFD']);
    }));

  it('refuses to make a state value of text with an unpaired surrogate (UTF-8 would hold U+FFFD)', () => {
    for (const bad of ['\uD800', 'a\uDC00', 'x\uD83D']) {
      expect(() => textValue(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'value' }),
      );
      expect(() => stateOf({ k: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'values["k"]' }),
      );
    }
    expect(new TextDecoder().decode(textValue('a😀b'))).toBe('a😀b');
  });
}
