/**
 * The targets each figure is judged by. They bind on both backends: server PostgreSQL against its
 * own floor, and embedded PGlite within 2× of its floor on every workload. Time ratios of the
 * targets (ours/floor ≤ 1.1 for an append) appear as throughput ratios (ours/floor ≥ 1/1.1).
 */
import type { BackendName } from './backends.js';
import type { Target } from './measure.js';

/** PGlite: within 2× of its own floor, however the figure is measured. */
const PGLITE_LATENCY: Target = { op: '<=', value: 2 };
const PGLITE_THROUGHPUT: Target = { op: '>=', value: 0.5 };

const SERVER = {
  /** Synchronous appends, sequential and concurrent: time within 1.1× of the floor's. */
  syncAppend: { op: '>=', value: 0.91 },
  /** Asynchronous appends: three times the floor's throughput. */
  asyncAppend: { op: '>=', value: 3 },
  /** A limited getSession (the last 1,000 or the last 20 events of a long session). */
  read: { op: '<=', value: 1.3 },
  /** listSessions, metadata only. */
  listMeta: { op: '<=', value: 1.3 },
} as const satisfies Record<string, Target>;

export type TargetName = keyof typeof SERVER;

/** The target of figure `name` on `backend`. */
export function targetFor(backend: BackendName, name: TargetName): Target {
  if (backend === 'server') return SERVER[name];
  return SERVER[name].op === '>=' ? PGLITE_THROUGHPUT : PGLITE_LATENCY;
}
