/**
 * Progress bars for long operations, drawn on stderr only when stderr is a terminal: piped or
 * redirected output stays free of control characters, and stdout (which may carry the data of
 * `export`) is never touched.
 */
import cliProgress from 'cli-progress';

/** A progress display; every method is a no-op when there is no terminal. */
export interface Progress {
  /** Sets the done amount (and the total, when it became known or grew). */
  update(done: number, total?: number): void;
  increment(by?: number): void;
  /** Removes the bar; call it before printing the final report. */
  stop(): void;
}

const silent: Progress = { update() {}, increment() {}, stop() {} };

/** Whether progress is drawn at all. */
export function progressEnabled(stream: { isTTY?: boolean } = process.stderr): boolean {
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

/**
 * Starts a bar labelled `label` with `total` units (`unit` names them, e.g. "sessions"). With
 * a total of 0 (unknown, e.g. reading stdin) it shows a running count instead of a bar.
 */
export function startProgress(label: string, total: number, unit: string): Progress {
  if (!progressEnabled()) return silent;
  const format =
    total > 0
      ? `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`
      : `${label} {value} ${unit} | {duration_formatted}`;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format,
      barCompleteChar: '=',
      barIncompleteChar: ' ',
      barsize: 30,
      clearOnComplete: true,
      hideCursor: false,
      // A redraw per update would cost more than the work it reports on fast local databases.
      fps: 10,
      etaBuffer: 50,
    },
    cliProgress.Presets.legacy,
  );
  bar.start(Math.max(total, 0), 0);
  let current = 0;
  let max = Math.max(total, 0);
  return {
    update(done, newTotal) {
      if (newTotal !== undefined && newTotal !== max) {
        max = newTotal;
        bar.setTotal(max);
      }
      // Estimated totals can be exceeded; grow the bar instead of showing 120%.
      if (done > max) {
        max = done;
        bar.setTotal(max);
      }
      current = done;
      bar.update(current);
    },
    increment(by = 1) {
      this.update(current + by);
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Polls `done()` every `intervalMs` while `work` runs and shows it on a bar of `total()` units:
 * for library calls (a sweep, a purge) that report only when they finish. Neither the total nor
 * the progress is queried when there is no terminal, so scripted runs pay for no extra queries.
 */
export async function withPolledProgress<T>(
  label: string,
  unit: string,
  totalOf: () => Promise<number>,
  done: (total: number) => Promise<number>,
  work: () => Promise<T>,
  intervalMs = 250,
): Promise<T> {
  if (!progressEnabled()) return work();
  const total = await totalOf();
  if (total <= 0) return work();
  const bar = startProgress(label, total, unit);
  let polling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    polling = polling.then(async () => {
      try {
        bar.update(Math.min(total, Math.max(0, await done(total))));
      } catch {
        // A failed poll only costs a stale bar; the work reports its own errors.
      }
    });
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    // The caller closes the database next; a poll still running would fail on a closed client.
    await polling;
    bar.stop();
  }
}
