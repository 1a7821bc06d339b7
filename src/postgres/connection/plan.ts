/**
 * Which database a service talks to, decided from its options with trpc-agent-go's precedence:
 * `client` > `pool` > `dsn` > host settings (when `host` is set) > `instance` > the defaults.
 * Planning connects to nothing.
 */
import { inspect } from 'node:util';
import type pg from 'pg';
import { ConfigError } from '../../session/errors.js';
import type { ServerTimeouts } from '../../sql/pg-session.js';
import { getPostgresInstance } from '../../storage/postgres/registry.js';
import {
  DEFAULT_DATABASE,
  DEFAULT_HOST,
  DEFAULT_PORT,
  maskSecrets,
  type ResolvedPostgresOptions,
  type SslMode,
} from '../options.js';
import { type DsnSslMode, type ParsedConnectionString, parseConnectionString } from './connection-string.js';
import { alignReadTimeout, baseSettings, layer, serverTimeouts } from './pool-settings.js';
import { type Redactor, redactorFor } from './secrets.js';
import { isSocketHost, optionFiles, sslModeOf, type TlsFiles, tlsSettings } from './tls.js';

/** Where the connection came from, in precedence order. */
export type ConnectionSource = 'client' | 'pool' | 'dsn' | 'host' | 'instance' | 'dataDir' | 'default';

/** The decided connection, before anything connects. */
export interface ConnectionPlan {
  readonly source: ConnectionSource;
  /** The settings of the pool the service will create; undefined for `client` and `pool`. */
  readonly poolConfig: pg.PoolConfig | undefined;
  /** Where the service connects, password hidden: for messages and logs. */
  readonly describe: string;
  /** Hides every secret of these options in a text (see secrets.ts). */
  readonly redact: Redactor;
  /** The server timeouts the client sets on each connection; undefined for `client` and `pool`. */
  readonly timeouts: ServerTimeouts | undefined;
}

/**
 * Settings from a parsed connection string, and the sslmode they apply; `sslMode` and the options'
 * TLS files apply when the string has no sslmode (or no file) of its own.
 */
export function fromConnectionString(
  parsed: ParsedConnectionString,
  sslMode: SslMode | undefined,
  files: TlsFiles,
  field: string,
): { config: pg.PoolConfig; sslMode: SslMode | DsnSslMode } {
  const config: pg.PoolConfig = {};
  if (parsed.host !== undefined) config.host = parsed.host;
  if (parsed.port !== undefined) config.port = parsed.port;
  if (parsed.user !== undefined) config.user = parsed.user;
  if (parsed.password !== undefined) config.password = parsed.password;
  if (parsed.database !== undefined) config.database = parsed.database;
  if (parsed.applicationName !== undefined) config.application_name = parsed.applicationName;
  if (parsed.connectTimeoutMs !== undefined) config.connectionTimeoutMillis = parsed.connectTimeoutMs;
  if (parsed.options !== undefined) config.options = parsed.options;
  if (parsed.maxConnections !== undefined) config.max = parsed.maxConnections;
  const rootCert = parsed.sslRootCert ?? files.rootCert;
  const mode = sslModeOf(parsed.sslMode ?? sslMode, rootCert);
  config.ssl = tlsSettings(
    mode,
    {
      rootCert,
      cert: parsed.sslCert ?? files.cert,
      key: parsed.sslKey ?? files.key,
      keyPassword: parsed.sslPassword ?? files.keyPassword,
    },
    field,
    config.host,
  );
  return { config, sslMode: mode };
}

/**
 * A URL for messages, built from settings, with the password shown as `***`. When an
 * extraOptions `ssl` replaced what sslmode made, the URL says so: its sslmode is not what runs.
 */
export function describeSettings(
  config: pg.PoolConfig,
  sslMode: SslMode | DsnSslMode,
  extra: readonly (Record<string, unknown> | undefined)[] = [],
): string {
  const tls = extra.some((o) => o?.ssl !== undefined)
    ? ' (TLS as extraOptions.ssl sets it)'
    : isSocketHost(config.host) && sslMode !== 'disable'
      ? ' (no TLS on a Unix socket)'
      : '';
  const user = config.user ? `${encodeURIComponent(config.user)}${config.password ? ':***' : ''}@` : '';
  // A socket directory goes percent-encoded, as libpq's URLs take it: unencoded, its slashes
  // would read as the database name.
  const host = config.host?.startsWith('/')
    ? encodeURIComponent(config.host)
    : config.host?.includes(':')
      ? `[${config.host}]`
      : (config.host ?? '');
  const port = config.port === undefined ? '' : `:${config.port}`;
  return `postgres://${user}${host}${port}/${encodeURIComponent(config.database ?? '')}?sslmode=${sslMode}${tls}`;
}

