/**
 * `flushOnExit`: closing the service (which drains the async queue) when the process is about to
 * end on its own, or is told to stop by SIGTERM or SIGINT.
 *
 * With asyncPersist an append resolves once it is accepted; the write itself happens later. A
 * process that ends without `close()` loses what is still queued: on `beforeExit` nothing keeps
 * the loop alive once the workers wait, and on SIGTERM/SIGINT Node's default is to die at once.
 *
 * The signal keeps its meaning: once the queue is drained, the handler removes itself and raises
 * the same signal again, so the process ends as it would have (killed by SIGTERM, exit status
 * 143) — unless the application listens for that signal itself, in which case the application
 * decides and this only drains. `process.exit()` runs no asynchronous work, so nothing can be
 * saved there: close the service before calling it.
 */

/** What the exit hook needs of the service. */
export interface Closable {
  close(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Installs the hooks for `service`; returns the function that removes them (called by close(),
 * so a closed service keeps nothing of the process).
 *
 * @param onError told when the drain on exit fails (the failures also went to onError already).
 */
export function installExitFlush(service: Closable, onError: (error: unknown) => void): () => void {
  let draining: Promise<void> | undefined;
  const drain = () => {
    draining ??= service.close().catch(onError);
    return draining;
  };
  const onBeforeExit = () => {
    void drain();
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  const remove = () => {
    process.off('beforeExit', onBeforeExit);
    for (const [signal, handler] of handlers) process.off(signal, handler);
    handlers.clear();
  };
  for (const signal of SIGNALS) {
    const handler = () => {
      void drain().then(() => {
        remove();
        // Someone else listens: the application handles the signal (and decides to exit).
        if (process.listenerCount(signal) > 0) return;
        process.kill(process.pid, signal);
      });
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  process.on('beforeExit', onBeforeExit);
  return remove;
}
