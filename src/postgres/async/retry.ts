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

/** Why a transient failure was given up on. */
export type GaveUp = { retriedForMs: number } | { outageMs: number };

export interface RetryPolicy {
  /** First backoff delay (ms); doubled per attempt. */
  baseMs: number;
  /** Longest single delay (ms). */
  capMs: number;
  /** Give up on a batch this long after its first transient failure (ms). */
  maxRetryMs: number;
  isTransient(error: unknown): boolean;
  /**
   * Whether a failure belongs to some sessions' rows rather than to the database (a lock
   * timeout, a deadlock, a serialization failure): checked before `isTransient`, and only used
   * with `groupOf`.
   */
  isContention?(error: unknown): boolean;
  /** The session of an item: a batch hit by contention is split along it. */
  groupOf?(item: unknown): string;
  /**
   * Turns a failure into the error reported for each item: given how long the item was retried,
   * or, for an item not retried because the worker's outage had outlasted the window already,
   * how long that outage had lasted.
   */
  failure(error: unknown, timing: GaveUp | undefined): Error;
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
  /** The latest failure of the outage, for the error that refuses new items once it is long. */
  error?: unknown;
  /**
   * Sessions whose rows stay held, and since when: later batches of the worker that meet the
   * same held rows share the window instead of each waiting it out again.
   */
  held?: Map<string, number>;
}

type Outcome = Error | undefined;

/**
 * The items of one session whose rows another transaction holds: set aside during the first pass
 * over a batch, and retried alone once everything else is written.
 */
interface Stuck<Item> {
  items: Item[];
  /** When the session first failed on contention: its own retry window starts there. */
  since: number;
  /** The failure that set it aside, told to `onRetry` when it is retried. */
  error: unknown;
  outcomes?: Outcome[];
}

/** The outcome of an item set aside: found in its session's {@link Stuck} once that is retried. */
class SetAside<Item> {
  constructor(
    readonly stuck: Stuck<Item>,
    readonly index: number,
  ) {}
}

type Slot<Item> = Outcome | SetAside<Item>;

interface Pass<Item> {
  write: BatchWriter<Item>;
  policy: RetryPolicy;
  outage: Outage;
  /** Sessions set aside in this pass, by group. */
  stuck: Map<string, Stuck<Item>>;
  /** Whether a session meeting contention is still set aside: only during the first pass. */
  settingAside: boolean;
}

/**
 * Writes `items` until they are stored or fail for good. Never throws: returns, per item,
 * undefined (stored) or the Error to report. Order: the parts of a split batch are written one
 * after the other, and a session's items always stay in one part, in order, so they still reach
 * the database in order.
 *
 * A failure that belongs to some sessions' rows (a lock timeout, a deadlock, a serialization
 * failure: see `isContention`) is not an outage: the batch is split by session so the other
 * sessions are written at once, and only the session that stays stuck is retried, alone, within
 * its own retry window, after the rest of the batch.
 */
export async function writeReliably<Item>(
  items: readonly Item[],
  write: BatchWriter<Item>,
  policy: RetryPolicy,
  outage: Outage = { since: undefined },
  retried = false,
): Promise<(Error | undefined)[]> {
  const pass: Pass<Item> = { write, policy, outage, stuck: new Map(), settingAside: true };
  const slots = await writeParts(items, pass, retried);
  // The pass is over, so nothing is set aside again: every slot is an outcome now.
  pass.settingAside = false;
  for (const s of pass.stuck.values()) {
    // A retry like any other (metrics, the warning), made at once: the lock wait was the delay.
    policy.onRetry?.(s.error, 1, 0);
    s.outcomes = (await writeLoop(s.items, pass, true, s.since)) as Outcome[];
  }
  return slots.map((slot) => (slot instanceof SetAside ? slot.stuck.outcomes![slot.index] : slot));
}

/**
 * Writes `items`, except those of a session already set aside in this pass: they join it, behind
 * its earlier items, so a later item of a stuck session never overtakes an earlier one.
 */
async function writeParts<Item>(
  items: readonly Item[],
  pass: Pass<Item>,
  retried: boolean,
): Promise<Slot<Item>[]> {
  const { stuck, policy } = pass;
  if (!pass.settingAside || stuck.size === 0 || !policy.groupOf) {
    return writeLoop(items, pass, retried, undefined);
  }
  const slots: Slot<Item>[] = new Array(items.length);
  const rest: number[] = [];
  items.forEach((item, i) => {
    const s = stuck.get(policy.groupOf!(item));
    if (s) slots[i] = new SetAside(s, s.items.push(item) - 1);
    else rest.push(i);
  });
  if (rest.length > 0) {
    const written = await writeLoop(
      rest.map((i) => items[i]!),
      pass,
      retried,
      undefined,
    );
    rest.forEach((i, k) => {
      slots[i] = written[k];
    });
  }
  return slots;
}

