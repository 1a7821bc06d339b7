import { checkOptionsObject } from './arguments.js';
import { encodeEvent } from './codec/index.js';
import { ConfigError, readCallerValue } from './errors.js';
import type { Event } from './event.js';
import { checkSessionKey, type SessionKey, sessionKeyOf } from './keys.js';
import { type AppendEventOptions, checkGetSessionOptions, type GetSessionOptions } from './options.js';
import { applyEventToSession, type Session } from './session.js';

/** What an append hook sees; it may replace `event` or `key` before calling `next`. */
export interface AppendEventContext {
  session: Session;
  event: Event;
  key: SessionKey;
  options: AppendEventOptions;
}

/** What a get-session hook sees; it may change `key` or `options` before calling `next`. */
export interface GetSessionContext {
  key: SessionKey;
  options: GetSessionOptions;
}

/**
 * Middleware around appendEvent. Hooks run in the order given, storage last; a hook that does not
 * call `next` stops the append (nothing is applied or stored).
 */
export type AppendEventHook = (ctx: AppendEventContext, next: () => Promise<void>) => Promise<void>;

/** Middleware around getSession; it may short-circuit or post-process the returned session. */
export type GetSessionHook = (
  ctx: GetSessionContext,
  next: () => Promise<Session | null>,
) => Promise<Session | null>;

/**
 * Runs `hooks` in order around `terminal`. Each hook gets a `next` that runs the rest of the
 * chain; calling `next` twice is a bug in the hook and is refused, since it would store twice:
 * a CONFIG error naming the hook (`field[index]`, the option that holds it), so a caller does
 * not take it for a failed write and retry what the first call stored.
 */
export function runHookChain<C, R>(
  field: 'appendEventHooks' | 'getSessionHooks',
  hooks: readonly ((ctx: C, next: () => Promise<R>) => Promise<R>)[],
  ctx: C,
  terminal: (ctx: C) => Promise<R>,
): Promise<R> {
  const step = (index: number): Promise<R> => {
    const hook = hooks[index];
    if (!hook) return terminal(ctx);
    let called = false;
    return hook(ctx, () => {
      if (called) {
        const rule = 'called next() more than once; only the first call ran the rest of the chain';
        return Promise.reject(new ConfigError(`${field}[${index}]`, rule));
      }
      called = true;
      return step(index + 1);
    });
  };
  return step(0);
}

/**
 * getSession through its hooks, the same on every backend: the caller's key and options are
 * checked, the hooks see copies of them, and what reaches `read` is checked again (a hook may
 * have changed it) and passed as a fresh key holding only the key fields.
 */
export function runGetSessionHooks(
  hooks: readonly GetSessionHook[],
  key: SessionKey,
  options: GetSessionOptions,
  read: (key: SessionKey, options: GetSessionOptions) => Promise<Session | null>,
): Promise<Session | null> {
  checkSessionKey(key);
  checkOptionsObject(options);
  checkGetSessionOptions(options);
  const ctx: GetSessionContext = { key: sessionKeyOf(key), options: copyOptions(options) };
  return runHookChain('getSessionHooks', hooks, ctx, async (c) => {
    checkSessionKey(c.key);
    checkGetSessionOptions(c.options);
    return read(sessionKeyOf(c.key), c.options);
  });
}

/**
 * The copy of the caller's options the hooks see (extra properties too): a Proxy trap of the
 * caller's that throws while it is copied is an INVALID_ARGUMENT naming the options.
 */
function copyOptions<O extends object>(options: O): O {
  return readCallerValue('options', () => ({ ...options }));
}

/** One event on its way through the append hooks; `json` is the event as the caller gave it, encoded. */
export interface AppendInput {
  session: Session;
  event: Event;
  key: SessionKey;
  options: AppendEventOptions;
  json: string;
}

/**
 * One event through the append hooks, the same on every backend: the hooks see a copy of the
 * options, and `store` gets the context as they left it with the JSON to store. Without hooks that
 * is the caller's encoding; after hooks the event and key are validated again as they are now,
 * since a hook may have replaced or edited them. A hook that does not call `next` stores nothing.
 */
export async function runAppendEventHooks(
  hooks: readonly AppendEventHook[],
  { session, event, key, options, json }: AppendInput,
  store: (c: AppendEventContext, json: string) => void | Promise<void>,
): Promise<void> {
  const ctx: AppendEventContext = { session, event, key, options: copyOptions(options) };
  await runHookChain('appendEventHooks', hooks, ctx, async (c) => {
    const stored = hooks.length === 0 ? json : encodeEvent(c.event);
    if (hooks.length > 0) checkSessionKey(c.key);
    await store(c, stored);
  });
}

/**
 * An accepted append applied to the caller's session object, as the hooks left the event and the
 * options: the state delta, and the events re-filtered by the call's `eventNum` / `eventTime`.
 */
export function applyToCallerSession(c: AppendEventContext, now: Date): void {
  const filter = { eventNum: c.options.eventNum, eventTime: c.options.eventTime };
  // The session object is the caller's: a getter or setter of it that throws (its events, its
  // state) is an INVALID_ARGUMENT naming it. Nothing is stored yet when it is thrown.
  readCallerValue('session', () => applyEventToSession(c.session, c.event, filter, now));
}
