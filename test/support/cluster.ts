/**
 * A throwaway PostgreSQL cluster of the test's own (initdb + pg_ctl in a temporary directory, on a
 * free port), for tests that need a server configured in a way the shared test server must not be
 * (TLS with the test's own certificates) or that stop and start it. The shared server is never
 * touched. As root, the cluster runs as the `postgres` user, since PostgreSQL refuses root.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './pgbouncer.js';

/** The directory of initdb and pg_ctl, or undefined when PostgreSQL's server tools are missing. */
export const postgresBin: string | undefined = (() => {
  const fromEnv = process.env.AGENT_SESSIONS_TEST_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
})();

const asRoot = process.getuid?.() === 0;

function ids(user: string): { uid: number; gid: number } {
  const out = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: out('-u'), gid: out('-g') };
}

/** Runs a PostgreSQL tool, as the `postgres` user when we are root. */
function tool(name: string, args: string[]): string {
  const bin = join(postgresBin!, name);
  const [command, argv] = asRoot
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', bin, ...args]]
    : [bin, args];
  return execFileSync(command as string, argv as string[], { encoding: 'utf8', stdio: 'pipe' });
}

/** A running throwaway cluster. */
export interface Cluster {
  readonly port: number;
  /** Its directory; files written here with {@link Cluster.write} are readable by the server. */
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** Writes a file the server can read (owned by the server's user, mode 0600). */
  write(name: string, content: string): string;
  restart(): void;
  stop(): void;
}

/**
 * Creates and starts a cluster. `conf` lines go into postgresql.conf; `hba` replaces pg_hba.conf
 * (default: trust for local TCP). `files` are written into the data directory's parent first (e.g.
 * certificates), and can be named in `conf` by their path under {@link Cluster.dir}.
 */
export function startCluster({
  conf = {},
  hba = 'host all all 127.0.0.1/32 trust\n',
  files = {},
}: {
  conf?: Record<string, string>;
  hba?: string;
  files?: Record<string, string>;
} = {}): Promise<Cluster> {
  return (async () => {
    if (!postgresBin) throw new Error('PostgreSQL server tools (initdb, pg_ctl) are not installed');
    const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-cluster-'));
    const owner = asRoot ? ids('postgres') : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const data = join(dir, 'data');
    const write = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      if (owner) chownSync(path, owner.uid, owner.gid);
      return path;
    };
    for (const [name, content] of Object.entries(files)) write(name, content);
    tool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const settings = {
      port: String(port),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${dir}'`,
      fsync: 'off',
      shared_buffers: "'16MB'",
      max_connections: '40',
      ...conf,
    };
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      `${Object.entries(settings)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n`,
    );
    writeFileSync(join(data, 'pg_hba.conf'), hba);
    if (owner) {
      chownSync(join(data, 'postgresql.auto.conf'), owner.uid, owner.gid);
      chownSync(join(data, 'pg_hba.conf'), owner.uid, owner.gid);
    }
    const log = join(dir, 'server.log');
    const pgCtl = (...args: string[]) => tool('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args]);
    try {
      pgCtl('start');
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr ?? '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the throwaway cluster did not start: ${detail}`);
    }
    let running = true;
    return {
      port,
      dir,
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      write,
      restart: () => pgCtl('restart', '-m', 'fast'),
      stop() {
        if (running) {
          running = false;
          try {
            pgCtl('stop', '-m', 'immediate');
          } catch {
            // Already stopped: removing the directory is all that is left.
          }
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  })();
}
