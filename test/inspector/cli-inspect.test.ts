/**
 * `agent-sessions inspect` as a user runs it (the built command in a subprocess): on the demo's
 * embedded database in ./.agent-sessions, and on a server given by a DSN with a password, which
 * neither the terminal nor anything the page can fetch ever shows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_NAME, playConversation } from '../../examples/demo/conversation.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { pgClient } from '../../src/sql/pg-client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import {
  BUILD_TIMEOUT_MS,
  baseEnv,
  CLI,
  cli,
  ensureBuilt,
  expectOneLineError,
  ok,
  STEP_TIMEOUT_MS,
  serverSchema,
  serverUrl,
  tempDir,
} from '../cli/support.js';
import { request } from './support.js';

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

/** A running `agent-sessions inspect`, its URL once printed, and everything it printed. */
async function startInspect(
  args: readonly string[],
  cwd: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'inspect', '--port', '0', ...args], { cwd, env: baseEnv() });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), STEP_TIMEOUT_MS - 10_000);
    const check = () => {
      const m = /(http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`inspect exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

/** Stops the inspector as Ctrl-C does and resolves with its exit code. */
function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

describe('agent-sessions inspect', () => {
  it(
    'serves the demo sessions from the embedded database in ./.agent-sessions, and stops on Ctrl-C',
    async () => {
      const dir = tempDir('agent-sessions-inspect-');
      try {
        const client = await pgliteClient(join(dir.path, '.agent-sessions'));
        const service = await PostgresSessionService.create({ client });
        const session = await playConversation(service);
        await service.close();
        await client.close();

        const { child, url, output } = await startInspect([], dir.path);
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        // The banner's lines may arrive in more than one chunk: wait for the last one.
        for (let i = 0; i < 100 && !output().includes('Ctrl-C'); i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(output()).toContain('Read-only');
        const apps = await request(`${url}api/apps`);
        expect(JSON.parse(apps.body).rows).toEqual([
          expect.objectContaining({ appName: APP_NAME, sessions: 1 }),
        ]);
        const timeline = await request(`${url}api/timeline?app=${APP_NAME}&user=ada&session=${session.id}`);
        expect(JSON.parse(timeline.body).events).toHaveLength(8);
        expect((await request(url)).body).toContain('<script type="module" src="/app.js">');
        expect(await stop(child)).toBe(0);
      } finally {
        dir.remove();
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'refuses to listen beyond loopback without --expose, and documents its flags',
    async () => {
      const dir = tempDir('agent-sessions-inspect-');
      try {
        const help = ok(await cli(['inspect', '--help'], { cwd: dir.path }));
        for (const flag of ['--dsn', '--data-dir', '--host', '--port', '--expose', '--allow-writes']) {
          expect(help.stdout).toContain(flag);
        }
        const client = await pgliteClient(join(dir.path, '.agent-sessions'));
        await (await PostgresSessionService.create({ client })).close();
        await client.close();
        const line = expectOneLineError(await cli(['inspect', '--host', '0.0.0.0'], { cwd: dir.path }));
        expect(line).toMatch(/not a loopback address.*--expose/);
      } finally {
        dir.remove();
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'reports a --host it cannot listen on in one line naming --host, not as a database error',
    async () => {
      const dir = tempDir('agent-sessions-inspect-');
      try {
        const client = await pgliteClient(join(dir.path, '.agent-sessions'));
        await (await PostgresSessionService.create({ client })).close();
        await client.close();
        // 192.0.2.1 is a documentation address (RFC 5737): no machine of ours has it.
        const absent = expectOneLineError(
          await cli(['inspect', '--host', '192.0.2.1', '--expose'], { cwd: dir.path }),
        );
        expect(absent).toMatch(/--host 192\.0\.2\.1 is not an address of this machine \(EADDRNOTAVAIL\)/);
        expect(absent).not.toContain('database error');
        // .invalid never resolves (RFC 6761).
        const unknown = expectOneLineError(
          await cli(['inspect', '--host', 'nowhere.invalid', '--expose'], { cwd: dir.path }),
        );
        expect(unknown).toMatch(/--host nowhere\.invalid does not resolve to an address \(ENOTFOUND\)/);
        expect(unknown).not.toContain('database error');
      } finally {
        dir.remove();
      }
    },
    STEP_TIMEOUT_MS,
  );
});

describe.skipIf(!serverUrl)('agent-sessions inspect on server PostgreSQL', () => {
  const PASSWORD = 'pw-never-shown-7f3a';
  let schema: Awaited<ReturnType<typeof serverSchema>>;
  let dir: ReturnType<typeof tempDir>;
  let sessionId: string;

  beforeAll(async () => {
    schema = await serverSchema();
    dir = tempDir('agent-sessions-inspect-server-');
    const service = await PostgresSessionService.create({
      client: pgClient(schema.pool, { owned: false }),
      schema: schema.schema,
    });
    sessionId = (await playConversation(service)).id;
    await service.close();
  }, 120_000);
  afterAll(async () => {
    dir?.remove();
    await schema?.drop();
  });

  it(
    'never shows the DSN or its password, in the terminal or in anything the page can fetch',
    async () => {
      // The test server trusts local connections: the password is accepted and ignored.
      const u = new URL(serverUrl!);
      u.username = 'postgres';
      u.password = PASSWORD;
      const dsn = u.toString();
      const { child, url, output } = await startInspect(['--dsn', dsn, '--schema', schema.schema], dir.path);
      try {
        const key = `app=${APP_NAME}&user=ada&session=${sessionId}`;
        const bodies = await Promise.all(
          [
            '',
            'app.js',
            'dom.js',
            'api/info',
            'api/apps',
            `api/users?app=${APP_NAME}`,
            `api/sessions?app=${APP_NAME}&user=ada`,
            `api/timeline?${key}`,
            `api/export?${key}`,
            `api/transcript?${key}`,
            'api/sessions?app=x&user=y&cursor=bad',
          ].map(async (path) => (await request(`${url}${path}`)).body),
        );
        expect(bodies[4]).toContain(APP_NAME);
        expect(JSON.parse(bodies[3]!)).toEqual({ database: 'PostgreSQL server', writable: false });
        for (const body of bodies) {
          expect(body).not.toContain(PASSWORD);
          expect(body).not.toContain(u.host);
        }
        // The terminal names the server (the operator's own screen), with the password hidden.
        expect(output()).toContain('***');
        expect(output()).not.toContain(PASSWORD);
      } finally {
        expect(await stop(child)).toBe(0);
      }
    },
    STEP_TIMEOUT_MS,
  );
});
