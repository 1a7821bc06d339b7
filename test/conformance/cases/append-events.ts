import { expect, it } from 'vitest';
import type { AppendEventHook } from '../../../src/session/hooks.js';
import { stateOf } from '../../../src/session/state.js';
import { contentOf } from '../fakes.js';
import { type Env, expectError, expectInvalid, type Harness, ids, text } from './harness.js';

/** An assistant tool call and its result: the pair a framework hands over in one batch. */
function toolRound(t: Env, callId: string) {
  return [
    t.message('assistant', {
      role: 'assistant',
      content: '',
      tool_calls: [{ type: 'function', id: callId, function: { name: 'weather', arguments: '{}' } }],
    }),
    t.message('tool', { role: 'tool', content: 'sunny', tool_id: callId, tool_name: 'weather' }),
  ];
}

export function appendEventsCases(h: Harness): void {
  it('stores a batch in list order, applies every delta and changes the caller copy', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const first = t.user('weather?', { stateDelta: stateOf({ turn: '1', topic: 'weather' }) });
      const [call, result] = toolRound(t, 'call-1');
      const answer = t.assistant('sunny', { stateDelta: stateOf({ turn: '2' }) });
      await t.svc.appendEvents(session, [first, call!, result!, answer]);
      const expected = ids([first, call!, result!, answer]);
      expect(ids(session.events)).toEqual(expected);
      const stored = await t.mustGet('s');
      expect(ids(stored.events)).toEqual(expected);
      expect(text(stored.state, 'turn')).toBe('2');
      expect(text(stored.state, 'topic')).toBe('weather');
    }));

  it('keeps a batch after the appends made before it and before those made after it', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const before = t.user('before');
      const batch = toolRound(t, 'call-1');
      const after = t.assistant('after');
      await t.svc.appendEvent(session, before);
      await t.svc.appendEvents(session, batch);
      await t.svc.appendEvent(session, after);
      expect(ids((await t.mustGet('s')).events)).toEqual(ids([before, ...batch, after]));
    }));

  it('applies the delta of an event it does not store, and treats an empty list as nothing', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const question = t.user('question');
      const chunk = t.assistant('half', { is_partial: true, stateDelta: stateOf({ seen: 'chunk' }) });
      const whole = t.assistant('whole');
      await t.svc.appendEvents(session, []);
      await t.svc.appendEvents(session, [question, chunk, whole]);
      const stored = await t.mustGet('s');
      expect(ids(stored.events)).toEqual([question.id, whole.id]);
      expect(text(stored.state, 'seen')).toBe('chunk');
    }));

  it('refuses a batch with one invalid event before anything changes', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const good = t.user('fine');
      const bad = t.assistant('nul \u0000 inside');
      await expectInvalid(() => t.svc.appendEvents(session, [good, bad]), /^events\[1\]/);
      await expectInvalid(() => t.svc.appendEvents(session, 'nope' as never), 'events');
      await expectInvalid(() => t.svc.appendEvents(session, [good, null as never]), 'events[1]');
      // A hole of a sparse array is refused as undefined is, not skipped.
      // biome-ignore lint/suspicious/noSparseArray: the hole is the input under test
      await expectInvalid(() => t.svc.appendEvents(session, [good, , t.user('after')] as never), 'events[1]');
      expect(session.events).toEqual([]);
      expect((await t.mustGet('s')).events).toEqual([]);
    }));

  it('fails with NOT_FOUND on a missing session and stores nothing', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.svc.deleteSession(t.key('s'));
      const batch = [t.user('weather?'), ...toolRound(t, 'call-1')];
      await expectError(() => t.svc.appendEvents(session, batch), 'NOT_FOUND');
      await t.create('s');
      expect((await t.mustGet('s')).events).toEqual([]);
    }));

  it('stores nothing of the batch when a hook fails on a later event', () => {
    const failOnResult: AppendEventHook = async (ctx, next) => {
      if (contentOf(ctx.event) === 'sunny') throw new Error('hook refused the result');
      await next();
    };
    return h.run({ appendEventHooks: [failOnResult] }, async (t) => {
      const session = await t.create('s');
      const batch = [t.user('weather?'), ...toolRound(t, 'call-1')];
      await expect(t.svc.appendEvents(session, batch)).rejects.toThrow('hook refused the result');
      expect((await t.mustGet('s')).events).toEqual([]);
    });
  });

  it('never interleaves two concurrent batches of one session', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const other = (await t.svc.getSession(t.key('s')))!;
      const a = Array.from({ length: 6 }, (_, i) => t.user(`a${i}`));
      const b = Array.from({ length: 6 }, (_, i) => t.user(`b${i}`));
      await Promise.all([t.svc.appendEvents(session, a), t.svc.appendEvents(other, b)]);
      const stored = ids((await t.mustGet('s')).events);
      const aThenB = ids([...a, ...b]);
      const bThenA = ids([...b, ...a]);
      expect([aThenB, bThenA]).toContainEqual(stored);
    }));
}
