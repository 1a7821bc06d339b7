/**
 * The node-postgres pool settings of a service: the defaults, the service's timeouts (connect,
 * statement, lock) on the server and in the client, and how layered settings merge.
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import type { ServerTimeouts } from '../../sql/pg-session.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type ResolvedPostgresOptions,
} from '../options.js';

// Node timers take at most 2^31-1 ms.
export const MAX_TIMER_MS = 2 ** 31 - 1;

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
 * The client timer that bounds every statement, as node-postgres's `query_timeout` setting, so
 * that `extraOptions` can set or override it like any pool setting; for a pool the service
 * creates, open.ts takes it out of the pool's settings and hands it to the client adapter, which
 * runs the timer itself (see send in sql/pg-client.ts). The server-side timeouts are not startup
 * parameters (PgBouncer refuses `options`): the client sets them once a connection is open, see
 * {@link serverTimeouts}.
 */
export function readTimeout(statementTimeoutMs: number): pg.PoolConfig {
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
export function baseSettings(o: ResolvedPostgresOptions): pg.PoolConfig {
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
export function serverTimeouts(o: ResolvedPostgresOptions, config: pg.PoolConfig): ServerTimeouts {
  const given = (name: string) =>
    (config as Record<string, unknown>)[name] !== undefined ||
    new RegExp(`(?:^|\\s)(?:-c\\s*|--)${name}=`).test(config.options ?? '');
  const timeouts: ServerTimeouts = {};
  if (!given('statement_timeout'))
    timeouts.statementTimeoutMs = o.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (!given('lock_timeout')) timeouts.lockTimeoutMs = o.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  return timeouts;
}

export const UNIT_MS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

/** A statement_timeout setting's value in milliseconds, or undefined when it is not plain. */
export function settingMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = typeof value === 'string' ? /^(\d+)\s*(ms|s|min|h)?$/.exec(value.trim()) : null;
  return m ? Number(m[1]) * UNIT_MS[m[2] ?? '']! : undefined;
}

/**
 * Keeps the client's read timeout in step with the statement timeout the server will apply, when
 * a DSN or extraOptions set one of their own: longer than it (a DSN asking for 5 minutes must not
 * be cut at our 33 s), or none when it is 0 or cannot be read. extraOptions.query_timeout wins.
 */
export function alignReadTimeout(
  config: pg.PoolConfig,
  extra: readonly Readonly<Record<string, unknown>>[],
): void {
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
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Layers pool settings; a later `ssl` object is merged over an earlier one (a CA over a mode), and
 * a later `options` string is appended to an earlier one (its `-c` settings then win over ours).
 */
export function layer(...configs: Readonly<object>[]): pg.PoolConfig {
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

/** The operating system account's name, or undefined where it has none (an arbitrary uid). */
function accountName(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * `config` with the user to log in as when nothing names one (no option, connection string or
 * PGUSER): the operating system account's name, as libpq and Go's pgx default it.
 * node-postgres falls back to `$USER` only, which containers and service managers often leave
 * unset; it then sends no user at all, and the server answers "no PostgreSQL user name specified
 * in startup packet".
 */
export function withLoginUser(config: pg.PoolConfig): pg.PoolConfig {
  if (config.user || process.env.PGUSER || pg.defaults.user) return config;
  const user = accountName();
  return user ? { ...config, user } : config;
}
