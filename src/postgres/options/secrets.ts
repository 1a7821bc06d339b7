/**
 * Printing options without their secrets: passwords, DSN passwords and secret-looking
 * driver settings show as `***`.
 */
import { inspect } from 'node:util';
import { systemClock } from '../../session/clock.js';
import type { SqlClient } from '../../sql/client.js';
import { redactConnectionString } from '../connection/connection-string.js';
import type { TableNames } from '../schema/index.js';
import { isPlainObject } from './fields.js';
import type { PostgresSessionServiceOptions, ResolvedPostgresOptions } from './types.js';

// ---------------------------------------------------------------------------------------------
// Printing without secrets

const SECRET_KEY = /pass(word|phrase)?|secret|token|^key$|^pfx$|^cert$/i;

/** A copy of plain-object settings with every secret-looking value (password, key, ...) as `***`. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (!isPlainObject(value) || depth > 4) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && v !== undefined
        ? '***'
        : typeof v === 'function'
          ? '[Function]'
          : maskSecrets(v, depth + 1),
    ]),
  );
}

/**
 * The options as printed: resolved ones (a service's), or as given (what optionsFromEnv returns).
 * An object of a class with no label of its own shows its class name only: a pg.Pool, say, keeps
 * its connection string in its options.
 */
export function printable(
  o: PostgresSessionServiceOptions | ResolvedPostgresOptions,
): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined) continue;
    if (key === 'password') shown[key] = '***';
    else if (key === 'dsn' && typeof value === 'string') shown[key] = redactConnectionString(value);
    else if (key === 'pool') shown[key] = '[pg.Pool]';
    else if (key === 'client') shown[key] = `[SqlClient ${(value as SqlClient).kind}]`;
    else if (key === 'extraOptions') shown[key] = maskSecrets(value);
    else if (key === 'tables') {
      const tables = value as TableNames;
      shown[key] = { schema: tables.schema, prefix: tables.prefix };
    } else if (key === 'summarizer') shown[key] = '[SessionSummarizer]';
    else if (key === 'clock') shown[key] = value === systemClock ? '[systemClock]' : '[Clock]';
    else if (typeof value === 'function') shown[key] = '[Function]';
    else if (Array.isArray(value) && value.some((v) => typeof v === 'function'))
      shown[key] = `[${value.length} hooks]`;
    else if (isInstance(value)) shown[key] = `[${value.constructor?.name || 'object'}]`;
    else shown[key] = value;
  }
  return shown;
}

/** An object of a class: neither a plain object (prototype Object.prototype or null) nor an array. */
function isInstance(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null;
}

/** Makes `target`'s inspect/JSON/toString output the redacted view. */
export function hideSecrets<T extends object>(target: T, view: () => Record<string, unknown>): T {
  Object.defineProperties(target, {
    toJSON: { value: view },
    toString: { value: () => `PostgresSessionServiceOptions ${JSON.stringify(view())}` },
    [inspect.custom]: { value: view },
  });
  return target;
}
