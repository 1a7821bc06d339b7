import { filterKeysMatch } from '../session/event.js';
import { FULL_SESSION_FILTER_KEY } from '../session/summary.js';

/** Which filter keys may be summarized, and whether a branch summary also refreshes the full one. */
export interface SummaryPolicy {
  /**
   * Filter keys that may be summarized, matched hierarchically in both directions (`a` allows
   * `a/b`, and `a/b` allows `a`). Absent allows every key; an empty list allows only `''`.
   */
  allowlist?: readonly string[] | undefined;
  /** Also summarize the full session (`''`) when a branch key is summarized (default true). */
  cascade?: boolean | undefined;
}

/**
 * The allowlist as it is matched: entries trimmed and empty ones dropped. `undefined` stays
 * `undefined` (allow all), while a list that ends up empty stays an empty list (allow only `''`):
 * the two mean different things and must not collapse into one.
 */
export function normalizeAllowlist(allowlist: readonly string[] | undefined): string[] | undefined {
  if (allowlist === undefined) return undefined;
  const normalized = new Set<string>();
  for (const raw of allowlist) {
    const key = raw.trim();
    if (key !== '') normalized.add(key);
  }
  return [...normalized];
}

/** Whether `filterKey` may be summarized under `allowlist`; the full session (`''`) always may. */
export function isFilterKeyAllowed(filterKey: string, allowlist: readonly string[] | undefined): boolean {
  if (filterKey === FULL_SESSION_FILTER_KEY) return true;
  const normalized = normalizeAllowlist(allowlist);
  if (normalized === undefined) return true;
  return normalized.some((allowed) => filterKeysMatch(allowed, filterKey));
}

/**
 * The filter keys a summary job for `filterKey` refreshes: `['']` for the full session;
 * otherwise the key itself when allowed, then `''` when cascading. May be empty (nothing to do).
 */
export function summaryTargets(filterKey: string, policy: SummaryPolicy = {}): string[] {
  if (filterKey === FULL_SESSION_FILTER_KEY) return [FULL_SESSION_FILTER_KEY];
  const targets: string[] = [];
  if (isFilterKeyAllowed(filterKey, policy.allowlist)) targets.push(filterKey);
  if (policy.cascade ?? true) targets.push(FULL_SESSION_FILTER_KEY);
  return targets;
}
