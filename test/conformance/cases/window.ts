import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Event } from '../../../src/session/event.js';
import { type Env, expectError, expectInvalid, type Harness, ids } from './harness.js';

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

/** An assistant's tool call: stored, but never shown in a window. */
function toolCall(t: Env, id: string): Event {
  return t.message('assistant', {
    role: 'assistant',
    tool_calls: [{ type: 'function', id, function: { name: 'weather', arguments: '{}' } }],
  });
}

/** A tool's result: shown, under the role `tool`. */
function toolResult(t: Env, id: string): Event {
  return t.message('weather', { role: 'tool', content: '{"temp":24}', tool_id: id, tool_name: 'weather' });
}

/**
 * A turn with every kind of event a window skips, between a question and an answer: a tool call,
 * a reasoning-only message, an image alone, blank text (Go's white space: U+0085, U+3000), a
 * system message; and what it shows: a tool result, text in a content part, a message without a
 * role (an assistant's), text that is only a U+FEFF (which Go's TrimSpace keeps).
 */
async function mixedTurn(t: Env) {
  const session = await t.create('s');
  const e = {
    question: t.user('what is the weather?'),
    call: toolCall(t, 'c1'),
    result: toolResult(t, 'c1'),
    reasoning: t.message('assistant', { role: 'assistant', reasoning_content: 'thinking' }),
    image: t.message('user', {
      role: 'user',
      content_parts: [{ type: 'image', image: { url: 'https://example.com/a.png', data: null } }],
    }),
    blank: t.message('assistant', { role: 'assistant', content: ' \u0085\u3000\t' }),
    system: t.message('system', { role: 'system', content: 'be brief' }),
    part: t.message('user', {
      role: 'user',
      content: ' ',
      content_parts: [{ type: 'text', text: 'from a part' }],
    }),
    noRole: t.message('assistant', { role: '', content: 'no role' } as never),
    bom: t.message('assistant', { role: 'assistant', content: '\ufeff' }),
    answer: t.assistant('sunny'),
  };
  await t.append(session, ...Object.values(e));
  await t.svc.flush();
  return e;
}

const SEED = Number(process.env.FC_SEED ?? 20_261_206);

/** The kinds of event a generated session holds, and the role a window files each under (none: skipped). */
const KINDS = {
  user: 'user',
  assistant: 'assistant',
  result: 'tool',
  part: 'user',
  call: undefined,
  reasoning: undefined,
  blank: undefined,
  system: undefined,
} as const;
type Kind = keyof typeof KINDS;

function eventOf(t: Env, kind: Kind, n: number): Event {
  switch (kind) {
    case 'user':
      return t.user(`u${n}`);
    case 'assistant':
      return t.assistant(`a${n}`);
    case 'result':
      return toolResult(t, `c${n}`);
    case 'part':
      return t.message('user', {
        role: 'user',
        content: '',
        content_parts: [{ type: 'text', text: `p${n}` }],
      });
    case 'call':
      return toolCall(t, `c${n}`);
    case 'reasoning':
      return t.message('assistant', { role: 'assistant', reasoning_content: `r${n}` });
    case 'blank':
      return t.message('assistant', { role: 'assistant', content: '\u3000 \n' });
    case 'system':
      return t.message('system', { role: 'system', content: `s${n}` });
  }
}

