/**
 * Printing resolved options without their secrets: passwords, DSN passwords and secret-looking
 * driver settings show as `***`.
 */
import { inspect } from 'node:util';
import { systemClock } from '../../session/clock.js';
import type { SqlClient } from '../../sql/client.js';
import { redactConnectionString } from '../connection/connection-string.js';
import { isPlainObject } from './fields.js';
import type { ResolvedPostgresOptions } from './types.js';

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

export function printable(o: ResolvedPostgresOptions): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined) continue;
    if (key === 'password') shown[key] = '***';
    else if (key === 'dsn') shown[key] = redactConnectionString(value as string);
    else if (key === 'pool') shown[key] = '[pg.Pool]';
    else if (key === 'client') shown[key] = `[SqlClient ${(value as SqlClient).kind}]`;
    else if (key === 'extraOptions') shown[key] = maskSecrets(value);
    else if (key === 'tables') shown[key] = { schema: o.tables.schema, prefix: o.tables.prefix };
    else if (key === 'summarizer') shown[key] = '[SessionSummarizer]';
    else if (key === 'clock') shown[key] = value === systemClock ? '[systemClock]' : '[Clock]';
    else if (typeof value === 'function') shown[key] = '[Function]';
    else if (Array.isArray(value) && value.some((v) => typeof v === 'function'))
      shown[key] = `[${value.length} hooks]`;
    else shown[key] = value;
  }
  return shown;
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
