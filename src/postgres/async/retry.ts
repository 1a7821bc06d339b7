/**
 * Writing one batch reliably: transient failures are retried with capped exponential backoff and
 * jitter until a deadline; a permanent failure of a multi-item batch is narrowed down by halving,
 * so one bad item does not take its batch-mates with it. Knows nothing of SQL: the caller says
 * which errors are transient.
 */

/** What a writer learns about the attempt it is making. */
export interface BatchAttempt {
  /** 1 for the first attempt at this exact list of items, then 2, 3, ... */
  attempt: number;
  /**
   * An earlier attempt at (a superset of) these items failed. It may still have committed (the
   * connection can die after COMMIT reached the server), so the writer must not store anything
   * twice.
   */
  retried: boolean;
}

/**
 * Writes `items` in one call. Returns nothing when all were stored, or one entry per item: an
 * Error for an item that failed on its own (its session is gone) and must not be retried, else
 * undefined. Throws when the whole batch failed.
 */
export type BatchWriter<Item> = (
  items: readonly Item[],
  attempt: BatchAttempt,
) => Promise<readonly (Error | undefined)[] | undefined>;

export interface RetryPolicy {
  /** First backoff delay (ms); doubled per attempt. */
  baseMs: number;
  /** Longest single delay (ms). */
  capMs: number;
  /** Give up on a batch this long after its first transient failure (ms). */
  maxRetryMs: number;
  isTransient(error: unknown): boolean;
  /** Turns a failure into the error reported for each item. */
  failure(error: unknown, gaveUpAfterMs: number | undefined): Error;
  /** Told of each transient failure that is about to be retried, after `delayMs` (for metrics). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

/**
 * The delay before retry number `attempt` (1-based): exponential, capped, with "equal jitter"
 * (half fixed, half random), so writers that failed together do not all return together and
 * knock over a server that is just coming back.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  return exp / 2 + Math.random() * (exp / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * When the current run of transient failures began, shared by the batches of one worker: while
 * the database stays down, the batches queued behind the first one do not each wait the full
 * `maxRetryMs` again (close() would otherwise take that long per batch).
 */
export interface Outage {
  since: number | undefined;
}

/**
 * Writes `items` until they are stored or fail for good. Never throws: returns, per item,
 * undefined (stored) or the Error to report. Order: the halves of a split batch are written one
 * after the other, first half first, so a session's items still reach the database in order.
 */
export async function writeReliably<Item>(
  items: readonly Item[],
  write: BatchWriter<Item>,
  policy: RetryPolicy,
  outage: Outage = { since: undefined },
  retried = false,
): Promise<(Error | undefined)[]> {
  let mayHaveApplied = retried;
  for (let attempt = 1; ; attempt++) {
    let result: readonly (Error | undefined)[] | undefined;
    try {
      result = await write(items, { attempt, retried: mayHaveApplied });
    } catch (error) {
      if (policy.isTransient(error)) {
        mayHaveApplied = true;
        outage.since ??= Date.now();
        const elapsed = Date.now() - outage.since;
        if (elapsed < policy.maxRetryMs) {
          const delay = Math.min(backoffDelay(attempt, policy), policy.maxRetryMs - elapsed);
          policy.onRetry?.(error, attempt, delay);
          await sleep(delay);
          continue;
        }
        // Past the deadline the outage is not brief; every item is reported rather than held.
        const reported = policy.failure(error, elapsed);
        return items.map(() => reported);
      }
      // The database answered (with a refusal): whatever outage there was is over.
      outage.since = undefined;
      if (items.length > 1) {
        // A permanent failure of the statement says nothing about which item caused it.
        const middle = Math.ceil(items.length / 2);
        const head = await writeReliably(items.slice(0, middle), write, policy, outage, mayHaveApplied);
        const tail = await writeReliably(items.slice(middle), write, policy, outage, mayHaveApplied);
        return [...head, ...tail];
      }
      return [policy.failure(error, undefined)];
    }
    // The database answered: whatever outage there was is over.
    outage.since = undefined;
    if (!result) return items.map(() => undefined);
    if (result.length !== items.length) {
      const mismatch = new Error(`the writer reported ${result.length} outcomes for ${items.length} items`);
      return items.map(() => policy.failure(mismatch, undefined));
    }
    return [...result];
  }
}
