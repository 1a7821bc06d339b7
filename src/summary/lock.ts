import type { SessionKey } from '../session/keys.js';
import { raceAbort } from './abort.js';

/**
 * The tail of each key's queue of holders. Process-wide, as trpc-agent-go's: two services (or two
 * jobs of one service) summarizing the same session and filter key take turns, so the second one
 * sees the first one's summary as its previous summary instead of summarizing the same delta twice.
 */
const tails = new Map<string, Promise<void>>();

function lockKey(key: SessionKey, filterKey: string): string {
  return JSON.stringify([key.appName, key.userId, key.sessionId, filterKey]);
}

/**
 * Runs `fn` while holding the summary lock of one session and filter key. Waiting for the lock
 * ends early when `signal` aborts (rejecting with its reason), so a job that timed out in the
 * queue of the lock does not run late.
 */
export async function withSummaryLock<T>(
  key: SessionKey,
  filterKey: string,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const id = lockKey(key, filterKey);
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

/** How many keys are locked or awaited right now (for tests: the map must not grow without bound). */
export function summaryLocksHeld(): number {
  return tails.size;
}
