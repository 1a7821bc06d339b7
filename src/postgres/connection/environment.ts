/**
 * Connection settings from the environment, as deployments hand them out: `DATABASE_URL` (most
 * platforms) and libpq's `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
 * `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`.
 *
 * Precedence, highest first: the options given in code; then `DATABASE_URL`; then the `PG*`
 * variables; then the service's defaults. Options that choose a connection themselves (`client`,
 * `pool`, `dsn`, `instance`) make the environment's connection settings unused; `host` in code
 * still takes the other `PG*` values for the fields it leaves open, as libpq does. The TLS
 * variables (`PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`) apply to a connection string
 * too (`DATABASE_URL`, a `dsn` or an instance's) for what it does not say itself, as libpq takes
 * any parameter a connection string leaves out from its variable: a `PGSSLMODE=require` that
 * psql honours is not dropped for a plaintext connection because the server came as a URL.
 * The variables of the parameters a connection string may not ask for (`PGHOSTADDR`,
 * `PGSERVICE`, `PGSSLCRL`, `PGCHANNELBINDING=require`, ...) are refused as those parameters are.
 */
import { ConfigError } from '../../session/errors.js';
import { hideSecrets, printable } from '../options/secrets.js';
import type { PostgresSessionServiceOptions, SslMode } from '../options.js';
import { refuseUnsupportedVariables } from './unsupported-environment.js';

/** Environment variables by name, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * A variable's value as given: a password may begin or end with a space, and libpq sends it so.
 * An empty one counts as unset, as the service's options treat an empty string.
 */
const value = (env: Environment, name: string) => {
  const v = env[name];
  return v ? v : undefined;
};

/** DATABASE_URL, unless empty or blank (a connection string is read without its outer blanks). */
const databaseUrl = (env: Environment) => {
  const v = env.DATABASE_URL;
  return v?.trim() ? v : undefined;
};

/** libpq's sslmode values; `allow` and `prefer` connect without TLS here (see sslFor). */
const LIBPQ_SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** The TLS fields of service options. */
export type TlsFields = Pick<PostgresSessionServiceOptions, 'sslMode' | 'sslRootCert' | 'sslCert' | 'sslKey'>;

/**
 * The TLS settings of the `PG*` variables, as service options. libpq's `allow` and `prefer` are
 * read as `disable`, which is what they do in node-postgres (see sslFor). Every way to a server
 * that reads the environment reads this, so the variables asking for what cannot be done
 * (`PGSSLCRL`, `PGCHANNELBINDING=require`, `PGSERVICE`, ...) are refused here for all of them.
 *
 * @throws ConfigError naming PGSSLMODE when it is not one of libpq's modes, or the variable that
 *   asks for what cannot be done (see refuseUnsupportedVariables).
 */
export function tlsFromEnv(env: Environment = process.env): TlsFields {
  refuseUnsupportedVariables(env);
  return tlsFields(env);
}

/** The TLS settings of the `PG*` variables (see tlsFromEnv), without refusing any variable. */
function tlsFields(env: Environment): TlsFields {
  const fields: TlsFields = {};
  const mode = value(env, 'PGSSLMODE');
  if (mode !== undefined) {
    if (!LIBPQ_SSL_MODES.includes(mode))
      throw new ConfigError('PGSSLMODE', `must be one of ${LIBPQ_SSL_MODES.join(', ')}, got "${mode}"`);
    fields.sslMode = mode === 'allow' || mode === 'prefer' ? 'disable' : (mode as SslMode);
  }
  const rootCert = value(env, 'PGSSLROOTCERT');
  if (rootCert !== undefined) fields.sslRootCert = rootCert;
  const cert = value(env, 'PGSSLCERT');
  if (cert !== undefined) fields.sslCert = cert;
  const key = value(env, 'PGSSLKEY');
  if (key !== undefined) fields.sslKey = key;
  return fields;
}

/**
 * The `PG*` fields as service options, each checked here so that a bad one is reported as the
 * variable it came from: PGPORT must be a port number, PGHOST one host, PGSSLMODE libpq's. For
 * the embedded database (`embedded`), only the variables that would choose a server instead are
 * refused: a global PGSSLCRL or PGGSSENCMODE asks nothing of a database without a connection.
 */
