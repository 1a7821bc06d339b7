/**
 * The connection-string parser of sql/ as the service's options see it: a malformed string is a
 * ConfigError naming the option, as every other bad option is.
 */
import { ConfigError } from '../../session/errors.js';
import {
  type ParsedConnectionString,
  parseConnectionString as parseDsn,
} from '../../sql/connection-string.js';
import { SqlConfigError } from '../../sql/errors.js';

export {
  type DsnSslMode,
  type ParsedConnectionString,
  rawUrlPassword,
  redactConnectionString,
  redactSecrets,
} from '../../sql/connection-string.js';

/** A setting sql/ refused (SqlConfigError) as the ConfigError of its option; any other error unchanged. */
export function asConfigError(error: SqlConfigError): ConfigError;
export function asConfigError(error: unknown): unknown;
export function asConfigError(error: unknown): unknown {
  return error instanceof SqlConfigError ? new ConfigError(error.field, error.rule, { cause: error }) : error;
}

/**
 * Parses a `postgres://` URL or libpq's `key=value` list (see sql/connection-string.ts).
 *
 * @throws ConfigError naming `field` when the string is empty or malformed.
 */
export function parseConnectionString(dsn: string, field = 'dsn'): ParsedConnectionString {
  try {
    return parseDsn(dsn, field);
  } catch (error) {
    throw asConfigError(error);
  }
}
