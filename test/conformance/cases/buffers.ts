/**
 * State values given as Node.js Buffers: a Buffer is a Uint8Array whose `slice()` returns a view of
 * the same memory, so a copy made that way follows every later write into the caller's buffer.
 * Every backend stores its own copy and returns plain Uint8Arrays of their own.
 */
import { expect, it } from 'vitest';
import type { StateMap } from '../../../src/session/state.js';
import type { Harness } from './harness.js';

/** A state value as a Buffer, which the caller may write into after the call. */
const bufferOf = (value: string) => Buffer.from(value);

/** Fails unless `value` is a plain Uint8Array (not a Buffer) holding `expected`. */
function expectPlainBytes(value: Uint8Array | null | undefined, expected: string): void {
  expect(value).toBeInstanceOf(Uint8Array);
  expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype);
  expect(new TextDecoder().decode(value!)).toBe(expected);
}

/** Overwrites every value of a state map with `x`, as a caller reusing its buffers would. */
function scribble(state: StateMap): void {
  for (const value of Object.values(state)) value?.fill(0x78);
}

export function bufferCases(h: Harness): void {
  it('keeps its own copy of a Buffer given as initial or updated session state', () =>
    h.run({}, async (t) => {
      const initial = { b: bufferOf('hello') };
      const created = await t.create('s', initial);
      expectPlainBytes(created.state.b, 'hello');
      initial.b.write('XXXXX');
      expectPlainBytes(created.state.b, 'hello');
      expectPlainBytes((await t.mustGet('s')).state.b, 'hello');

      const update = { u: bufferOf('update') };
      await t.svc.updateSessionState(t.key('s'), update);
      update.u.write('YYYYYY');
      const read = await t.mustGet('s');
      expectPlainBytes(read.state.b, 'hello');
      expectPlainBytes(read.state.u, 'update');
    }));

  it('returns plain Uint8Arrays of their own: changing one read changes no later read', () =>
    h.run({}, async (t) => {
      await t.create('s', { b: bufferOf('hello') });
      const first = await t.mustGet('s');
      scribble(first.state);
      expectPlainBytes((await t.mustGet('s')).state.b, 'hello');
      const [listed] = await t.list();
      expectPlainBytes(listed!.state.b, 'hello');
      scribble(listed!.state);
      expectPlainBytes((await t.list())[0]!.state.b, 'hello');
    }));

  it('keeps its own copy of a Buffer given as app or user state', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const app = { v: bufferOf('appval') };
      const user = { v: bufferOf('userval') };
      await t.svc.updateAppState(t.app, app);
      await t.svc.updateUserState(t.userKey(), user);
      app.v.write('ZZZZZZ');
      user.v.write('ZZZZZZZ');
      await t.svc.flush();
      const apps = await t.svc.listAppStates(t.app);
      const users = await t.svc.listUserStates(t.userKey());
      expectPlainBytes(apps.v, 'appval');
      expectPlainBytes(users.v, 'userval');
      scribble(apps);
      scribble(users);
      expectPlainBytes((await t.svc.listAppStates(t.app)).v, 'appval');
      expectPlainBytes((await t.svc.listUserStates(t.userKey())).v, 'userval');
      const read = await t.mustGet('s');
      expectPlainBytes(read.state['app:v'], 'appval');
      expectPlainBytes(read.state['user:v'], 'userval');
    }));

  it("keeps its own copy of a Buffer in an event's state delta, stored and in the caller's session", () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const event = t.user('hi', { stateDelta: { d: bufferOf('delta') } });
      await t.append(session, event);
      event.stateDelta!.d!.fill(0x51);
      // The caller's session holds the delta as applied, not the event's buffer.
      expectPlainBytes(session.state.d, 'delta');
      const read = await t.mustGet('s');
      expectPlainBytes(read.state.d, 'delta');
      expectPlainBytes(read.events[0]!.stateDelta!.d, 'delta');
    }));

  it('keeps its own copy of a Buffer given as the state of replaceEvents', () =>
    h.run({}, async (t) => {
      await t.create('s');
      const state = { r: bufferOf('replaced') };
      await t.svc.replaceEvents(t.key('s'), { events: [t.user('new')], state });
      state.r.write('WWWWWWWW');
      expectPlainBytes((await t.mustGet('s')).state.r, 'replaced');
    }));
}
