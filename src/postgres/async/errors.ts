/**
 * The errors asynchronous persistence adds: a caller that gave up waiting for room in a full
 * queue, and the report `flush()` makes of writes that failed in the background.
 */
import { AgentSessionsError, StorageError } from '../../session/errors.js';

/**
 * The caller's AbortSignal fired while its write waited for room in a full queue. The write was
 * NOT accepted: nothing of it will be stored. `name` is `AbortError`, as web APIs name theirs;
 * the signal's reason is the `cause`.
 */
export class EnqueueAbortedError extends AgentSessionsError {
  constructor(operation: string, reason: unknown) {
    super(
      'INVALID_ARGUMENT',
      `${operation}: aborted while waiting for room in the write queue; not accepted`,
      {
        field: 'signal',
        cause: reason,
      },
    );
    this.name = 'AbortError';
  }
}

/**
 * Background writes failed for good (after their retries) since the last `flush()`. Each one was
 * also given to `onError` with its key and item; `cause` is the first failure.
 */
export class AsyncWriteError extends StorageError {
  /** How many accepted writes were not stored. */
  readonly failed: number;

  constructor(operation: string, failed: number, first: Error) {
    super(
      `${operation}: ${failed} asynchronous write${failed === 1 ? '' : 's'} failed since the last flush; first: ${first.message}`,
      { cause: first },
    );
    this.failed = failed;
  }
}
