/**
 * Resolving PostgresSessionService options: defaults applied, every field checked, the connection
 * chosen, the result frozen and printable without secrets.
 */
import { inspect } from 'node:util';
import { loggerErrorReporter } from '../../observability/index.js';
import { ConfigError } from '../../session/errors.js';
import type { AppendEventHook, GetSessionHook } from '../../session/hooks.js';
import {
  allowlistOption,
  clockOption,
  count,
  flag,
  functions,
  MAX_TIMER_MS,
  MAX_WORKERS,
  onErrorOption,
  sessionEventLimit,
  summarizerOption,
  timerPeriod,
  ttl,
} from '../../session/option-checks.js';
import {
  DEFAULT_ASYNC_SUMMARY_NUM,
  DEFAULT_CLEANUP_INTERVAL_MS,
  DEFAULT_SESSION_EVENT_LIMIT,
  DEFAULT_SUMMARY_JOB_TIMEOUT_MS,
  DEFAULT_SUMMARY_QUEUE_SIZE,
} from '../../session/service-options.js';
import { getPostgresInstance } from '../../storage/postgres/registry.js';
import { parseConnectionString } from '../connection/connection-string.js';
import { tableNames } from '../schema/index.js';
import { hasMethods, isPlainObject, text } from './fields.js';
import { hideSecrets, printable } from './secrets.js';
import {
  DEFAULT_ASYNC_PERSISTER_NUM,
  type PostgresSessionServiceOptions,
  type ResolvedPostgresOptions,
  type SslMode,
} from './types.js';

const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

// ---------------------------------------------------------------------------------------------

/**
 * Applies defaults and checks every option, so a bad configuration fails at construction with a
 * ConfigError naming the option, not at the first query.
 *
 * Rules: counts and durations are non-negative integers (0 or absent means the default, except
 * TTLs where 0 means never); `cleanupIntervalMs` and `summaryJobTimeoutMs` fit a Node timer
 * (<= 2^31-1); `port` is 1..65535; `sslMode` is one of disable/require/verify-ca/verify-full;
 * `schema` and `tablePrefix` are identifiers that keep every table and index name within 63 bytes;
 * `pool` and `client` are not both given; the `instance` is registered when it is the connection
 * used; a `dsn` parses.
 *
 * `sessionEventLimit`: Go reads 0 as "no limit"; here 0 is the default (1000), so a forgotten
 * value never makes every read load a whole session. At most 2,147,483,647, as a call's `eventNum`.
 */
