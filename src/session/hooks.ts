import type { Event } from './event.js';
import type { SessionKey } from './keys.js';
import type { AppendEventOptions, GetSessionOptions } from './options.js';
import type { Session } from './session.js';

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
 * chain; calling `next` twice is a bug in the hook and is refused, since it would store twice.
 */
export function runHookChain<C, R>(
  hooks: readonly ((ctx: C, next: () => Promise<R>) => Promise<R>)[],
  ctx: C,
  terminal: (ctx: C) => Promise<R>,
): Promise<R> {
  const step = (index: number): Promise<R> => {
    const hook = hooks[index];
    if (!hook) return terminal(ctx);
    let called = false;
    return hook(ctx, () => {
      if (called) return Promise.reject(new Error(`hook #${index} called next() more than once`));
      called = true;
      return step(index + 1);
    });
  };
  return step(0);
}
