/**
 * Which database a service talks to, decided from its options with trpc-agent-go's precedence:
 * `client` > `pool` > `dsn` > host settings (when `host` is set) > `instance` > the defaults.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import type pg from 'pg';
import { ConfigError, StorageError } from '../../session/errors.js';
import type { SqlClient } from '../../sql/client.js';
import { createPgPool, pgClient } from '../../sql/pg-client.js';
import type { ServerTimeouts } from '../../sql/pg-session.js';
import { getPostgresInstance } from '../../storage/postgres/registry.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DATABASE,
  DEFAULT_HOST,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_SSL_MODE,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  maskSecrets,
  type ResolvedPostgresOptions,
  type SslMode,
} from '../options.js';
import { type DsnSslMode, type ParsedConnectionString, parseConnectionString } from './connection-string.js';
import { embeddedClient } from './embedded.js';
import { type Redactor, redactCause, redactorFor } from './secrets.js';

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

/** An open connection: the client to run statements on and whether the service must close it. */
export interface OpenedConnection {
  readonly client: SqlClient;
  /** True when the service created the pool, so its close() ends it. */
  readonly owned: boolean;
  readonly describe: string;
  /** Hides every secret of the options in a text (see secrets.ts). */
  readonly redact: Redactor;
}

// Node timers take at most 2^31-1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long the client waits for the answer to a statement before it gives up on the connection:
 * a little longer than the server's statement_timeout, so a statement the server cancels fails
 * with the server's error (57014) and keeps its connection, while a server that has stopped
 * answering (frozen, or cut off by the network without a reset) still fails the call instead of
 * leaving it waiting for TCP to notice, which can take many minutes.
 */
export function clientReadTimeoutMs(statementTimeoutMs: number): number {
  return Math.min(MAX_TIMER_MS, statementTimeoutMs + Math.max(2_000, Math.ceil(statementTimeoutMs / 10)));
}

/**
 * The client timer that bounds every statement. The server-side timeouts are not startup
 * parameters (PgBouncer refuses `options`): the client sets them once a connection is open, see
 * {@link serverTimeouts}.
 */
function readTimeout(statementTimeoutMs: number): pg.PoolConfig {
  return statementTimeoutMs > 0 ? { query_timeout: clientReadTimeoutMs(statementTimeoutMs) } : {};
}

/**
 * Settings used when neither the options nor extraOptions say otherwise. node-postgres waits
 * forever for a connection by default; bounded waits turn an unreachable server or a stalled one
 * into an error (STORAGE, with the driver's error as its cause) instead of a hang.
 */
export const DEFAULT_POOL_SETTINGS: Readonly<pg.PoolConfig> = Object.freeze({
  connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS,
  application_name: 'agent-sessions',
  ...readTimeout(DEFAULT_STATEMENT_TIMEOUT_MS),
});

/** The default settings with the service's own timeouts (`connectTimeoutMs`, ...) applied. */
function baseSettings(o: ResolvedPostgresOptions): pg.PoolConfig {
  const { query_timeout: _queryTimeout, ...rest } = DEFAULT_POOL_SETTINGS;
  return {
    ...rest,
    connectionTimeoutMillis: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...readTimeout(o.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS),
  };
}

/**
 * The statement and lock timeouts the client applies on each connection (PostgreSQL's defaults
 * let a statement run, and wait for a lock, forever). A timeout the pool settings already send
 * (a DSN's `statement_timeout=`, `-c lock_timeout=` in `options`, extraOptions.statement_timeout)
 * is theirs to decide: the client does not override it.
 */
function serverTimeouts(o: ResolvedPostgresOptions, config: pg.PoolConfig): ServerTimeouts {
  const given = (name: string) =>
    (config as Record<string, unknown>)[name] !== undefined ||
    new RegExp(`(?:^|\\s)(?:-c\\s*|--)${name}=`).test(config.options ?? '');
  const timeouts: ServerTimeouts = {};
  if (!given('statement_timeout'))
    timeouts.statementTimeoutMs = o.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (!given('lock_timeout')) timeouts.lockTimeoutMs = o.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  return timeouts;
}

const UNIT_MS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

/** A statement_timeout setting's value in milliseconds, or undefined when it is not plain. */
function settingMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = typeof value === 'string' ? /^(\d+)\s*(ms|s|min|h)?$/.exec(value.trim()) : null;
  return m ? Number(m[1]) * UNIT_MS[m[2] ?? '']! : undefined;
}

