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

/** What makes a summary call end early, each with the error the call then rejects with. */
export interface CallBounds {
  /** After `ms` milliseconds (0: no limit), with `error()`. */
  timeout?: { ms: number; error: () => Error } | undefined;
  /** When one of these aborts, with the error made from its reason. */
  signals: readonly (readonly [AbortSignal | undefined, (reason: unknown) => Error])[];
}

/**
 * A signal that aborts at the first of the bounds (already aborted when a signal already is), and
 * `done()` to call once the work has settled: it clears the timer and the listeners, so a
 * long-lived signal (the service's close signal) keeps nothing of a finished call.
 */
export function boundedSignal(bounds: CallBounds): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const undo: (() => void)[] = [];
  for (const [signal, errorOf] of bounds.signals) {
    if (!signal) continue;
    const onAbort = () => controller.abort(errorOf(signal.reason));
    if (signal.aborted) {
      onAbort();
      break;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    undo.push(() => signal.removeEventListener('abort', onAbort));
  }
  const { timeout } = bounds;
  if (timeout && timeout.ms > 0 && !controller.signal.aborted) {
    const timer = setTimeout(() => controller.abort(timeout.error()), timeout.ms);
    undo.push(() => clearTimeout(timer));
  }
  return {
    signal: controller.signal,
    done: () => {
      for (const fn of undo) fn();
    },
  };
}
