import { ConfigError } from '../../session/errors.js';

// ---------------------------------------------------------------------------------------------
// Field checks: each names the option and the rule.

/** A string option; '' counts as not given, as in Go. */
export function text(field: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(field, `must be a string, got ${typeof value}`);
  return value;
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
