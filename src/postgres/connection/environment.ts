/**
 * Connection settings from the environment, as deployments hand them out: `DATABASE_URL` (most
 * platforms) and libpq's `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
 * `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`.
 *
 * Precedence, highest first: the options given in code; then `DATABASE_URL`; then the `PG*`
 * variables; then the service's defaults. Options that choose a connection themselves (`client`,
 * `pool`, `dsn`, `instance`) make the environment's connection settings unused; `host` in code
 * still takes the other `PG*` values for the fields it leaves open, as libpq does.
 */
import { ConfigError } from '../../session/errors.js';
import { hideSecrets, printable } from '../options/secrets.js';
import type { PostgresSessionServiceOptions, SslMode } from '../options.js';

/** Environment variables by name, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

const value = (env: Environment, name: string) => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

/** The `PG*` fields as service options; PGPORT must be a port number. */
function libpqFields(env: Environment): PostgresSessionServiceOptions {
  const fields: PostgresSessionServiceOptions = {};
  const port = value(env, 'PGPORT');
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) throw new ConfigError('PGPORT', `must be a port number, got "${port}"`);
    fields.port = Number(port);
  }
  const set = <K extends keyof PostgresSessionServiceOptions>(key: K, name: string) => {
    const v = value(env, name);
    if (v !== undefined) fields[key] = v as PostgresSessionServiceOptions[K];
  };
  set('host', 'PGHOST');
  set('user', 'PGUSER');
  set('password', 'PGPASSWORD');
  set('database', 'PGDATABASE');
  set('sslMode', 'PGSSLMODE');
  set('sslRootCert', 'PGSSLROOTCERT');
  set('sslCert', 'PGSSLCERT');
  set('sslKey', 'PGSSLKEY');
  return fields;
}

/**
 * Service options with the environment filling in what `options` leave open (see the module
 * comment for the precedence). `PGSSLMODE` is checked like the `sslMode` option when the service
 * is made; libpq's `allow` and `prefer` are read as `disable`, which is what they do in
 * node-postgres (see sslFor).
 *
 * @example
 * const service = await PostgresSessionService.create(optionsFromEnv({ tablePrefix: 'agent' }));
 * @throws ConfigError when `PGPORT` is not a number.
 */
export function optionsFromEnv(
  options: PostgresSessionServiceOptions = {},
  env: Environment = process.env,
): PostgresSessionServiceOptions {
  if (options.client || options.pool || options.dsn || options.instance) return printSafe({ ...options });
  const libpq = libpqFields(env);
  if (libpq.sslMode === ('allow' as SslMode) || libpq.sslMode === ('prefer' as SslMode))
    libpq.sslMode = 'disable';
  const url = value(env, 'DATABASE_URL');
  if (options.host === undefined && url !== undefined) return printSafe({ ...options, dsn: url });
  const filled: PostgresSessionServiceOptions = { ...options };
  for (const [key, v] of Object.entries(libpq)) {
    const k = key as keyof PostgresSessionServiceOptions;
    // With a host in code, PGHOST does not move the service elsewhere.
    if (k === 'host' && options.host !== undefined) continue;
    if (filled[k] === undefined) (filled as Record<string, unknown>)[k] = v;
  }
  return printSafe(filled);
}

/**
 * The options, printed (inspect, JSON, String) as a service's resolved options are, secrets as
 * `***`: they now hold what PGPASSWORD or DATABASE_URL held, and a caller may log them. Only
 * printing changes; the fields stay as they are for the service.
 */
function printSafe(o: PostgresSessionServiceOptions): PostgresSessionServiceOptions {
  return hideSecrets(o, () => printable(o));
}

/**
 * The environment's PostgreSQL server as a connection string, for the command line: DATABASE_URL
 * as it is, else the `PG*` variables as libpq `key=value` pairs when `PGHOST` is set; undefined
 * when the environment names no server.
 */
export function environmentDsn(env: Environment = process.env): string | undefined {
  const url = value(env, 'DATABASE_URL');
  if (url !== undefined) return url;
  if (value(env, 'PGHOST') === undefined) return undefined;
  const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const pairs: [string, string][] = [
    ['host', 'PGHOST'],
    ['port', 'PGPORT'],
    ['user', 'PGUSER'],
    ['password', 'PGPASSWORD'],
    ['dbname', 'PGDATABASE'],
    ['sslmode', 'PGSSLMODE'],
    ['sslrootcert', 'PGSSLROOTCERT'],
    ['sslcert', 'PGSSLCERT'],
    ['sslkey', 'PGSSLKEY'],
  ];
  return pairs
    .flatMap(([key, name]) => {
      const v = value(env, name);
      return v === undefined ? [] : [`${key}=${quote(v)}`];
    })
    .join(' ');
}
