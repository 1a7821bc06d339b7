import { describe, expect, it } from 'vitest';
import {
  checkEvent,
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
