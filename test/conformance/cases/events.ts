import { expect, it } from 'vitest';
import { createEvent, type Event } from '../../../src/session/event.js';
import { filterEvents } from '../../../src/session/session.js';
import { stateOf } from '../../../src/session/state.js';
import { PreciseDate, subMillisecondNanos } from '../../../src/session/time.js';
import { contentOf } from '../fakes.js';
import { type Env, expectWriteNotFound, type Harness, ids, text } from './harness.js';

/** `n` turns of a conversation: u1, a1, u2, a2, ... (a user event, then the assistant's answer). */
function turns(t: Env, n: number): Event[] {
  return Array.from({ length: n }, (_, i) => [t.user(`u${i + 1}`), t.assistant(`a${i + 1}`)]).flat();
}

/** Events that are not stored, each carrying a state delta that must still be applied. */
const NOT_STORED: [string, (t: Env) => Event][] = [
  [
    'a partial (streaming) chunk',
    (t) => t.assistant('half a sentence', { is_partial: true, stateDelta: stateOf({ seen: 'partial' }) }),
  ],
  [
    'an event without a model response',
    (t) => createEvent({ author: 'agent', now: t.tick(), stateDelta: stateOf({ seen: 'no-response' }) }),
  ],
  [
    'an event with empty content',
    (t) =>
      t.message('assistant', { role: 'assistant', content: '' }, { stateDelta: stateOf({ seen: 'empty' }) }),
  ],
  [
    'an error-only event',
    (t) =>
      createEvent({
        author: 'assistant',
        now: t.tick(),
        error: { message: 'rate limited', type: 'api_error' },
        stateDelta: stateOf({ seen: 'error' }),
      }),
  ],
];

