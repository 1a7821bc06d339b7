/**
 * Timing, statistics and memory sampling, and the shape of one reported figure.
 */
import { performance } from 'node:perf_hooks';

export const clock = (): number => performance.now();

/** Runs `fn` and returns how long it took, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = clock();
  await fn();
  return clock() - start;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Collects garbage (`passes` full collections; a second one frees what finalizers released)
 * when the process runs with --expose-gc; otherwise does nothing and returns false.
 */
export function collectGarbage(passes = 2): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  for (let i = 0; i < passes; i++) gc();
  return true;
}

/**
 * Samples the process's RSS and V8 heap every few milliseconds (and whenever `sample()` is
 * called), keeping the peaks. Samples are taken between awaits, which is where a read or an
 * append holds its rows.
 */
export class PeakMemory {
  rss = 0;
  heap = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 2) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.rss) this.rss = m.rss;
    if (m.heapUsed > this.heap) this.heap = m.heapUsed;
  }

  stop(): { rss: number; heap: number } {
    clearInterval(this.#timer);
    this.sample();
    return { rss: this.rss, heap: this.heap };
  }
}

export const MB = 1024 * 1024;
export const KB = 1024;

/** How a ratio is judged: ours/floor at least `value` (throughput) or at most (latency, memory). */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

/** One line of the report. */
export interface Figure {
  /** W1..W6 */
  workload: string;
  /** What was measured, e.g. `append, sync: throughput`. */
  name: string;
  backend: 'server' | 'pglite';
  unit: 'events/s' | 'ms' | 'KB' | 'MB';
  ours: number;
  /** The floor's figure, or the reference named by `reference`; null when there is none. */
  floor: number | null;
  /** What the floor column holds when it is not the raw-SQL floor, e.g. `ours @ 100 events`. */
  reference?: string;
  /** ours / floor (for throughput, the median of per-round ratios). */
  ratio: number | null;
  target?: Target;
  /** Samples behind the medians (operations or rounds). */
  samples: number;
  details?: Record<string, unknown>;
}

/** pass, miss, or undefined when the figure has no target. */
export function judge(figure: Figure): 'pass' | 'miss' | undefined {
  const { target, ratio } = figure;
  if (!target || ratio === null || Number.isNaN(ratio)) return undefined;
  return (target.op === '>=' ? ratio >= target.value : ratio <= target.value) ? 'pass' : 'miss';
}
