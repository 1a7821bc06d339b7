/**
 * A PgBouncer of the test's own, on a free local port in front of the test server, so suites can
 * run through a real connection pooler in transaction or session mode.
 *
 * PgBouncer refuses to run as root, so as root it is started as the `postgres` user (setpriv).
 * Suites that use it are skipped when the binary is missing, unless
 * AGENT_SESSIONS_TEST_PGBOUNCER=required (set by .ci/run, which installs it), where a missing
 * binary fails them instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { commandPath } from './command-path.js';
import { serverUrl, type TestDatabase, withServerSchema } from './database.js';

export type PoolMode = 'transaction' | 'session' | 'statement';

/** A running PgBouncer. */
export interface PgBouncer {
  readonly port: number;
  readonly mode: PoolMode;
  /** The test server's URL with host and port replaced by PgBouncer's. */
  readonly url: string;
  /** Rewrites the configuration with `settings` changed and has PgBouncer reload it (SIGHUP). */
  reload(settings: Record<string, string>): Promise<void>;
  /** Stops PgBouncer and removes its directory. */
  stop(): Promise<void>;
}

function findBinary(): string | undefined {
  for (const path of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    if (existsSync(path)) return path;
  }
  return commandPath('pgbouncer');
}

const binary = findBinary();
const required = process.env.AGENT_SESSIONS_TEST_PGBOUNCER === 'required';

/** Why PgBouncer suites cannot run here, or undefined when they can. */
export const pgbouncerUnavailable: string | undefined = !serverUrl
  ? 'AGENT_SESSIONS_TEST_DATABASE_URL is not set'
  : !binary && !required
    ? 'pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)'
    : undefined;

if (pgbouncerUnavailable) console.info(`PgBouncer suites skipped: ${pgbouncerUnavailable}`);

/** `describe` when PgBouncer can run in front of the test server, `describe.skip` otherwise. */
export const describePgBouncer: typeof describe.skip = pgbouncerUnavailable ? describe.skip : describe;

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

// libpq-style quoting for the [databases] connection string of PgBouncer.
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Starts PgBouncer in `mode` in front of the test server (or of `target`, a postgres:// URL).
 * `settings` are extra `[pgbouncer]` lines (e.g. `{ default_pool_size: '2' }`).
 */
export async function startPgBouncer(
  mode: PoolMode,
  { target = serverUrl, settings = {} }: { target?: string; settings?: Record<string, string> } = {},
): Promise<PgBouncer> {
  if (!binary) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  if (!target) throw new Error('startPgBouncer: no server to put PgBouncer in front of');
  const server = new URL(target);
  const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-pgbouncer-'));
  // The unprivileged user PgBouncer runs as writes its log and pid file here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const upstream = [
    `host=${quote(server.hostname.replace(/^\[(.*)\]$/, '$1'))}`,
    `port=${server.port || '5432'}`,
    `user=${quote(decodeURIComponent(server.username || 'postgres'))}`,
    ...(server.password ? [`password=${quote(decodeURIComponent(server.password))}`] : []),
  ].join(' ');
  const ini = join(dir, 'pgbouncer.ini');
  let lines: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: '',
    // Any client user name is accepted and every server connection logs in as the target's user.
    auth_type: 'any',
    pool_mode: mode,
    max_client_conn: '500',
    default_pool_size: '10',
    // Fail waiting clients soon after the server went away instead of holding them for minutes.
    server_login_retry: '1',
    query_wait_timeout: '20',
    logfile: join(dir, 'pgbouncer.log'),
    pidfile: join(dir, 'pgbouncer.pid'),
    ...settings,
  };
  const write = () => {
    writeFileSync(
      ini,
      `[databases]\n* = ${upstream}\n\n[pgbouncer]\n${Object.entries(lines)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n`,
    );
    chmodSync(ini, 0o644);
  };
  write();
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = asRoot
    ? spawn('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', binary, ini], {
        stdio: 'ignore',
      })
    : spawn(binary, [ini], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const log = () => {
    try {
      return readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const text = log();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start on port ${port}:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let logLength = log().length;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    port,
    mode,
    url: url.toString(),
    async reload(settings) {
      lines = { ...lines, ...settings };
      write();
      const reloaded = Date.now();
      child.kill('SIGHUP');
      // PgBouncer logs each reload; wait for it, so the caller meets the new settings.
      while (!log().slice(logLength).includes('re-reading config')) {
        if (exited || Date.now() - reloaded > 10_000) throw new Error(`pgbouncer did not reload:\n${log()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      logLength = log().length;
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh schema on the test server, reached through `bouncer`: services connect with its DSN
 * and their own default options (the point of the exercise); `sql` reads rows back directly.
 */
export async function openBouncerDatabase(bouncer: PgBouncer): Promise<TestDatabase> {
  const direct = await withServerSchema();
  return {
    connect: { dsn: bouncer.url, schema: direct.schema },
    sql: direct.client,
    schema: direct.schema,
    close: direct.drop,
  };
}