/** Freezes a plan whose printed form hides the password of its pool settings. */
export function plan(
  source: ConnectionSource,
  poolConfig: pg.PoolConfig | undefined,
  described: string,
  redact: Redactor,
  timeouts?: ServerTimeouts,
): ConnectionPlan {
  const describe = redact(described);
  // Every secret-looking setting, not only the password and the TLS key: a TLS `passphrase` (or
  // `pfx`, or a password in extraOptions) was printed as given.
  const hidden = (config: pg.PoolConfig) => maskSecrets(config);
  const view = () => ({ source, describe, poolConfig: poolConfig && hidden(poolConfig), timeouts });
  const result = {
    source,
    poolConfig: poolConfig && Object.freeze(poolConfig),
    describe,
    redact,
    timeouts: timeouts && Object.freeze(timeouts),
  };
  Object.defineProperties(result, { toJSON: { value: view }, [inspect.custom]: { value: view } });
  return Object.freeze(result);
}

/**
 * Decides the connection without connecting: which option wins and the exact pool settings.
 * extraOptions (the instance's, then the service's) are merged over everything else.
 *
 * @throws ConfigError when the chosen instance is not registered or a certificate file is unreadable.
 */
export function planConnection(o: ResolvedPostgresOptions): ConnectionPlan {
  const redact = redactorFor(o);
  if (o.client) return plan('client', undefined, `a ${o.client.kind} client supplied by the caller`, redact);
  if (o.pool) return plan('pool', undefined, 'a pg.Pool supplied by the caller', redact);

  if (o.dsn !== undefined) {
    const parsed = parseConnectionString(o.dsn, 'dsn');
    const fromDsn = fromConnectionString(parsed, o.sslMode, optionFiles(o), 'dsn');
    // As sslMode and the TLS files do, the password option fills in what the string leaves out:
    // a password kept apart from the URL (in a secret store) is not dropped for PGPASSWORD's.
    if (fromDsn.config.password === undefined && o.password !== undefined)
      fromDsn.config.password = o.password;
    const config = layer(baseSettings(o), fromDsn.config, o.extraOptions);
    alignReadTimeout(config, [o.extraOptions]);
    // Described from the parsed settings, never from the text: a password holding a space or
    // an `@` defeats any pattern that guesses where it ends.
    const sslMode = fromDsn.sslMode;
    return plan(
      'dsn',
      config,
      describeSettings(config, sslMode, [o.extraOptions]),
      redact,
      serverTimeouts(o, config),
    );
  }

  if (o.host === undefined && o.instance === undefined && o.dataDir !== undefined) {
    return plan('dataDir', undefined, `the embedded database in ${o.dataDir}`, redact);
  }

  if (o.host !== undefined || o.instance === undefined) {
    const source = o.host !== undefined ? 'host' : 'default';
    const sslMode = sslModeOf(o.sslMode, o.sslRootCert);
    const host = o.host ?? DEFAULT_HOST;
    const settings: pg.PoolConfig = {
      host,
      port: o.port ?? DEFAULT_PORT,
      database: o.database ?? DEFAULT_DATABASE,
      user: o.user,
      password: o.password,
      ssl: tlsSettings(sslMode, optionFiles(o), 'sslRootCert', host),
    };
    const config = layer(baseSettings(o), settings, o.extraOptions);
    alignReadTimeout(config, [o.extraOptions]);
    return plan(
      source,
      config,
      describeSettings(config, sslMode, [o.extraOptions]),
      redact,
      serverTimeouts(o, config),
    );
  }

  const instance = getPostgresInstance(o.instance);
  if (!instance) {
    throw new ConfigError('instance', `no PostgreSQL instance is registered as "${o.instance}"`);
  }
  const parsed = parseConnectionString(instance.connectionString, 'connectionString');
  const fromInstance = fromConnectionString(parsed, o.sslMode, optionFiles(o), 'connectionString');
  const config = layer(baseSettings(o), fromInstance.config, instance.extraOptions, o.extraOptions);
  alignReadTimeout(config, [instance.extraOptions, o.extraOptions]);
  const sslMode = fromInstance.sslMode;
  return plan(
    'instance',
    config,
    `${describeSettings(config, sslMode, [instance.extraOptions, o.extraOptions])} (instance "${instance.name}")`,
    redact,
    serverTimeouts(o, config),
  );
}
