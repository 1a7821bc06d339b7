/**
 * Ctrl-C during a command that works session by session (import, export). The first SIGINT or
 * SIGTERM asks it to stop once the session in hand is done: the database is then closed as on
 * success (an embedded one killed in the middle of a write is left to PostgreSQL's crash
 * recovery, and its lock file to the next opener), `export -o` removes its partial file, and the
 * command says what was done and exits 130 (143 for SIGTERM), as a shell reports a signal. A
 * second signal ends the process at once, as the signal does by default.
 */
import { constants } from 'node:os';
import { CliError } from './errors.js';

type StopSignal = 'SIGINT' | 'SIGTERM';

/** The command stopped at a signal; the message says what it had done. */
export class InterruptedError extends CliError {
  /** 128 + the signal's number: what a shell shows for a process the signal ended. */
  readonly exitCode: number;

  constructor(signal: StopSignal, done: string) {
    super(`interrupted by ${signal}: ${done}`);
    this.exitCode = 128 + constants.signals[signal];
  }
}

/** Whether the command's exit code is an {@link InterruptedError}'s (no other code exceeds 128). */
export const isInterruptedExit = (code: number): boolean => code > 128;

export interface Interruption {
  /** Aborted at the first signal: waits that could last (a full pipe, stdin) give up on it. */
  readonly signal: AbortSignal;
  /** After the first signal, throws an {@link InterruptedError} saying `done()`. */
  throwIfStopped(done: () => string): void;
  /** Runs `action` at the first signal, or now if it has come already (while the database opened). */
  onStop(action: () => void): void;
}

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** The signal the running command is stopping at (one command runs per process). */
let received: StopSignal | undefined;

/**
 * Whether a command is stopping at a signal. The reader of stdout may go away at the same Ctrl-C
 * (`export | gzip`): the command then still stops as interrupted, closing its database, instead
 * of ending at the broken pipe.
 */
export const isStopping = (): boolean => received !== undefined;

/** Runs `fn` with SIGINT and SIGTERM turned into a request to stop (see the module comment). */
export async function interruptible<T>(fn: (interruption: Interruption) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  received = undefined;
  const stopListening = () => {
    for (const name of SIGNALS) process.off(name, onSignal);
  };
  function onSignal(signal: StopSignal): void {
    if (received !== undefined) {
      // The second: end as the signal would have without us.
      stopListening();
      process.kill(process.pid, signal);
      return;
    }
    received = signal;
    if (process.stderr.isTTY) {
      process.stderr.write(
        `\n${signal}: stopping after the current session (a second signal stops at once)…\n`,
      );
    }
    controller.abort();
  }
  for (const name of SIGNALS) process.on(name, onSignal);
  try {
    return await fn({
      signal: controller.signal,
      throwIfStopped(done) {
        if (received !== undefined) throw new InterruptedError(received, done());
      },
      onStop(action) {
        if (controller.signal.aborted) action();
        else controller.signal.addEventListener('abort', action, { once: true });
      },
    });
  } finally {
    stopListening();
    received = undefined;
  }
}
