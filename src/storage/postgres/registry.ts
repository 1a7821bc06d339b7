/**
 * Named PostgreSQL instances: register a connection once at start-up, then refer to it by name
 * from any service (`new PostgresSessionService({ instance: 'main' })`). The TypeScript face of
 * trpc-agent-go's `RegisterPostgresInstance(name, WithClientConnString(...))`.
 */

import { ConfigError } from '../../session/errors.js';
import { parseConnectionString, redactConnectionString } from '../../sql/connection-string.js';
import { ConnectionStringError } from '../../sql/errors.js';

/** What a registered instance holds. */
export interface PostgresInstanceOptions {
  /** `postgres://user:pass@host:5432/db?sslmode=disable`, or libpq's `host=... dbname=...` form. */
  connectionString: string;
  /** pg.Pool settings for this instance (`{ max: 20 }`); a service's own extraOptions override them. */
  extraOptions?: Record<string, unknown>;
}

/** A registered instance, frozen; its `toString`/JSON/inspect hide the password. */
export interface PostgresInstance {
  readonly name: string;
  readonly connectionString: string;
  readonly extraOptions: Readonly<Record<string, unknown>>;
}

const registry = new Map<string, PostgresInstance>();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function freezeInstance(name: string, connectionString: string, extraOptions: Record<string, unknown>) {
  const instance: PostgresInstance = {
    name,
    connectionString,
    extraOptions: Object.freeze({ ...extraOptions }),
  };
  const printable = () => ({
    name,
    connectionString: redactConnectionString(connectionString),
    extraOptions: Object.keys(extraOptions),
  });
  Object.defineProperties(instance, {
    toJSON: { value: printable },
    toString: { value: () => `PostgresInstance ${JSON.stringify(printable())}` },
    [Symbol.for('nodejs.util.inspect.custom')]: { value: printable },
  });
  return Object.freeze(instance);
}

/**
 * Registers (or replaces) the instance `name`. The connection string is checked now, so a typo
 * fails at start-up rather than at the first query.
 *
 * @throws ConfigError when the name is empty or the connection string is empty or malformed.
 */
export function registerPostgresInstance(name: string, options: PostgresInstanceOptions): void {
  if (typeof name !== 'string' || name.trim() === '')
    throw new ConfigError('name', 'must be a non-empty string');
  if (!isPlainObject(options))
    throw new ConfigError('options', 'must be { connectionString, extraOptions? }');
  const { connectionString, extraOptions = {} } = options;
  try {
    parseConnectionString(connectionString, 'connectionString');
  } catch (error) {
    throw error instanceof ConnectionStringError ? new ConfigError(error.field, error.rule) : error;
  }
  if (!isPlainObject(extraOptions))
    throw new ConfigError('extraOptions', 'must be an object of pg.Pool settings');
  // node-postgres parses a connectionString over every other setting (see resolvePostgresOptions).
  if ('connectionString' in extraOptions)
    throw new ConfigError('extraOptions.connectionString', 'is not taken: give it as connectionString');
  // A second registration replaces the first, as assigning to Go's registry map does.
  registry.set(name, freezeInstance(name, connectionString, extraOptions));
}

/** The instance registered as `name`, or undefined. */
export function getPostgresInstance(name: string): PostgresInstance | undefined {
  return registry.get(name);
}

/** Forgets the instance `name`; returns whether it was registered. Services already built keep their connection. */
export function unregisterPostgresInstance(name: string): boolean {
  return registry.delete(name);
}