export function resolvePostgresOptions(options: PostgresSessionServiceOptions = {}): ResolvedPostgresOptions {
  const o: PostgresSessionServiceOptions = options;
  if (!isPlainObject(options as unknown)) throw new ConfigError('options', 'must be an object');

  const dsn = text('dsn', o.dsn);
  if (dsn !== undefined) parseConnectionString(dsn, 'dsn');
  const host = text('host', o.host);
  let port: number | undefined;
  if (o.port !== undefined) {
    if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
      throw new ConfigError('port', `must be an integer from 1 to 65535, got ${inspect(o.port)}`);
    }
    port = o.port;
  }
  const sslMode = text('sslMode', o.sslMode) as SslMode | undefined;
  if (sslMode !== undefined && !SSL_MODES.includes(sslMode)) {
    throw new ConfigError('sslMode', `must be one of ${SSL_MODES.join(', ')}, got "${sslMode}"`);
  }
  if (o.extraOptions !== undefined && !isPlainObject(o.extraOptions)) {
    throw new ConfigError('extraOptions', 'must be an object of pg.Pool settings');
  }
  // node-postgres parses a connectionString over every other setting: it would connect elsewhere
  // than the dsn, host and instance options say, and than errors and inspect() describe.
  if (o.extraOptions !== undefined && 'connectionString' in o.extraOptions) {
    throw new ConfigError('extraOptions.connectionString', 'is not taken: give the connection string as dsn');
  }
  if (o.pool !== undefined && !hasMethods(o.pool, ['connect', 'query'])) {
    throw new ConfigError('pool', 'must be a pg.Pool');
  }
  if (o.client !== undefined && !hasMethods(o.client, ['query', 'transaction', 'close'])) {
    throw new ConfigError('client', 'must be a SqlClient (pgClient(...) or pgliteClient(...))');
  }
  if (o.pool !== undefined && o.client !== undefined) {
    throw new ConfigError('client', 'give either pool or client, not both');
  }
  const instance = text('instance', o.instance);
  // Checked only when it is the connection used, as Go looks it up only then.
  const usesInstance =
    !o.client && !o.pool && dsn === undefined && host === undefined && instance !== undefined;
  if (usesInstance && !getPostgresInstance(instance)) {
    throw new ConfigError(
      'instance',
      `no PostgreSQL instance is registered as "${instance}"; call registerPostgresInstance("${instance}", { connectionString }) first`,
    );
  }

  // Timeouts become timers (node-postgres) and server settings (int milliseconds): both must fit.
  const connectTimeoutMs = timerPeriod('connectTimeoutMs', o.connectTimeoutMs);
  const statementTimeoutMs = timerPeriod('statementTimeoutMs', o.statementTimeoutMs);
  const lockTimeoutMs = timerPeriod('lockTimeoutMs', o.lockTimeoutMs);

  const sessionTtlMs = ttl('sessionTtlMs', o.sessionTtlMs) ?? 0;
  const appStateTtlMs = ttl('appStateTtlMs', o.appStateTtlMs) ?? 0;
  const userStateTtlMs = ttl('userStateTtlMs', o.userStateTtlMs) ?? 0;
  const trackEventTtlMs = ttl('trackEventTtlMs', o.trackEventTtlMs) ?? sessionTtlMs;
  const anyTtl = sessionTtlMs > 0 || appStateTtlMs > 0 || userStateTtlMs > 0 || trackEventTtlMs > 0;
  const interval = timerPeriod('cleanupIntervalMs', o.cleanupIntervalMs) ?? 0;
  const summaryJobTimeoutMs = count(
    'summaryJobTimeoutMs',
    o.summaryJobTimeoutMs,
    DEFAULT_SUMMARY_JOB_TIMEOUT_MS,
    MAX_TIMER_MS,
  );

  const summarizer = summarizerOption(o.summarizer);
  const onError = onErrorOption(o.onError);
  const schema = text('schema', o.schema) ?? '';
  const tablePrefix = text('tablePrefix', o.tablePrefix) ?? '';

  const resolved: ResolvedPostgresOptions = {
    dsn,
    host,
    port,
    user: text('user', o.user),
    password: text('password', o.password),
    database: text('database', o.database),
    sslMode,
    sslRootCert: text('sslRootCert', o.sslRootCert),
    sslCert: text('sslCert', o.sslCert),
    sslKey: text('sslKey', o.sslKey),
    instance,
    extraOptions: Object.freeze({ ...(o.extraOptions ?? {}) }),
    connectTimeoutMs,
    statementTimeoutMs,
    lockTimeoutMs,
    preparedStatements:
      o.preparedStatements === undefined ? undefined : flag('preparedStatements', o.preparedStatements, true),
    pool: o.pool,
    client: o.client,
    dataDir: text('dataDir', o.dataDir),
    sessionEventLimit: sessionEventLimit(o.sessionEventLimit, DEFAULT_SESSION_EVENT_LIMIT),
    sessionTtlMs,
    appStateTtlMs,
    userStateTtlMs,
    trackEventTtlMs,
    cleanupIntervalMs: interval > 0 ? interval : anyTtl ? DEFAULT_CLEANUP_INTERVAL_MS : 0,
    softDelete: flag('softDelete', o.softDelete, true),
    asyncPersist: flag('asyncPersist', o.asyncPersist, false),
    asyncPersisterNum: count(
      'asyncPersisterNum',
      o.asyncPersisterNum,
      DEFAULT_ASYNC_PERSISTER_NUM,
      MAX_WORKERS,
    ),
    flushOnExit: flag('flushOnExit', o.flushOnExit, false),
    summarizer,
    asyncSummaryNum: count('asyncSummaryNum', o.asyncSummaryNum, DEFAULT_ASYNC_SUMMARY_NUM, MAX_WORKERS),
    summaryQueueSize: count('summaryQueueSize', o.summaryQueueSize, DEFAULT_SUMMARY_QUEUE_SIZE),
    summaryJobTimeoutMs,
    summaryFilterAllowlist: allowlistOption(o.summaryFilterAllowlist),
    cascadeFullSessionSummary: flag('cascadeFullSessionSummary', o.cascadeFullSessionSummary, true),
    schema,
    tablePrefix,
    skipDbInit: flag('skipDbInit', o.skipDbInit, false),
    appendEventHooks: functions<AppendEventHook>('appendEventHooks', o.appendEventHooks),
    getSessionHooks: functions<GetSessionHook>('getSessionHooks', o.getSessionHooks),
    clock: clockOption(o.clock),
    onError: onError ?? loggerErrorReporter(o.logger),
    tables: tableNames(schema, tablePrefix),
  };
  return Object.freeze(hideSecrets(resolved, () => printable(resolved)));
}