/**
 * Keeps the client's read timeout in step with the statement timeout the server will apply, when
 * a DSN or extraOptions set one of their own: longer than it (a DSN asking for 5 minutes must not
 * be cut at our 33 s), or none when it is 0 or cannot be read. extraOptions.query_timeout wins.
 */
function alignReadTimeout(config: pg.PoolConfig, extra: readonly Readonly<Record<string, unknown>>[]): void {
  if (extra.some((e) => e.query_timeout !== undefined)) return;
  let statement: unknown;
  // The server applies `options` first and separate startup parameters after them.
  for (const m of (config.options ?? '').matchAll(/(?:^|\s)(?:-c\s*|--)statement_timeout=(\S+)/g))
    statement = m[1];
  if (config.statement_timeout !== undefined) statement = config.statement_timeout;
  if (statement === undefined) return;
  const ms = settingMs(statement);
  if (ms !== undefined && ms > 0) config.query_timeout = clientReadTimeoutMs(ms);
  else delete config.query_timeout;
}

type TlsOptions = Exclude<pg.PoolConfig['ssl'], boolean | undefined>;

/**
 * libpq's sslmode as node-postgres `ssl`. `allow` and `prefer` (libpq: TLS if the server offers
 * it) connect without TLS, since node-postgres cannot fall back from one to the other; both modes
 * accept an unencrypted connection, so this stays within what they promise.
 */
export function sslFor(mode: SslMode | DsnSslMode): false | TlsOptions {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must be trusted, but the host name is not compared with the certificate.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

function readPem(path: string, param: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read ${param} file ${path}: ${(error as Error).message}`);
  }
}

/** PEM file paths of TLS, as libpq's sslrootcert, sslcert and sslkey. */
interface TlsFiles {
  rootCert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** node-postgres `ssl` for a mode and its files; the files matter only when TLS is on. */
function tlsSettings(mode: SslMode | DsnSslMode, files: TlsFiles, field: string): false | TlsOptions {
  const ssl = sslFor(mode);
  if (!ssl) return false;
  const out: TlsOptions = { ...ssl };
  if (files.rootCert && files.rootCert !== 'system') out.ca = readPem(files.rootCert, 'sslrootcert', field);
  if (files.cert) out.cert = readPem(files.cert, 'sslcert', field);
  if (files.key) out.key = readPem(files.key, 'sslkey', field);
  return out;
}

const optionFiles = (o: ResolvedPostgresOptions): TlsFiles => ({
  rootCert: o.sslRootCert,
  cert: o.sslCert,
  key: o.sslKey,
});

/**
 * Settings from a parsed connection string; `sslMode` and the options' TLS files apply when the
 * string has no sslmode (or no file) of its own.
 */
function fromConnectionString(
  parsed: ParsedConnectionString,
  sslMode: SslMode | undefined,
  files: TlsFiles,
  field: string,
): pg.PoolConfig {
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
  config.ssl = tlsSettings(
    parsed.sslMode ?? sslMode ?? DEFAULT_SSL_MODE,
    {
      rootCert: parsed.sslRootCert ?? files.rootCert,
      cert: parsed.sslCert ?? files.cert,
      key: parsed.sslKey ?? files.key,
    },
    field,
  );
  return config;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Layers pool settings; a later `ssl` object is merged over an earlier one (a CA over a mode), and
 * a later `options` string is appended to an earlier one (its `-c` settings then win over ours).
 */
function layer(...configs: Readonly<object>[]): pg.PoolConfig {
  const out: Record<string, unknown> = {};
  for (const config of configs) {
    for (const [key, value] of Object.entries(config)) {
      if (value === undefined) continue;
      if (key === 'ssl' && isPlainObject(out.ssl) && isPlainObject(value))
        out[key] = { ...out.ssl, ...value };
      else if (key === 'options' && typeof out.options === 'string' && typeof value === 'string')
        out[key] = `${out.options} ${value}`;
      else out[key] = value;
    }
  }
  return out as pg.PoolConfig;
}

/** A URL for messages, built from settings, with the password shown as `***`. */
function describeSettings(config: pg.PoolConfig, sslMode: SslMode | DsnSslMode): string {
  const user = config.user ? `${encodeURIComponent(config.user)}${config.password ? ':***' : ''}@` : '';
  const host = config.host?.includes(':') ? `[${config.host}]` : (config.host ?? '');
  const port = config.port === undefined ? '' : `:${config.port}`;
  return `postgres://${user}${host}${port}/${encodeURIComponent(config.database ?? '')}?sslmode=${sslMode}`;
}

/** Freezes a plan whose printed form hides the password of its pool settings. */
function plan(
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
    const config = layer(
      baseSettings(o),
      fromConnectionString(parsed, o.sslMode, optionFiles(o), 'dsn'),
      o.extraOptions,
    );
    alignReadTimeout(config, [o.extraOptions]);
    // Described from the parsed settings, never from the text: a password holding a space or
    // an `@` defeats any pattern that guesses where it ends.
    const sslMode = parsed.sslMode ?? o.sslMode ?? DEFAULT_SSL_MODE;
    return plan('dsn', config, describeSettings(config, sslMode), redact, serverTimeouts(o, config));
  }

  if (o.host === undefined && o.instance === undefined && o.dataDir !== undefined) {
    return plan('dataDir', undefined, `the embedded database in ${o.dataDir}`, redact);
  }

  if (o.host !== undefined || o.instance === undefined) {
    const source = o.host !== undefined ? 'host' : 'default';
    const sslMode = o.sslMode ?? DEFAULT_SSL_MODE;
    const settings: pg.PoolConfig = {
      host: o.host ?? DEFAULT_HOST,
      port: o.port ?? DEFAULT_PORT,
      database: o.database ?? DEFAULT_DATABASE,
      user: o.user,
      password: o.password,
      ssl: tlsSettings(sslMode, optionFiles(o), 'sslRootCert'),
    };
    const config = layer(baseSettings(o), settings, o.extraOptions);
    alignReadTimeout(config, [o.extraOptions]);
    return plan(source, config, describeSettings(config, sslMode), redact, serverTimeouts(o, config));
  }

  const instance = getPostgresInstance(o.instance);
  if (!instance) {
    throw new ConfigError('instance', `no PostgreSQL instance is registered as "${o.instance}"`);
  }
  const parsed = parseConnectionString(instance.connectionString, 'connectionString');
  const config = layer(
    baseSettings(o),
    fromConnectionString(parsed, o.sslMode, optionFiles(o), 'connectionString'),
    instance.extraOptions,
    o.extraOptions,
  );
  alignReadTimeout(config, [instance.extraOptions, o.extraOptions]);
  const sslMode = parsed.sslMode ?? o.sslMode ?? DEFAULT_SSL_MODE;
  return plan(
    'instance',
    config,
    `${describeSettings(config, sslMode)} (instance "${instance.name}")`,
    redact,
    serverTimeouts(o, config),
  );
}

