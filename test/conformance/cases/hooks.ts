import { expect, it } from 'vitest';
import type { AppendEventHook, GetSessionHook } from '../../../src/session/hooks.js';
import { newSession } from '../../../src/session/session.js';
import { stateOf, textValue } from '../../../src/session/state.js';
import { contentOf, tracingAppendHook, tracingGetSessionHook } from '../fakes.js';
import { expectInvalid, type Harness, ids, text } from './harness.js';

export function hookCases(h: Harness): void {
  it('runs append hooks in order around the storage step', () => {
    const log: string[] = [];
    const storedDuring: number[] = [];
    const probe: AppendEventHook = async (ctx, next) => {
      await next();
      storedDuring.push(ctx.session.events.length);
    };
    return h.run(
      { appendEventHooks: [tracingAppendHook('first', log), tracingAppendHook('second', log), probe] },
      async (t) => {
        const session = await t.create('s');
        const event = t.user('hi');
        await t.svc.appendEvent(session, event);
        expect(log).toEqual(['first:before', 'second:before', 'second:after', 'first:after']);
        expect(storedDuring).toEqual([1]);
        expect(ids((await t.mustGet('s')).events)).toEqual([event.id]);
      },
    );
  });

  it('stops the append when a hook does not call next: nothing stored, state untouched', () => {
    const block: AppendEventHook = async (ctx, next) => {
      if (contentOf(ctx.event) === 'blocked') return;
      await next();
    };
    return h.run({ appendEventHooks: [block] }, async (t) => {
      const session = await t.create('s');
      const allowed = t.user('allowed');
      await t.svc.appendEvent(session, allowed);
      const stopped = t.user('blocked', { stateDelta: stateOf({ leaked: 'yes' }) });
      await t.svc.appendEvent(session, stopped);
      expect(ids(session.events)).toEqual([allowed.id]);
      expect(text(session.state, 'leaked')).toBeUndefined();
      const read = await t.mustGet('s');
      expect(ids(read.events)).toEqual([allowed.id]);
      expect(text(read.state, 'leaked')).toBeUndefined();
    });
  });

  it('stores the event a hook puts in its place', () => {
    const redact: AppendEventHook = async (ctx, next) => {
      ctx.event = {
        ...ctx.event,
        id: `${ctx.event.id}-redacted`,
        choices: [{ index: 0, message: { role: 'user', content: '[redacted]' } }],
      };
      await next();
    };
    return h.run({ appendEventHooks: [redact] }, async (t) => {
      const session = await t.create('s');
      const original = t.user('my password is hunter2');
      await t.svc.appendEvent(session, original);
      const [stored] = (await t.mustGet('s')).events;
      expect(stored?.id).toBe(`${original.id}-redacted`);
      expect(stored && contentOf(stored)).toBe('[redacted]');
      expect(contentOf(original)).toBe('my password is hunter2');
    });
  });

  it('runs get-session hooks in order and lets them post-process the session', () => {
    const log: string[] = [];
    const stamp: GetSessionHook = async (_ctx, next) => {
      const session = await next();
      if (session) session.state.hooked = textValue('yes');
      return session;
    };
    return h.run(
      { getSessionHooks: [tracingGetSessionHook('outer', log), stamp, tracingGetSessionHook('inner', log)] },
      async (t) => {
        await t.create('s');
        const read = await t.mustGet('s');
        expect(text(read.state, 'hooked')).toBe('yes');
        expect(log).toEqual(['outer:before', 'inner:before', 'inner:after', 'outer:after']);
      },
    );
  });

  it('lets a get-session hook short-circuit the read', () => {
    const hide: GetSessionHook = async (ctx, next) => (ctx.key.sessionId === 'hidden' ? null : next());
    const fabricate: GetSessionHook = async (ctx, next) =>
      ctx.key.sessionId === 'virtual' ? newSession(ctx.key, new Date(0)) : next();
    return h.run({ getSessionHooks: [hide, fabricate] }, async (t) => {
      await t.create('hidden');
      await t.create('shown');
      expect(await t.get('hidden')).toBeNull();
      expect((await t.get('shown'))?.id).toBe('shown');
      const virtual = await t.get('virtual');
      expect(virtual?.id).toBe('virtual');
      expect(virtual?.createdAt.getTime()).toBe(0);
    });
  });

  it('lets a get-session hook change the read options', () => {
    const lastOnly: GetSessionHook = async (ctx, next) => {
      ctx.options = { ...ctx.options, eventNum: 1 };
      return next();
    };
    return h.run({ getSessionHooks: [lastOnly] }, async (t) => {
      const session = await t.create('s');
      const events = [t.user('u1'), t.user('u2'), t.user('u3')];
      await t.append(session, ...events);
      expect(ids((await t.mustGet('s')).events)).toEqual([events[2]!.id]);
    });
  });

  it('validates the key before running any hook', () => {
    let appendCalls = 0;
    let getCalls = 0;
    const countAppend: AppendEventHook = async (_ctx, next) => {
      appendCalls += 1;
      await next();
    };
    const countGet: GetSessionHook = async (_ctx, next) => {
      getCalls += 1;
      return next();
    };
    return h.run({ appendEventHooks: [countAppend], getSessionHooks: [countGet] }, async (t) => {
      const session = await t.create('s');
      await expectInvalid(() => t.svc.appendEvent({ ...session, userId: '' }, t.user('hi')), 'userId');
      await expectInvalid(() => t.svc.getSession({ ...t.key('s'), sessionId: '' }), 'sessionId');
      expect(appendCalls).toBe(0);
      expect(getCalls).toBe(0);
    });
  });

  it('refuses a hook that calls next() twice with a CONFIG error naming it, the event stored once', async () => {
    const pass: AppendEventHook = (_ctx, next) => next();
    const twiceAppend: AppendEventHook = async (_ctx, next) => {
      await next();
      await next();
    };
    await h.run({ appendEventHooks: [pass, twiceAppend] }, async (t) => {
      const session = await t.create('s');
      const event = t.user('once');
      await expect(t.svc.appendEvent(session, event)).rejects.toMatchObject({
        code: 'CONFIG',
        field: 'appendEventHooks[1]',
        message:
          'appendEventHooks[1]: called next() more than once; only the first call ran the rest of the chain',
      });
      expect(ids((await t.mustGet('s')).events)).toEqual([event.id]);
    });
    const twiceGet: GetSessionHook = async (_ctx, next) => {
      await next();
      return next();
    };
    await h.run({ getSessionHooks: [twiceGet] }, async (t) => {
      await t.create('s');
      await expect(t.svc.getSession(t.key('s'))).rejects.toMatchObject({
        code: 'CONFIG',
        field: 'getSessionHooks[0]',
      });
    });
  });
}