/** The positions of the items, grouped by session in order of first appearance, each in order. */
function positionsBySession<Item>(items: readonly Item[], groupOf: (item: Item) => string): number[][] {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = groupOf(item);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

/**
 * Contention on a batch of several sessions: the sessions are split in two halves, each written
 * on its own (and split again if it meets contention), so the sessions whose rows are free are
 * stored without waiting for the one that is held. Returns the slots in the order of `items`.
 */
async function splitSessions<Item>(
  items: readonly Item[],
  sessions: readonly number[][],
  pass: Pass<Item>,
): Promise<Slot<Item>[]> {
  const middle = Math.ceil(sessions.length / 2);
  const slots: Slot<Item>[] = new Array(items.length);
  for (const half of [sessions.slice(0, middle).flat(), sessions.slice(middle).flat()]) {
    const written = await writeParts(
      half.map((i) => items[i]!),
      pass,
      true,
    );
    half.forEach((i, k) => {
      slots[i] = written[k];
    });
  }
  return slots;
}

/**
 * The retry loop of one batch. `contendedSince` is set when retrying a session set aside on
 * contention: its window started then, and it is not set aside again.
 */
async function writeLoop<Item>(
  items: readonly Item[],
  pass: Pass<Item>,
  retried: boolean,
  contendedSince: number | undefined,
): Promise<Slot<Item>[]> {
  const { write, policy, outage } = pass;
  let mayHaveApplied = retried;
  let since = contendedSince;
  for (let attempt = 1; ; attempt++) {
    let result: readonly (Error | undefined)[] | undefined;
    try {
      result = await write(items, { attempt, retried: mayHaveApplied });
    } catch (error) {
      if (policy.groupOf && policy.isContention?.(error)) {
        mayHaveApplied = true;
        // The database answered: it is up, only some rows are held.
        outage.since = undefined;
        const sessions = positionsBySession(items, policy.groupOf);
        if (sessions.length > 1) return splitSessions(items, sessions, pass);
        const group = policy.groupOf(items[0]!);
        outage.held ??= new Map();
        since ??= outage.held.get(group) ?? Date.now();
        outage.held.set(group, since);
        if (pass.settingAside) {
          // Retried after the rest of the batch, so the other sessions do not wait for it.
          const stuck: Stuck<Item> = { items: [...items], since, error };
          pass.stuck.set(group, stuck);
          return items.map((_, i) => new SetAside(stuck, i));
        }
        const elapsed = Date.now() - since;
        if (elapsed < policy.maxRetryMs) {
          await backOff(error, attempt, policy, elapsed);
          continue;
        }
        const reported = policy.failure(error, { retriedForMs: elapsed });
        return items.map(() => reported);
      }
      if (policy.isTransient(error)) {
        mayHaveApplied = true;
        const tried = attempt > 1;
        outage.since ??= Date.now();
        outage.error = error;
        const elapsed = Date.now() - outage.since;
        if (elapsed < policy.maxRetryMs) {
          await backOff(error, attempt, policy, elapsed);
          continue;
        }
        // Past the deadline the outage is not brief; every item is reported rather than held. A
        // batch that got here on its first attempt was queued behind the ones that used the window.
        const reported = policy.failure(error, tried ? { retriedForMs: elapsed } : { outageMs: elapsed });
        return items.map(() => reported);
      }
      // The database answered (with a refusal): whatever outage there was is over.
      outage.since = undefined;
      if (items.length > 1) {
        // A permanent failure of the statement says nothing about which item caused it.
        const middle = Math.ceil(items.length / 2);
        const head = await writeParts(items.slice(0, middle), pass, mayHaveApplied);
        const tail = await writeParts(items.slice(middle), pass, mayHaveApplied);
        return [...head, ...tail];
      }
      return [policy.failure(error, undefined)];
    }
    // The database answered: whatever outage there was is over, and these sessions' rows are free.
    outage.since = undefined;
    if (outage.held && policy.groupOf) for (const item of items) outage.held.delete(policy.groupOf(item));
    if (!result) return items.map(() => undefined);
    if (result.length !== items.length) {
      const mismatch = new Error(`the writer reported ${result.length} outcomes for ${items.length} items`);
      return items.map(() => policy.failure(mismatch, undefined));
    }
    return [...result];
  }
}

async function backOff(error: unknown, attempt: number, policy: RetryPolicy, elapsed: number): Promise<void> {
  const delay = Math.min(backoffDelay(attempt, policy), policy.maxRetryMs - elapsed);
  policy.onRetry?.(error, attempt, delay);
  await sleep(delay);
}
