import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { ManualClock } from '../../../src/session/clock.js';
import {
  type AgentSessionsError,
  type ErrorCode,
  isAgentSessionsError,
} from '../../../src/session/errors.js';
import { createEvent, type Event, type Message } from '../../../src/session/event.js';
import type { SessionKey, UserKey } from '../../../src/session/keys.js';
import type { GetSessionOptions, ListSessionsOptions } from '../../../src/session/options.js';
import type { SessionService } from '../../../src/session/service.js';
import type { SessionServiceOptions } from '../../../src/session/service-options.js';
import type { Session } from '../../../src/session/session.js';
import { newStateMap, type StateMap } from '../../../src/session/state.js';
import type { ConformanceBackend } from '../suite.js';

/** Every case's clock starts here, so timestamps in failures are easy to read. */
export const START = Date.UTC(2026, 2, 1, 0, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** One case's world: its own service, clock and app name, so cases never see each other's rows. */
export interface Env {
  svc: SessionService;
  clock: ManualClock;
  app: string;
  userId: string;
  /** The key of a session of this case's user. */
  key(sessionId: string): SessionKey;
  userKey(userId?: string): UserKey;
  /** Creates a session of this case's user. */
  create(sessionId?: string, state?: StateMap): Promise<Session>;
  /** Waits for accepted writes (flush), then reads the session. */
  get(sessionId: string, options?: GetSessionOptions): Promise<Session | null>;
  /** As {@link get}, failing the case when the session is missing. */
  mustGet(sessionId: string, options?: GetSessionOptions): Promise<Session>;
  /** Waits for accepted writes (flush), then lists this case's user's sessions. */
  list(options?: ListSessionsOptions, userId?: string): Promise<Session[]>;
  /** Appends events one after another. */
  append(session: Session, ...events: Event[]): Promise<void>;
  /** Moves the clock forward (1 second by default) and returns the new now. */
  tick(ms?: number): Date;
  /** A user message stamped one second after the previous clock reading. */
  user(text: string, extra?: Partial<Event>): Event;
  /** An assistant message stamped one second after the previous clock reading. */
  assistant(text: string, extra?: Partial<Event>): Event;
  /** An event with the given message, stamped one second after the previous clock reading. */
  message(author: string, message: Message, extra?: Partial<Event>): Event;
}

export interface Harness {
  backend: ConformanceBackend;
  /** Runs `fn` against a fresh service (closed afterwards, whatever happens). */
  run(options: Partial<SessionServiceOptions>, fn: (env: Env) => Promise<void>): Promise<void>;
}

export function newAppName(): string {
  return `app-${randomUUID()}`;
}

export function createHarness(backend: ConformanceBackend): Harness {
  return {
    backend,
    async run(options, fn) {
      const clock = new ManualClock(START);
      const svc = await backend.create({ ...options, clock });
      try {
        await fn(makeEnv(svc, clock));
      } finally {
        await svc.close();
      }
    },
  };
}

function makeEnv(svc: SessionService, clock: ManualClock): Env {
  const app = newAppName();
  const user = `user-${randomUUID().slice(0, 8)}`;
  const key = (sessionId: string): SessionKey => ({ appName: app, userId: user, sessionId });
  const message = (author: string, msg: Message, extra: Partial<Event> = {}): Event => {
    clock.advance(SECOND);
    return createEvent({ author, message: msg, now: clock.now(), ...extra });
  };
  const env: Env = {
    svc,
    clock,
    app,
    userId: user,
    key,
    userKey: (userId = user) => ({ appName: app, userId }),
    create: (sessionId, state) =>
      svc.createSession(
        { appName: app, userId: user, ...(sessionId === undefined ? {} : { sessionId }) },
        state,
      ),
    async get(sessionId, options) {
      await svc.flush();
      return svc.getSession(key(sessionId), options);
    },
    async mustGet(sessionId, options) {
      const session = await env.get(sessionId, options);
      expect(session, `session ${sessionId} should exist`).not.toBeNull();
      return session!;
    },
    async list(options, userId = user) {
      await svc.flush();
      return svc.listSessions({ appName: app, userId }, options);
    },
    async append(session, ...events) {
      for (const event of events) await svc.appendEvent(session, event);
    },
    tick(ms = SECOND) {
      clock.advance(ms);
      return clock.now();
    },
    user: (text, extra) => message('user', { role: 'user', content: text }, extra),
    assistant: (text, extra) => message('assistant', { role: 'assistant', content: text }, extra),
    message,
  };
  return env;
}

/** The ids of events, in order. */
export function ids(events: readonly Event[]): string[] {
  return events.map((event) => event.id);
}

/** A state map of text values (null stays null). */
export function textState(values: Record<string, string | null>): StateMap {
  const state = newStateMap();
  for (const [key, value] of Object.entries(values))
    state[key] = value === null ? null : new TextEncoder().encode(value);
  return state;
}

/** A state value as text: undefined when absent, null when null. */
export function text(state: StateMap | undefined, key: string): string | null | undefined {
  if (!state || !Object.hasOwn(state, key)) return undefined;
  const value = state[key];
  return value === null || value === undefined ? null : new TextDecoder().decode(value);
}

/**
 * Awaits a call that must reject with an {@link AgentSessionsError} of `code` (and, when given,
 * `field`). A synchronous throw fails the case: the contract is Promise-returning.
 */
export async function expectError(
  call: () => Promise<unknown>,
  code: ErrorCode,
  field?: string | RegExp,
): Promise<AgentSessionsError> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (err) {
    throw new Error(`expected a rejected promise, but the call threw synchronously: ${String(err)}`);
  }
  let error: unknown;
  let rejected = false;
  try {
    await promise;
  } catch (err) {
    rejected = true;
    error = err;
  }
  expect(rejected, `expected the call to fail with ${code}`).toBe(true);
  expect(isAgentSessionsError(error), `expected an AgentSessionsError, got ${String(error)}`).toBe(true);
  const typed = error as AgentSessionsError;
  expect(typed.code, typed.message).toBe(code);
  if (typeof field === 'string') expect(typed.field, typed.message).toBe(field);
  else if (field) expect(typed.field, typed.message).toMatch(field);
  return typed;
}

/**
 * A write (appendEvent, appendTrackEvent) that fails with `code`: at once, or, on a backend with
 * deferred write errors, at the next flush(), whose error carries the write's error as its cause.
 */
export async function expectWriteError(
  h: Harness,
  svc: SessionService,
  write: () => Promise<unknown>,
  code: ErrorCode,
): Promise<AgentSessionsError> {
  if (!h.backend.deferredWriteErrors) return expectError(write, code);
  await write();
  const error = await svc.flush().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected flush() to report the failed write').toBeInstanceOf(Error);
  const cause = (error as Error).cause;
  expect(isAgentSessionsError(cause, code), String(error)).toBe(true);
  return cause as AgentSessionsError;
}

/** A write to a missing or deleted session fails with NOT_FOUND (see expectWriteError). */
export async function expectWriteNotFound(
  h: Harness,
  svc: SessionService,
  write: () => Promise<unknown>,
): Promise<void> {
  await expectWriteError(h, svc, write, 'NOT_FOUND');
}

export const expectInvalid = (call: () => Promise<unknown>, field?: string | RegExp) =>
  expectError(call, 'INVALID_ARGUMENT', field);

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
