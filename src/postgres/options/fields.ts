/**
 * The checks of single option fields: each throws a ConfigError naming the option and the rule.
 */
import { inspect } from 'node:util';
import { ConfigError } from '../../session/errors.js';

// ---------------------------------------------------------------------------------------------
// Field checks: each names the option and the rule.

export function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `must be true or false, got ${inspect(value)}`);
  return value;
}

/** A string option; '' counts as not given, as in Go. */
export function text(field: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(field, `must be a string, got ${typeof value}`);
  return value;
}

export function functions<T>(field: string, value: unknown): readonly T[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || value.some((h) => typeof h !== 'function')) {
    throw new ConfigError(field, 'must be an array of functions');
  }
  return Object.freeze([...value]) as readonly T[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasMethods(value: unknown, names: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function')
  );
}

export function allowlist(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((k) => typeof k !== 'string')) {
    throw new ConfigError('summaryFilterAllowlist', 'must be an array of strings');
  }
  // As Go: entries trimmed and empty ones dropped; an empty list still means "only ''".
  return Object.freeze(value.map((k: string) => k.trim()).filter((k) => k !== ''));
}