function libpqFields(
  env: Environment,
  { embedded = false }: { embedded?: boolean } = {},
): PostgresSessionServiceOptions {
  const fields: PostgresSessionServiceOptions = {};
  const port = value(env, 'PGPORT');
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      throw new ConfigError('PGPORT', `must be a port number (1..65535), got "${port}"`);
    fields.port = Number(port);
  }
  const host = value(env, 'PGHOST');
  if (host?.includes(',')) throw new ConfigError('PGHOST', 'several hosts are not supported');
  const set = <K extends keyof PostgresSessionServiceOptions>(key: K, name: string) => {
    const v = value(env, name);
    if (v !== undefined) fields[key] = v as PostgresSessionServiceOptions[K];
  };
  set('host', 'PGHOST');
  set('user', 'PGUSER');
  set('password', 'PGPASSWORD');
  set('database', 'PGDATABASE');
  refuseUnsupportedVariables(env, embedded ? { only: 'server' } : {});
  return { ...fields, ...tlsFields(env) };
}

/** `options` with the TLS fields they leave open taken from `tls`. */
function withTls(options: PostgresSessionServiceOptions, tls: TlsFields): PostgresSessionServiceOptions {
  const filled: PostgresSessionServiceOptions = { ...options };
  for (const [key, v] of Object.entries(tls)) {
    const k = key as keyof TlsFields;
    if (filled[k] === undefined) (filled as Record<string, unknown>)[k] = v;
  }
  return filled;
}

/**
 * Service options with the environment filling in what `options` leave open (see the module
 * comment for the precedence); with a `dsn` or an `instance` in code, or `DATABASE_URL`, only
 * the TLS variables, for the connection string to fall back on. libpq's `allow` and `prefer` are
 * read as `disable`, which is what they do in node-postgres (see sslFor).
 *
 * @example
 * const service = await PostgresSessionService.create(optionsFromEnv({ tablePrefix: 'agent' }));
 * @throws ConfigError naming the variable when `PGPORT` is not a port, `PGHOST` lists several
 *   hosts, `PGSSLMODE` is not one of libpq's modes, or a variable asks for what cannot be done
 *   (`PGHOSTADDR`, `PGSERVICE`, `PGSSLCRL`, `PGCHANNELBINDING=require`, ...: see
 *   refuseUnsupportedVariables).
 */
export function optionsFromEnv(
  options: PostgresSessionServiceOptions = {},
  env: Environment = process.env,
): PostgresSessionServiceOptions {
  if (options.client || options.pool) return printSafe({ ...options });
  // A connection string's own sslmode and files win over these (see fromConnectionString).
  if (options.dsn || options.instance) return printSafe(withTls(options, tlsFromEnv(env)));
  const url = databaseUrl(env);
  // The service opens its embedded database for a dataDir when nothing names a server.
  const embedded =
    options.dataDir !== undefined &&
    options.host === undefined &&
    url === undefined &&
    value(env, 'PGHOST') === undefined;
  const libpq = libpqFields(env, { embedded });
  if (options.host === undefined && url !== undefined)
    return printSafe(withTls({ ...options, dsn: url }, tlsFromEnv(env)));
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
 * when the environment names no server. The TLS variables apply to any connection string the
 * command uses: see tlsFromEnv.
 *
 * @throws ConfigError naming the variable when a `PG*` variable is malformed (see libpqFields)
 *   or asks for what cannot be done (see refuseUnsupportedVariables), PGHOSTADDR and PGSERVICE
 *   even with no server named otherwise.
 */
export function environmentDsn(env: Environment = process.env): string | undefined {
  const url = databaseUrl(env);
  if (url === undefined && value(env, 'PGHOST') === undefined) {
    // PGHOSTADDR or PGSERVICE alone send libpq to a server: the embedded database is not it.
    refuseUnsupportedVariables(env, { only: 'server' });
    return undefined;
  }
  // Checked first, so a bad variable is reported as itself rather than as a bad DSN.
  libpqFields(env);
  if (url !== undefined) return url;
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
