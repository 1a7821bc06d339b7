/**
 * What every workload is given: the backend, the sizes, a progress log, and the sessions shared
 * between workloads (W5 and W6 read the same long sessions).
 */
import type { Backend } from './backends.js';
import type { Sizes } from './sizes.js';

export interface Run {
  readonly backend: Backend;
  readonly sizes: Sizes;
  /** One progress line on stderr. */
  log(message: string): void;
  /** Data built once per backend and shared by workloads, by name. */
  readonly shared: Map<string, unknown>;
}

/** The value shared under `name`, built by `build` on first use. */
export async function sharedValue<T>(run: Run, name: string, build: () => Promise<T>): Promise<T> {
  if (!run.shared.has(name)) run.shared.set(name, await build());
  return run.shared.get(name) as T;
}
