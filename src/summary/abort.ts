/**
 * Settles with `promise`, or rejects with the signal's reason as soon as `signal` aborts. A
 * summarizer that ignores its signal must not hold up a worker, a lock or `close()` past its
 * timeout; its late result is dropped, and a late rejection is swallowed here rather than
 * surfacing as an unhandled rejection.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** An error for a job that ran past its time limit, shaped like the one `AbortSignal.timeout` uses. */
export function timeoutError(what: string, ms: number): Error {
  return new DOMException(`${what} timed out after ${ms} ms`, 'TimeoutError');
}
