import { checkStateKey } from '../session/keys.js';
import {
  checkStateMap,
  copyBytes,
  newStateMap,
  type StateMap,
  stateValueToText,
  trimPrefix,
} from '../session/state.js';

interface Entry {
  value: Uint8Array | null;
  /** Epoch ms after which the key is gone; undefined = never. */
  expiresAt: number | undefined;
}

/**
 * Shared state of one scope (an app, or a user of an app), as the app_states and user_states
 * tables hold it: one row per key, each with its own expiry, refreshed when that key is written.
 */
export class ScopedStateTable {
  readonly #scopes = new Map<string, Map<string, Entry>>();

  /** Sets every entry at once (the caller validated them all first), each expiring at `expiresAt`. */
  set(scope: string, entries: Iterable<[string, Uint8Array | null]>, expiresAt: number | undefined): void {
    let rows = this.#scopes.get(scope);
    if (!rows) {
      rows = new Map();
      this.#scopes.set(scope, rows);
    }
    for (const [key, value] of entries)
      rows.set(key, { value: value === null ? null : copyBytes(value), expiresAt });
  }

  /** A copy of the scope's live entries. */
  list(scope: string, nowMs: number): StateMap {
    const state = newStateMap();
    const rows = this.#scopes.get(scope);
    if (!rows) return state;
    for (const [key, entry] of rows) {
      if (isLive(entry.expiresAt, nowMs)) state[key] = entry.value === null ? null : copyBytes(entry.value);
    }
    return state;
  }

  delete(scope: string, key: string): void {
    const rows = this.#scopes.get(scope);
    if (!rows) return;
    rows.delete(key);
    if (rows.size === 0) this.#scopes.delete(scope);
  }

  /** Drops expired entries, and scopes left empty. */
  sweep(nowMs: number): void {
    for (const [scope, rows] of this.#scopes) {
      for (const [key, entry] of rows) if (!isLive(entry.expiresAt, nowMs)) rows.delete(key);
      if (rows.size === 0) this.#scopes.delete(scope);
    }
  }
}

/** Live means not yet expired: a row is gone from the moment its expiry time is reached. */
export function isLive(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt === undefined || expiresAt > nowMs;
}

/** The expiry of a row written at `nowMs` with `ttlMs` (0 = never). */
export function expiryOf(nowMs: number, ttlMs: number): number | undefined {
  return ttlMs > 0 ? nowMs + ttlMs : undefined;
}

/** The scope of an app's shared state. */
export function appScope(appName: string): string {
  return JSON.stringify([appName]);
}

/** The scope of a user's shared state. */
export function userScope(appName: string, userId: string): string {
  return JSON.stringify([appName, userId]);
}

/** Validates a whole app or user state update before any of it is written, keys trimmed of `prefix`. */
export function scopedEntries(state: StateMap, prefix: string): [string, Uint8Array | null][] {
  checkStateMap('state', state);
  return Object.entries(state).map(([rawKey, value]) => {
    const field = `state[${JSON.stringify(rawKey)}]`;
    const key = trimPrefix(rawKey, prefix);
    checkStateKey(field, key);
    stateValueToText(field, value);
    return [key, value];
  });
}
