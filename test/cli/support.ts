/**
 * Helpers of the command-line tests: build the package once, run the built command or demo as a
 * subprocess, and look into the databases they wrote.
 */
import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { expect } from 'vitest';
import { EXPORT_FORMAT } from '../../src/postgres/admin/export-format.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const DEMO = join(ROOT, 'dist/examples/demo.js');

/** Enough for a build on a busy machine. */
export const BUILD_TIMEOUT_MS = 240_000;
/** A command on PGlite pays for starting the database (seconds on a loaded machine). */
export const STEP_TIMEOUT_MS = 180_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtMtime(): number {
  try {
    return Math.min(statSync(CLI).mtimeMs, statSync(DEMO).mtimeMs);
  } catch {
    return 0;
  }
}

const isStale = () =>
  builtMtime() < Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'examples')));

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds dist/ when it is missing or older than the sources. Test files run in parallel
 * workers, so the build holds a lock directory and the others wait for it, then find dist fresh.
 * The build skips declaration files: the tests run JavaScript, and the declarations double the
 * build time (`npm run build` makes them).
 */
export function ensureBuilt(): void {
  if (!isStale()) return;
  const lock = join(tmpdir(), `agent-sessions-build-${Buffer.from(ROOT).toString('hex').slice(-24)}.lock`);
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the build timeout was left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > BUILD_TIMEOUT_MS)
          rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      sleep(500);
    }
  }
  try {
    if (isStale()) {
      const require = createRequire(import.meta.url);
      const tsup = require.resolve('tsup/package.json');
      const bin = (require(tsup) as { bin: Record<string, string> }).bin.tsup!;
      execFileSync(process.execPath, [join(dirname(tsup), bin), '--no-dts', '--silent'], {
        cwd: ROOT,
        stdio: 'inherit',
        timeout: BUILD_TIMEOUT_MS,
      });
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface RunResult {
  /** The exit code; for a process a signal ended, 128 + the signal's number, as a shell says. */
  code: number;
  /** The signal that ended the process, if one did. */
  signal?: NodeJS.Signals;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a subprocess: ours without DATABASE_URL or libpq's PG* variables (each test
 * picks its database), no colours.
 */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  for (const key of Object.keys(env)) if (/^PG[A-Z]+$/.test(key)) delete env[key];
  delete env.FORCE_COLOR;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Preloaded into every script run here: it tells when the script left PGlite open. */
const OPEN_DATABASE_PRELOAD = pathToFileURL(join(ROOT, 'test/support/open-database.preload.mjs')).href;
const OPEN_DATABASE_MARK = 'open-database.preload: the embedded database was left open';

/**
 * Runs a built script with node (given `nodeFlags`, node's own flags, before the script) and
 * resolves with its exit code and output (never rejects on exit ≠ 0). It rejects when the script
 * ended without closing an embedded database it opened (see open-database.preload.mjs): the
 * process then lingered until PostgreSQL's timer in it fired.
 */
export function runNode(
  script: string,
  args: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    /** Piped to stdin: text, or bytes (which can hold what no string can, invalid UTF-8). */
    input?: string | Uint8Array;
    nodeFlags?: readonly string[];
    /** Given the child as it starts, to signal it; the caller then writes and ends its stdin. */
    onSpawn?: (child: ChildProcess) => void;
  },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      process.execPath,
      [...(options.nodeFlags ?? []), '--import', OPEN_DATABASE_PRELOAD, script, ...args],
      {
        cwd: options.cwd,
        env: baseEnv(options.env),
        maxBuffer: 64 * 1024 * 1024,
        timeout: STEP_TIMEOUT_MS,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        // A signal the test sent ends the script as a result; the timeout's SIGKILL does not.
        if (error?.signal && error.signal !== 'SIGKILL') {
          const signal = error.signal as NodeJS.Signals;
          resolvePromise({ code: 128 + constants.signals[signal], signal, stdout, stderr });
          return;
        }
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${script} ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
          return;
        }
        if (stderr.includes(OPEN_DATABASE_MARK)) {
          reject(new Error(`${[script, ...args].join(' ')} left its embedded database open:\n${stderr}`));
          return;
        }
        resolvePromise({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    // A script may stop reading before its input ends (the command stops at a refused import
    // line): the write that then fails with EPIPE is not the script's failure.
    child.stdin?.on('error', () => undefined);
    if (options.onSpawn) options.onSpawn(child);
    else if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs `agent-sessions <args>`. */
export function cli(
  args: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    input?: string | Uint8Array;
    onSpawn?: (child: ChildProcess) => void;
  },
): Promise<RunResult> {
  return runNode(CLI, args, options);
}

/** Fails with the command's output when it did not exit 0. */
export function ok(result: RunResult): RunResult {
  if (result.code !== 0) {
    throw new Error(`exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

/** A temporary directory, removed by the returned function. */
/** The partial files `export -o <path>` writes beside `path` (`<path>.<pid>.<random>.partial`). */
export function partialFilesOf(path: string): string[] {
  const prefix = `${basename(path)}.`;
  return readdirSync(dirname(path))
    .filter((name) => name.startsWith(prefix) && name.endsWith('.partial'))
    .map((name) => join(dirname(path), name));
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs `fn` on the embedded database in `dataDir`, closed afterwards (so a subprocess can open it). */
export async function withPglite<T>(dataDir: string, fn: (db: SqlClient) => Promise<T>): Promise<T> {
  const db = await pgliteClient(dataDir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The server the server suites use, or undefined when they are skipped. */
export const serverUrl: string | undefined = process.env.AGENT_SESSIONS_TEST_DATABASE_URL || undefined;

/** A fresh random schema on the test server, dropped by `drop()`. */
export async function serverSchema(): Promise<{ schema: string; pool: pg.Pool; drop(): Promise<void> }> {
  if (!serverUrl) throw new Error('AGENT_SESSIONS_TEST_DATABASE_URL is not set');
  const schema = `t_cli_${randomBytes(5).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: serverUrl, max: 2 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    schema,
    pool,
    async drop() {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/** The server URL with the schema as its search_path, for programs that take no schema option (the demo). */
export function urlWithSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** The times of {@link emptySessionRecord}: microseconds, as the database keeps them. */
export const RECORD_TIME = '2026-01-02T03:04:05.123456Z';

/**
 * The record of an export line for a session with nothing stored under it (no state, events,
 * summaries or track events), made and updated at {@link RECORD_TIME}; `fields` replace any of it.
 */
export function emptySessionRecord(
  key: { appName: string; userId: string; sessionId: string },
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    format: EXPORT_FORMAT,
    ...key,
    state: null,
    createdAt: RECORD_TIME,
    updatedAt: RECORD_TIME,
    expiresAt: null,
    deletedAt: null,
    events: [],
    summaries: [],
    trackEvents: [],
    ...fields,
  };
}

/** Expects a failure reported as one line on stderr, with nothing that looks like a stack trace. */
export function expectOneLineError(result: RunResult): string {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

/** The non-empty lines of an output. */
export const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
