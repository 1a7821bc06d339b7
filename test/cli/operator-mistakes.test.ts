/**
 * The built command under an operator's everyday mistakes, each a one-line error that names what
 * is wrong and changes nothing: an empty `--dsn "$DSN"` or `--data-dir "$DIR"` from an unset
 * variable, a data directory that is a file or reached through a symbolic link, a duration past
 * what a timestamp holds, an `--output` that cannot be written, and a full disk under stdout.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_POSTGRES_MAJOR } from '../../src/sql/pglite-version.js';
import {
  BUILD_TIMEOUT_MS,
  CLI,
  cli,
  emptySessionRecord,
  ensureBuilt,
  expectOneLineError,
  ok,
  partialFilesOf,
  STEP_TIMEOUT_MS,
  tempDir,
  withPglite,
} from './support.js';

/** Runs the command with its stdout on /dev/full, where every write fails with ENOSPC. */
function runIntoFullDisk(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', DATABASE_URL: '' },
      stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('agent-sessions and an operator’s mistakes', () => {
  let dir: ReturnType<typeof tempDir>;
  const run = (args: string[]) => cli(args, { cwd: dir.path });

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir('agent-sessions-mistakes-');
    // One embedded database with its tables, reached through a link too.
    ok(await run(['migrate', '--data-dir', join(dir.path, 'real')]));
    symlinkSync(join(dir.path, 'real'), join(dir.path, 'link'));
  }, BUILD_TIMEOUT_MS);
  afterAll(() => dir.remove());

  it(
    'refuses an empty --data-dir or --dsn on the command line, and creates nothing',
    async () => {
      const before = readdirSync(dir.path).sort();
      for (const blank of ['', '  ']) {
        const dataDir = await run(['migrate', '--data-dir', blank]);
        expect(dataDir.code).not.toBe(0);
        expect(dataDir.stderr).toMatch(
          /^error: option '--data-dir <dir>' argument '\s*' is invalid\. must not be empty/,
        );
        const dsn = await run(['ls', '--dsn', blank]);
        expect(dsn.code).not.toBe(0);
        expect(dsn.stderr).toMatch(/^error: option '--dsn <url>' must not be empty/);
      }
      expect(readdirSync(dir.path).sort()).toEqual(before);
      // An empty DATABASE_URL is unset, as for libpq: the embedded database answers.
      const env = ok(await cli(['ls', '--data-dir', 'real'], { cwd: dir.path, env: { DATABASE_URL: '' } }));
      expect(env.stdout).toContain('No apps found.');
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'refuses a data directory that is a file',
    async () => {
      writeFileSync(join(dir.path, 'afile'), 'mine');
      writeFileSync(join(dir.path, 'empty.jsonl'), '');
      const line = expectOneLineError(await run(['import', '--data-dir', 'afile', 'empty.jsonl']));
      expect(line).toBe(`agent-sessions: error: --data-dir ${join(dir.path, 'afile')} is not a directory`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'refuses a data directory another PostgreSQL made, and leaves it as it was',
    async () => {
      const other = join(dir.path, 'other-postgres');
      cpSync(join(dir.path, 'real'), other, { recursive: true });
      const major = EMBEDDED_POSTGRES_MAJOR + 1;
      writeFileSync(join(other, 'PG_VERSION'), `${major}\n`);
      writeFileSync(join(dir.path, 'one.jsonl'), '');
      for (const args of [['ls'], ['migrate'], ['import', 'one.jsonl'], ['export']]) {
        const line = expectOneLineError(await run([...args, '--data-dir', 'other-postgres']));
        expect(line).toBe(
          `agent-sessions: error: dataDir: ${realpathSync(other)} holds a database of PostgreSQL ${major}, and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}, which cannot open it: open it with the release that made it, export the sessions there (agent-sessions export) and import them here`,
        );
      }
      expect(readFileSync(join(other, 'PG_VERSION'), 'utf8')).toBe(`${major}\n`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'opens a data directory through a symbolic link, under the directory’s own lock',
    async () => {
      expect(ok(await run(['ls', '--data-dir', 'link'])).stdout).toContain('No apps found.');
      // While this process holds the directory, the command on the link finds it taken.
      await withPglite(join(dir.path, 'real'), async () => {
        const line = expectOneLineError(await run(['ls', '--data-dir', 'link']));
        expect(line).toContain('already open');
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'refuses a duration reaching back past year 1',
    async () => {
      for (const args of [
        ['cleanup', '--session-ttl', '1000000d'],
        ['purge', '--older-than', '1000000d'],
      ]) {
        const result = await run([...args, '--data-dir', 'real']);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(
          '"1000000d" is too long a duration (at most 292 years, Go\'s longest)',
        );
      }
      ok(await run(['cleanup', '--session-ttl', '15000w', '--dry-run', '--data-dir', 'real']));
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'names an --output it cannot write, and writes nothing elsewhere',
    async () => {
      const intoDir = expectOneLineError(await run(['export', '--data-dir', 'real', '-o', dir.path]));
      expect(intoDir).toBe(`agent-sessions: error: cannot write ${dir.path}: it is a directory`);
      const missing = join(dir.path, 'no', 'such', 'dir.jsonl');
      const intoNothing = expectOneLineError(await run(['export', '--data-dir', 'real', '-o', missing]));
      expect(intoNothing).toContain(`cannot write ${missing}: ENOENT`);
      expect(existsSync(join(dir.path, 'no'))).toBe(false);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'writes an --output file whole: the lines stdout gets, and no partial file left',
    async () => {
      const file = join(dir.path, 'out.jsonl');
      writeFileSync(file, 'an older export\n');
      const session = emptySessionRecord({ appName: 'a', userId: 'u', sessionId: 's' });
      writeFileSync(join(dir.path, 'one.jsonl'), `${JSON.stringify(session)}\n`);
      ok(await run(['import', '--data-dir', 'real', 'one.jsonl']));
      const toStdout = ok(await run(['export', '--data-dir', 'real']));
      ok(await run(['export', '--data-dir', 'real', '-o', file]));
      expect(toStdout.stdout).toContain('"sessionId":"s"');
      expect(readFileSync(file, 'utf8')).toBe(toStdout.stdout);
      expect(partialFilesOf(file)).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'ends in one line when stdout cannot be written',
    async () => {
      for (const args of [
        ['migrate', '--dry-run'],
        ['stats', '--data-dir', 'real'],
      ]) {
        const { code, stderr } = await runIntoFullDisk(args, dir.path);
        expect(code).toBe(1);
        expect(stderr).toBe(
          'agent-sessions: error: cannot write the output: ENOSPC: no space left on device, write\n',
        );
      }
    },
    STEP_TIMEOUT_MS,
  );
});
