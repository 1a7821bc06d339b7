/**
 * What an operation of InMemorySessionService needs from the service: its store and its resolved
 * options. Each operation module is a set of functions of it.
 */
import type { ResolvedOptions } from './options.js';
import type { MemoryStore } from './store.js';

export interface MemoryContext {
  readonly store: MemoryStore;
  readonly options: ResolvedOptions;
}
