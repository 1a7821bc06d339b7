import { describe, expect, it } from 'vitest';
import {
  checkEvent,
  checkJsonValue,
  createEvent,
  type Event,
  InMemorySessionService,
  isAgentSessionsError,
} from '../../src/index.js';

const key = { appName: 'app', userId: 'u' };

/** The error `run` throws, or undefined when it does not throw. */
async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
}

const hostile: [string, Event][] = [
  ['a NUL in the content', createEvent({ author: 'user', message: { role: 'user', content: 'a\u0000b' } })],
  [
    'an unpaired surrogate in an extension',
    createEvent({ author: 'user', extensions: { app: { text: '\ud800' } } }),
  ],
  ['a function in an extension', createEvent({ author: 'user', extensions: { app: () => 1 } })],
  [
    'a timestamp that is not a Date',
    { ...createEvent({ author: 'user' }), timestamp: 'now' as unknown as Date },
  ],
];

describe('checkEvent: the check appendEvent makes, without writing', () => {
  it('accepts an event the service stores', () => {
    expect(() =>
      checkEvent(createEvent({ author: 'user', message: { role: 'user', content: 'hi' } })),
    ).not.toThrow();
  });

  it.each(hostile)('refuses %s with the error appendEvent throws', async (_, event) => {
    const service = new InMemorySessionService();
    const session = await service.createSession(key);
    const checked = await errorOf(() => checkEvent(event));
    const appended = await errorOf(() => service.appendEvent(session, event));
    expect(isAgentSessionsError(checked, 'INVALID_ARGUMENT')).toBe(true);
    expect(checked).toEqual(appended);
    expect((checked as Error).message).toBe((appended as Error).message);
    expect((await service.getSession({ ...key, sessionId: session.id }))?.events).toEqual([]);
    await service.close();
  });
});

describe('checkJsonValue: the same rules for one value, named by the caller’s path', () => {
  it('accepts JSON data the service stores in an extension', () => {
    expect(() =>
      checkJsonValue({ a: [1, 'two', null, { b: true }], 'c d': 'é😀' }, 'messages[0]'),
    ).not.toThrow();
  });

  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  it.each([
    ['a NUL in a string', { parts: [{ text: 'a\u0000b' }] }, 'messages[1].parts[0].text', /NUL/],
    ['an unpaired surrogate', { note: 'x\udc00' }, 'messages[1].note', /unpaired surrogates/],
    ['a NUL in a key', { meta: { 'k\u0000': 1 } }, 'messages[1].meta key "k\\u0000"', /NUL/],
    ['a key that is not an identifier', { 'a b': '\u0000' }, 'messages[1]["a b"]', /NUL/],
    ['a function', { f: () => 1 }, 'messages[1].f', /./],
    ['a cycle', cycle, 'messages[1].self', /./],
    ['a number JSON cannot write', { n: Number.NaN }, 'messages[1].n', /./],
  ])('refuses %s, naming it under the given path', (_what, value, field, rule) => {
    let error: unknown;
    try {
      checkJsonValue(value, 'messages[1]');
    } catch (e) {
      error = e;
    }
    expect(isAgentSessionsError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
    expect((error as { field?: string }).field).toBe(field);
    expect((error as Error).message.startsWith(`${field} `)).toBe(true);
    expect((error as Error).message).toMatch(rule);
  });
});
