import type { SessionKey } from '../session/keys.js';
import { raceAbort } from './abort.js';

/**
 * The tail of each lock's queue of holders, by scope, session and filter key. Two summaries of the
 * same session and filter key in one storage take turns (as trpc-agent-go's per-session lock), so
 * the second sees the first one's summary as its previous summary instead of summarizing the same
 * delta twice. The scope keeps storages apart: services on different databases, schemas or table
 * prefixes never wait for each other. An entry lives only while its lock is held or awaited.
 */
const tails = new Map<string, Promise<void>>();

export interface SummaryLockOptions {
  /** Ends the wait for the lock early, rejecting with the signal's reason. */
  signal?: AbortSignal | undefined;
  /**
   * The storage the summary is kept in (default `''`): holders take turns only within one scope.
   * A service names its own (see docs/summarizers.md).
   */
  scope?: string | undefined;
}

function lockKey(scope: string, key: SessionKey, filterKey: string): string {
  return JSON.stringify([scope, key.appName, key.userId, key.sessionId, filterKey]);
}

/**
 * Runs `fn` while holding the summary lock of one session and filter key in one scope. Waiting
 * for the lock ends early when the signal aborts (rejecting with its reason), so a call that timed
 * out in the queue of the lock does not run late. The lock is held until `fn` settles: `fn` must
 * itself end when the signal aborts (summarizeTarget races every summarizer call against it), or a
 * summarizer that never answers would hold the lock forever. For compatibility the options may be
 * the signal itself.
 */
export async function withSummaryLock<T>(
  key: SessionKey,
  filterKey: string,
  fn: () => Promise<T>,
  options: AbortSignal | SummaryLockOptions = {},
): Promise<T> {
  const { signal, scope = '' } = options instanceof AbortSignal ? { signal: options } : options;
  const id = lockKey(scope, key, filterKey);
  const previous = tails.get(id) ?? Promise.resolve();
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The next holder waits for both: even if this one gives up early, it must not overtake the
  // holder before it.
  const tail = previous.then(() => held);
  tails.set(id, tail);
  try {
    await raceAbort(previous, signal);
    return await fn();
  } finally {
    release();
    if (tails.get(id) === tail) tails.delete(id);
  }
}

/** How many locks are held or awaited right now (for tests: the map must not grow without bound). */
export function summaryLocksHeld(): number {
  return tails.size;
}