export function eventCases(h: Harness): void {
  it('stores user, assistant, tool-call, tool-result, reasoning-only and content-part events', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const stored = [
        t.user('what is the weather?'),
        t.assistant('let me check'),
        t.message('assistant', {
          role: 'assistant',
          content: '',
          tool_calls: [
            { type: 'function', id: 'call-1', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          ],
        }),
        t.message('tool', { role: 'tool', content: '', tool_id: 'call-1', tool_name: 'weather' }),
        t.message('assistant', { role: 'assistant', reasoning_content: 'it is sunny, say so' }),
        t.message('assistant', { role: 'assistant', content_parts: [{ type: 'text', text: 'Sunny, 24°C' }] }),
      ];
      await t.append(session, ...stored);
      expect(ids(session.events)).toEqual(ids(stored));
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(stored));
    }));

  it.each(NOT_STORED)('does not store %s but applies and keeps its state delta', (_name, build) =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const question = t.user('q');
      await t.append(session, question);
      await t.svc.appendEvent(session, build(t));
      const answer = t.assistant('a');
      await t.append(session, answer);
      expect(ids(session.events)).toEqual([question.id, answer.id]);
      expect(text(session.state, 'seen')).toBeTruthy();
      const read = await t.mustGet('s');
      expect(ids(read.events)).toEqual([question.id, answer.id]);
      expect(text(read.state, 'seen')).toBe(text(session.state, 'seen'));
    }),
  );

  it('applies a state delta even when it is the only thing appended', () =>
    h.run({}, async (t) => {
      const session = await t.create('s', stateOf({ kept: 'yes' }));
      await t.svc.appendEvent(
        session,
        createEvent({ author: 'agent', now: t.tick(), stateDelta: stateOf({ step: '2', gone: null }) }),
      );
      const read = await t.mustGet('s');
      expect(text(read.state, 'step')).toBe('2');
      expect(text(read.state, 'gone')).toBeNull();
      expect(text(read.state, 'kept')).toBe('yes');
      expect(read.events).toEqual([]);
    }));

  it("updates the caller's session: events, state and updatedAt", () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const question = t.user('q', { stateDelta: stateOf({ turn: '1' }) });
      await t.svc.appendEvent(session, question);
      expect(ids(session.events)).toEqual([question.id]);
      expect(text(session.state, 'turn')).toBe('1');
      expect(session.updatedAt.getTime()).toBe(t.clock.now().getTime());
      const answer = t.assistant('a', { stateDelta: stateOf({ turn: '2' }) });
      await t.svc.appendEvent(session, answer);
      expect(ids(session.events)).toEqual([question.id, answer.id]);
      expect(text(session.state, 'turn')).toBe('2');
      expect(session.updatedAt.getTime()).toBe(t.clock.now().getTime());
      const read = await t.mustGet('s');
      expect(text(read.state, 'turn')).toBe('2');
      expect(read.updatedAt.getTime()).toBe(t.clock.now().getTime());
    }));

  it("anchors the caller's events and the stored history on a user message", () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const greeting = t.assistant('hello, how can I help?');
      await t.svc.appendEvent(session, greeting);
      expect(session.events).toEqual([]);
      expect((await t.mustGet('s')).events).toEqual([]);
      const question = t.user('a question');
      await t.svc.appendEvent(session, question);
      expect(ids(session.events)).toEqual([question.id]);
      expect(ids((await t.mustGet('s')).events)).toEqual([question.id]);
      // The greeting is stored all the same: a window around the question reaches it.
      const window = await t.svc.getEventWindow(t.key('s'), question.id, { before: 5, after: 0 });
      expect(ids(window)).toEqual([greeting.id, question.id]);
    }));

  it("trims only the caller's copy with appendEvent's eventNum", () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = [t.user('1'), t.assistant('2'), t.user('3'), t.assistant('4'), t.user('5')];
      await t.append(session, ...events.slice(0, 4));
      await t.svc.appendEvent(session, events[4]!, { eventNum: 2 });
      expect(ids(session.events)).toEqual(ids(filterEvents(events, { eventNum: 2 })));
      expect(ids(session.events)).toEqual([events[4]!.id]);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events));
    }));

  it('refuses to append to a missing or deleted session with NOT_FOUND', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const ghost = { ...session, id: 'missing', events: [], state: {} };
      await expectWriteNotFound(h, t.svc, () => t.svc.appendEvent(ghost, t.user('hi')));
      expect(await t.get('missing')).toBeNull();
      await t.svc.deleteSession(t.key('s'));
      await expectWriteNotFound(h, t.svc, () => t.svc.appendEvent(session, t.user('hi')));
      expect(await t.get('s')).toBeNull();
    }));

  it('returns stored events with their fields intact', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const question = t.user('héllo 👋 "quoted" \\ back', {
        invocationId: 'inv-1',
        branch: 'root/agent',
        filterKey: 'root/agent',
        tag: 'a;b',
        requestID: 'req-1',
        stateDelta: stateOf({ raw: new Uint8Array([0, 255, 128]), none: null }),
        extensions: { meta: { n: 1, list: [true, null, 'x'] } },
      });
      const call = t.message('assistant', {
        role: 'assistant',
        tool_calls: [{ type: 'function', id: 'call-9', function: { name: 'f', arguments: '{"a":[1,2]}' } }],
      });
      await t.append(session, question, call);
      const [readQuestion, readCall] = (await t.mustGet('s')).events;
      expect(readQuestion?.id).toBe(question.id);
      expect(readQuestion?.author).toBe('user');
      expect(readQuestion?.invocationId).toBe('inv-1');
      expect(readQuestion?.branch).toBe('root/agent');
      expect(readQuestion?.filterKey).toBe('root/agent');
      expect(readQuestion?.tag).toBe('a;b');
      expect(readQuestion?.requestID).toBe('req-1');
      expect(readQuestion?.timestamp.getTime()).toBe(question.timestamp.getTime());
      expect(readQuestion && contentOf(readQuestion)).toBe('héllo 👋 "quoted" \\ back');
      expect(readQuestion?.choices?.[0]?.message.role).toBe('user');
      expect(Array.from(readQuestion?.stateDelta?.raw ?? [])).toEqual([0, 255, 128]);
      expect(readQuestion?.stateDelta?.none).toBeNull();
      expect(readQuestion?.extensions).toEqual({ meta: { n: 1, list: [true, null, 'x'] } });
      expect(readCall?.id).toBe(call.id);
      expect(readCall?.choices?.[0]?.message.tool_calls?.[0]?.function).toEqual({
        name: 'f',
        arguments: '{"a":[1,2]}',
      });
      expect(readCall?.choices?.[0]?.message.tool_calls?.[0]?.id).toBe('call-9');
    }));

  it('stores a copy of the event: changing it after the append changes nothing stored', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const event = t.user('original', { stateDelta: stateOf({ k: 'v' }) });
      await t.svc.appendEvent(session, event);
      event.choices![0]!.message.content = 'changed';
      event.stateDelta!.k!.fill(0x78);
      const [stored] = (await t.mustGet('s')).events;
      expect(stored && contentOf(stored)).toBe('original');
      expect(text(stored?.stateDelta, 'k')).toBe('v');
      expect(text((await t.mustGet('s')).state, 'k')).toBe('v');
    }));

  it('keeps insertion order for events with equal timestamps', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const at = t.tick();
      const events = ['first', 'second', 'third', 'fourth'].map((content, i) =>
        createEvent({
          author: i % 2 ? 'assistant' : 'user',
          message: { role: i % 2 ? 'assistant' : 'user', content },
          now: at,
        }),
      );
      await t.append(session, ...events);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events));
      expect(ids((await t.mustGet('s', { eventPage: { offset: 0, limit: 3 } })).events)).toEqual(
        ids(events.slice(1)),
      );
    }));

  it('keeps the nanoseconds of an event timestamp', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const stamp = new PreciseDate(t.tick().getTime() + 123, 456_789);
      const event = t.user('precise', { timestamp: stamp });
      await t.append(session, event);
      const [stored] = (await t.mustGet('s')).events;
      expect(stored?.timestamp.getTime()).toBe(stamp.getTime());
      expect(subMillisecondNanos(stored!.timestamp)).toBe(456_789);
    }));

  it('returns every event when eventNum exceeds their number', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = [t.user('u1'), t.assistant('a1'), t.user('u2')];
      await t.append(session, ...events);
      expect(ids((await t.mustGet('s', { eventNum: 50 })).events)).toEqual(ids(events));
      expect(ids((await t.mustGet('s', { eventNum: 0 })).events)).toEqual(ids(events));
    }));

  it('returns the newest eventNum events when they start with a user message', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = turns(t, 3);
      await t.append(session, ...events);
      const read = await t.mustGet('s', { eventNum: 4 });
      expect(ids(read.events)).toEqual(ids(events.slice(2)));
    }));

  it('drops leading non-user events of the eventNum window', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = turns(t, 3);
      await t.append(session, ...events);
      expect(ids((await t.mustGet('s', { eventNum: 3 })).events)).toEqual(ids(events.slice(4)));
      expect(ids((await t.mustGet('s', { eventNum: 1 })).events)).toEqual([events[4]!.id, events[5]!.id]);
    }));

  it('puts the last earlier user message in front when the window has none (eventNum + 1 events)', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const u1 = t.user('u1');
      const u2 = t.user('u2');
      const tail = [t.assistant('a1'), t.assistant('a2'), t.assistant('a3'), t.assistant('a4')];
      await t.append(session, u1, u2, ...tail);
      const read = await t.mustGet('s', { eventNum: 2 });
      expect(ids(read.events)).toEqual([u2.id, tail[2]!.id, tail[3]!.id]);
    }));

  it('returns no events when the session has no user message at all', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.assistant('a1'), t.assistant('a2'));
      expect((await t.mustGet('s')).events).toEqual([]);
      expect((await t.mustGet('s', { eventNum: 1 })).events).toEqual([]);
    }));

  it("applies the service's sessionEventLimit when the call gives no eventNum", () =>
    h.run({ sessionEventLimit: 3 }, async (t) => {
      const session = await t.create('s');
      const events = [t.user('u1'), t.assistant('a1'), t.user('u2'), t.assistant('a2'), t.user('u3')];
      await t.append(session, ...events);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events.slice(2)));
      expect(ids((await t.mustGet('s', { eventNum: 5 })).events)).toEqual(ids(events));
      expect(ids((await t.list())[0]?.events ?? [])).toEqual(ids(events.slice(2)));
    }));

  it('keeps all events in storage beyond the event limit', () =>
    h.run({ sessionEventLimit: 2 }, async (t) => {
      const session = await t.create('s');
      const events = turns(t, 2);
      await t.append(session, ...events);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids(events.slice(2)));
      expect(ids((await t.mustGet('s', { eventNum: 10 })).events)).toEqual(ids(events));
      const window = await t.svc.getEventWindow(t.key('s'), events[3]!.id, { before: 10, after: 0 });
      expect(ids(window)).toEqual(ids(events));
    }));

  it('limits a read to 1000 events by default', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events: Event[] = [];
      for (let i = 0; i < 1005; i++) events.push(t.user(`u${i}`));
      // One batch: appended one by one, the 1005 round trips cost seconds per backend.
      await t.svc.appendEvents(session, events);
      const read = await t.mustGet('s');
      expect(read.events).toHaveLength(1000);
      expect(read.events[0]?.id).toBe(events[5]!.id);
      expect(read.events.at(-1)?.id).toBe(events[1004]!.id);
    }));

  it("starts eventTime at the first event stamped at or after it, by the event's own timestamp", () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const u1 = t.user('u1');
      const a1 = t.assistant('a1');
      const u2 = t.user('u2');
      const a2 = t.assistant('a2');
      await t.append(session, u1, a1, u2, a2);
      expect(ids((await t.mustGet('s', { eventTime: u2.timestamp })).events)).toEqual([u2.id, a2.id]);
      const between = new Date(a1.timestamp.getTime() + 1);
      expect(ids((await t.mustGet('s', { eventTime: between })).events)).toEqual([u2.id, a2.id]);
      // Cut at a1, then anchored on the first user message after it.
      expect(ids((await t.mustGet('s', { eventTime: a1.timestamp })).events)).toEqual([u2.id, a2.id]);
      expect(ids((await t.mustGet('s', { eventTime: u1.timestamp })).events)).toEqual(ids([u1, a1, u2, a2]));
    }));

  it('keeps later events stamped before eventTime once the cut is made', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const start = t.clock.now().getTime();
      const at = (minutes: number) => new Date(start + minutes * 60_000);
      const u1 = t.user('u1', { timestamp: at(0) });
      const u2 = t.user('u2', { timestamp: at(5) });
      const late = t.assistant('stamped early, appended late', { timestamp: at(2) });
      const a2 = t.assistant('a2', { timestamp: at(6) });
      await t.append(session, u1, u2, late, a2);
      const read = await t.mustGet('s', { eventTime: at(4) });
      expect(ids(read.events)).toEqual([u2.id, late.id, a2.id]);
    }));

  it('returns only the last user message when every event is before eventTime', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = turns(t, 2);
      await t.append(session, ...events);
      const read = await t.mustGet('s', { eventTime: t.tick(60_000) });
      expect(ids(read.events)).toEqual(ids(filterEvents(events, { eventTime: t.clock.now() })));
      expect(ids(read.events)).toEqual([events[2]!.id]);
    }));

  it('combines eventTime and eventNum as the read filter does', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = [
        t.user('u1'),
        t.assistant('a1'),
        t.user('u2'),
        t.assistant('a2'),
        t.assistant('a3'),
        t.assistant('a4'),
      ];
      await t.append(session, ...events);
      const filter = { eventTime: events[1]!.timestamp, eventNum: 2 };
      const read = await t.mustGet('s', filter);
      expect(ids(read.events)).toEqual(ids(filterEvents(events, filter)));
      expect(ids(read.events)).toEqual([events[2]!.id, events[4]!.id, events[5]!.id]);
    }));

  it('pages events from the newest, oldest first, without anchoring', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const events = [
        t.user('e1'),
        t.assistant('e2'),
        t.assistant('e3'),
        t.user('e4'),
        t.assistant('e5'),
        t.assistant('e6'),
      ];
      await t.append(session, ...events);
      const page = async (offset: number, limit: number) =>
        ids((await t.mustGet('s', { eventPage: { offset, limit } })).events);
      expect(await page(0, 2)).toEqual(ids(events.slice(4)));
      expect(await page(2, 3)).toEqual(ids(events.slice(1, 4)));
      expect(await page(1, 1)).toEqual([events[4]!.id]);
      expect(await page(4, 10)).toEqual(ids(events.slice(0, 2)));
      expect(await page(6, 2)).toEqual([]);
      // Each bound at its largest: their sum is past a 32-bit integer.
      const MAX = 2_147_483_647;
      expect(await page(1, MAX)).toEqual(ids(events.slice(0, 5)));
      expect(await page(MAX, MAX)).toEqual([]);
      expect(await page(MAX, 1)).toEqual([]);
    }));

  it('pages past the event limit', () =>
    h.run({ sessionEventLimit: 2 }, async (t) => {
      const session = await t.create('s');
      const events = [t.user('e1'), t.assistant('e2'), t.user('e3'), t.assistant('e4'), t.assistant('e5')];
      await t.append(session, ...events);
      const read = await t.mustGet('s', { eventPage: { offset: 0, limit: 5 } });
      expect(ids(read.events)).toEqual(ids(events));
    }));
}