export function windowCases(h: Harness): void {
  it('matches a plain filter of the stored list, for generated sessions, anchors, sizes and roles', () =>
    h.run({}, async (t) => {
      const kind = fc.constantFrom(...(Object.keys(KINDS) as Kind[]));
      const roles = fc.option(fc.subarray(['user', 'assistant', 'tool', 'system']), { nil: undefined });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(kind, { minLength: 1, maxLength: 40 }),
          fc.nat(),
          fc.nat({ max: 12 }),
          fc.nat({ max: 12 }),
          roles,
          async (kinds, at, before, after, only) => {
            const sessionId = `p${run++}`;
            const session = await t.create(sessionId);
            const events = kinds.map((k, n) => eventOf(t, k, n));
            await t.append(session, ...events);
            await t.svc.flush();
            // The model: the events a window shows, as a list; the anchor's place in it.
            const allowed = new Set(only?.length ? only : ['user', 'assistant', 'tool']);
            const shown = events.filter(
              (_, i) => KINDS[kinds[i]!] !== undefined && allowed.has(KINDS[kinds[i]!]!),
            );
            const anchor = events[at % events.length]!;
            const place = shown.indexOf(anchor);
            const call = () =>
              t.svc.getEventWindow(t.key(sessionId), anchor.id, {
                before,
                after,
                ...(only ? { roles: only } : {}),
              });
            if (place < 0) {
              await expectError(call, 'NOT_FOUND', 'anchorEventId');
              return;
            }
            expect(ids(await call())).toEqual(
              ids(shown.slice(Math.max(0, place - before), place + after + 1)),
            );
          },
        ),
        { seed: SEED, numRuns: 25 },
      );
    }));

  it('shows only messages with text, as Go does: tool calls, reasoning, images, blank text and system messages are skipped and not counted', () =>
    h.run({}, async (t) => {
      const e = await mixedTurn(t);
      const window = await t.svc.getEventWindow(t.key('s'), e.result.id, { before: 5, after: 5 });
      expect(ids(window)).toEqual(ids([e.question, e.result, e.part, e.noRole, e.bom, e.answer]));
      const narrow = await t.svc.getEventWindow(t.key('s'), e.part.id, { before: 1, after: 1 });
      expect(ids(narrow)).toEqual(ids([e.result, e.part, e.noRole]));
    }));

  it('refuses an anchor the window would not show (a tool call, a reasoning-only message) with NOT_FOUND', () =>
    h.run({}, async (t) => {
      const e = await mixedTurn(t);
      for (const anchor of [e.call, e.reasoning, e.image, e.blank, e.system]) {
        await expectError(
          () => t.svc.getEventWindow(t.key('s'), anchor.id, { before: 1, after: 1 }),
          'NOT_FOUND',
          'anchorEventId',
        );
      }
    }));

  it('narrows the window to the roles given, the anchor included; a tool result is a tool message', () =>
    h.run({}, async (t) => {
      const e = await mixedTurn(t);
      const key = t.key('s');
      const users = await t.svc.getEventWindow(key, e.part.id, { before: 9, after: 9, roles: ['user'] });
      expect(ids(users)).toEqual(ids([e.question, e.part]));
      const some = await t.svc.getEventWindow(key, e.result.id, {
        before: 9,
        after: 9,
        roles: [' tool ', 'assistant'],
      });
      expect(ids(some)).toEqual(ids([e.result, e.noRole, e.bom, e.answer]));
      const all = await t.svc.getEventWindow(key, e.result.id, { before: 9, after: 9, roles: ['', '  '] });
      expect(ids(all)).toHaveLength(6);
      await expectError(
        () => t.svc.getEventWindow(key, e.question.id, { before: 1, after: 1, roles: ['assistant'] }),
        'NOT_FOUND',
      );
      await expectError(
        () => t.svc.getEventWindow(key, e.system.id, { before: 1, after: 1, roles: ['system'] }),
        'NOT_FOUND',
      );
    }));

  it('counts past long runs of skipped events on both sides', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      const calls = (n: number, tag: string) =>
        Array.from({ length: n }, (_, i) => toolCall(t, `${tag}${i}`));
      const first = t.user('first');
      const middle = t.assistant('middle');
      const last = t.user('last');
      await t.append(session, first, ...calls(40, 'a'), middle, ...calls(40, 'b'), last, ...calls(5, 'c'));
      await t.svc.flush();
      const window = await t.svc.getEventWindow(t.key('s'), middle.id, { before: 1, after: 3 });
      expect(ids(window)).toEqual(ids([first, middle, last]));
    }));

  it("trims the anchor id and the roles as Go's TrimSpace does: U+0085 is space, U+FEFF is not", () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const key = t.key('s');
      const id = events[2]!.id;
      const window = await t.svc.getEventWindow(key, `\u0085\u3000${id}\u0085`, { before: 1, after: 1 });
      expect(ids(window)).toEqual(ids(events.slice(1, 4)));
      await expectError(() => t.svc.getEventWindow(key, `\ufeff${id}`, { before: 1, after: 1 }), 'NOT_FOUND');
      await expectInvalid(
        () => t.svc.getEventWindow(key, '\u0085\u2028', { before: 1, after: 1 }),
        'anchorEventId',
      );
      const users = await t.svc.getEventWindow(key, id, {
        before: 5,
        after: 5,
        roles: ['user\u0085', '\u0085'],
      });
      expect(ids(users)).toEqual(ids([events[0]!, events[2]!, events[4]!]));
      await expectError(
        () => t.svc.getEventWindow(key, id, { before: 1, after: 1, roles: ['\ufeffuser'] }),
        'NOT_FOUND',
      );
    }));

  it('refuses roles that are not an array of strings, naming the field', () =>
    h.run({}, async (t) => {
      const events = await conversation(t);
      const key = t.key('s');
      await expectInvalid(
        () => t.svc.getEventWindow(key, events[0]!.id, { before: 1, after: 1, roles: 'user' as never }),
        'roles',
      );
      await expectInvalid(
        () => t.svc.getEventWindow(key, events[0]!.id, { before: 1, after: 1, roles: ['user', 7] as never }),
        'roles[1]',
      );
    }));

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