/**
 * Opens the connection the options choose. Nothing connects yet (pools connect on first use);
 * call {@link checkConnection} to fail fast on an unreachable server.
 */
export function openConnection(o: ResolvedPostgresOptions): OpenedConnection {
  const decided = planConnection(o);
  const { describe, redact } = decided;
  if (o.client) return Object.freeze({ client: o.client, owned: false, describe, redact });
  if (o.pool)
    return Object.freeze({
      client: pgClient(o.pool, { owned: false, preparedStatements: o.preparedStatements }),
      owned: false,
      describe,
      redact,
    });
  if (decided.source === 'dataDir')
    return Object.freeze({ client: embeddedClient(o.dataDir!), owned: true, describe, redact });
  const pool = createPgPool(decided.poolConfig!, {
    onError: (error) =>
      o.onError?.(connectionError(error, describe, 'an idle connection failed', redact), {
        operation: 'pool',
      }),
  });
  return Object.freeze({
    client: pgClient(pool, {
      owned: true,
      preparedStatements: o.preparedStatements,
      timeouts: decided.timeouts ?? {},
    }),
    owned: true,
    describe,
    redact,
  });
}

/**
 * A StorageError for a failure talking to the database at `describe`. The message never holds
 * a password: the description is redacted, and so is the driver's message (the driver's error
 * stays available as `cause`).
 */
export function connectionError(
  error: unknown,
  describe: string,
  action: string,
  redact: Redactor,
): StorageError {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return new StorageError(redact(`${action} (${describe}): ${message}`), {
    cause: redactCause(error, redact),
  });
}

/**
 * Runs `SELECT 1`, so an unreachable server, bad credentials or a missing database fail at start
 * with a StorageError naming the (redacted) target.
 */
export async function checkConnection(connection: OpenedConnection): Promise<void> {
  try {
    await connection.client.query('SELECT 1');
  } catch (error) {
    throw connectionError(error, connection.describe, 'cannot connect', connection.redact);
  }
}
