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
 *
 * A second SIGTERM or SIGINT during the drain means "stop now" (Ctrl-C pressed twice, a
 * supervisor that lost patience): the process ends at once by that signal, after telling
 * `onError`, synchronously, how many accepted writes were not stored. Ignoring it instead would
 * leave an operator with a process that seems hung for up to the retry window (60 s); ending
 * silently, as Node's default would, loses data without a word.
 */
import { StorageError } from '../../session/errors.js';

/** What the exit hook needs of the service. */
export interface Closable {
  close(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Installs the hooks for `service`; returns the function that removes them (called by close(),
 * so a closed service keeps nothing of the process). Once a hook has started the drain, that
 * function leaves the hooks in place: they are needed to hear a repeated signal, and they remove
 * themselves when the drain is over.
 *
 * @param onError told when the drain on exit fails (the failures also went to onError already),
 *   and when a repeated signal ends the drain early.
 * @param pending how many accepted writes are not stored yet.
 */
export function installExitFlush(
  service: Closable,
  onError: (error: unknown) => void,
  pending: () => number = () => 0,
): () => void {
  let draining: Promise<void> | undefined;
  // Set before close() is called: close() asks to remove the hooks straight away.
  let hooked = false;
  let signalled = false;
  const handlers = new Map<NodeJS.Signals, () => void>();
  const remove = () => {
    process.off('beforeExit', onBeforeExit);
    for (const [signal, handler] of handlers) process.off(signal, handler);
    handlers.clear();
  };
  const drain = () => {
    hooked = true;
    draining ??= service.close().catch(onError);
    return draining;
  };
  const onBeforeExit = () => {
    void drain().then(remove);
  };
  /** Ends the process by `signal` as Node would have, unless the application listens for it. */
  const raise = (signal: NodeJS.Signals) => {
    remove();
    if (process.listenerCount(signal) > 0) return;
    process.kill(process.pid, signal);
  };
  for (const signal of SIGNALS) {
    const handler = () => {
      if (signalled) {
        abandon(signal, pending(), onError);
        raise(signal);
        return;
      }
      signalled = true;
      void drain().then(() => raise(signal));
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  process.on('beforeExit', onBeforeExit);
  return () => {
    if (!hooked) remove();
  };
}

/** Tells onError, before the process ends, what a repeated signal leaves unstored. */
function abandon(signal: NodeJS.Signals, unstored: number, onError: (error: unknown) => void): void {
  const writes = unstored === 1 ? 'write was' : 'writes were';
  try {
    onError(
      new StorageError(
        `flushOnExit: ${signal} received again while draining; ending now: ${unstored} accepted ${writes} not stored`,
      ),
    );
  } catch {
    // Ending is what the signal asked for; a reporter that throws does not change that.
  }
}
