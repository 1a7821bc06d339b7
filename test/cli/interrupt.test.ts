/**
 * Ctrl-C (SIGINT) and SIGTERM during `import` and `export`: the command stops after the session
 * in hand, closes the database, says what it did and exits 130 (143); `export -o` leaves no
 * partial file; a second signal ends it at once. The embedded-database case holds whenever the
 * signal lands; the server cases wait for the exact moment (input consumed, a partial file
 * written, a statement waiting on a lock) by watching the server.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../support/wait.js';
import {
  cli,
  emptySessionRecord,
  ensureBuilt,
  expectOneLineError,
  ok,
  partialFilesOf,
  type RunResult,
  STEP_TIMEOUT_MS,
  serverSchema,
  serverUrl,
  tempDir,
  withPglite,
} from './support.js';

const ERROR = 'agent-sessions: error: ';
/** How long a test waits for a moment it watches for (a loaded machine starts commands slowly). */
const WAIT_MS = STEP_TIMEOUT_MS / 2;

/** An export line of session `sessionId` of user `userId` in app `interrupt`. */
function line(userId: string, sessionId: string): string {
  return JSON.stringify(emptySessionRecord({ appName: 'interrupt', userId, sessionId }));
}

/** Children of the running test, killed after it if a failed wait left one running. */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The child, once `cli` has started it. */
function spawned(): { onSpawn(child: ChildProcess): void; child: Promise<ChildProcess> } {
  let onSpawn!: (child: ChildProcess) => void;
  const child = new Promise<ChildProcess>((resolve) => {
    onSpawn = (started) => {
      children.push(started);
      resolve(started);
    };
  });
  return { onSpawn, child };
}

/** The number in "N session(s) were imported"; fails when the message is not the interruption's. */
function importedCount(result: RunResult, signal: 'SIGINT' | 'SIGTERM', source: string): number {
  const message = expectOneLineError(result);
  if (message === `${ERROR}interrupted by ${signal}: no session was imported`) return 0;
  const match = new RegExp(
    `^${ERROR}interrupted by ${signal}: (\\d+) sessions? (?:was|were) imported; importing ${source} again skips (?:it|them)$`,
  ).exec(message);
  expect(match, message).not.toBeNull();
  return Number(match![1]);
}

describe('interrupting import on the embedded database', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    ensureBuilt();
    dir = tempDir('agent-sessions-interrupt-');
  });
  afterAll(() => dir?.remove());

  it(
    'a signal while the database is being created stops the import once it is made',
    async () => {
      const dbDir = join(dir.path, 'db-opening');
      const started = spawned();
      const run = cli(['import', '--data-dir', dbDir], { cwd: dir.path, onSpawn: started.onSpawn });
      const child = await started.child;
      // The command makes the directory, then PGlite creates the database in it (seconds):
      // the signal lands then, and stdin stays open with nothing in it.
      await waitUntil('the data directory', () => existsSync(dbDir), WAIT_MS);
      child.kill('SIGINT');
      const result = await run;
      expect(result.signal).toBeUndefined();
      expect(result.code).toBe(130);
      expect(expectOneLineError(result)).toBe(`${ERROR}interrupted by SIGINT: no session was imported`);
      // The database was made whole and closed: it opens, with the session tables.
      const tables = await withPglite(dbDir, async (db) => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM session_states');
        return rows[0]!.n;
      });
      expect(tables).toBe(0);
    },
    2 * STEP_TIMEOUT_MS,
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(
      `${signal} stops at a session boundary, closes the database and keeps what was imported`,
      async () => {
        const dbDir = join(dir.path, `db-${signal}`);
        const users = Array.from({ length: 5 }, (_, i) => `u${i}`);
        const started = spawned();
        const run = cli(['import', '--data-dir', dbDir], { cwd: dir.path, onSpawn: started.onSpawn });
        const child = await started.child;
        // The command listens for signals before it makes the directory.
        await waitUntil('the data directory', () => existsSync(dbDir), WAIT_MS);
        // The lines go in over time and stdin stays open: the signal lands while the command
        // opens the database, imports, or waits for more input.
        for (const user of users) {
          child.stdin!.write(`${line(user, 's')}\n`);
          await sleep(150);
        }
        await sleep(1000);
        child.kill(signal);
        const result = await run;
        expect(result.signal).toBeUndefined();
        expect(result.code).toBe(signal === 'SIGINT' ? 130 : 143);
        const imported = importedCount(result, signal, 'the same lines');
        // Whole sessions, in input order, and the database opens again (its lock was released).
        const stored = await withPglite(dbDir, async (db) => {
          const { rows } = await db.query<{ user_id: string }>(
            `SELECT user_id FROM session_states WHERE app_name = 'interrupt' ORDER BY user_id`,
          );
          return rows.map((row) => row.user_id);
        });
        expect(stored).toEqual(users.slice(0, imported));
      },
      2 * STEP_TIMEOUT_MS,
    );
  }
});

describe.skipIf(serverUrl === undefined)('interrupting import and export on server PostgreSQL', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof serverSchema>>;
  const flags = () => ['--schema', db.schema];
  const env = () => ({ DATABASE_URL: serverUrl });
  const count = async (where = 'true') =>
    Number(
      (await db.pool.query(`SELECT count(*) AS n FROM "${db.schema}".session_states WHERE ${where}`)).rows[0]
        .n,
    );

  /** 20,000 sessions of user `many`, copied from one imported session: far more than a signal's delay. */
  let seeded: Promise<void> | undefined;
  const seedManySessions = () => {
    seeded ??= (async () => {
      ok(await cli(['import', ...flags()], { cwd: dir.path, env: env(), input: `${line('many', 's')}\n` }));
      const { rows } = await db.pool.query<{ columns: string }>(
        `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS columns
         FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'session_states' AND column_name NOT IN ('id', 'session_id')`,
        [db.schema],
      );
      const columns = rows[0]!.columns;
      await db.pool.query(
        `INSERT INTO "${db.schema}".session_states (session_id, ${columns})
         SELECT 's' || g, ${columns} FROM "${db.schema}".session_states, generate_series(1, 20000) g
         WHERE user_id = 'many'`,
      );
    })();
    return seeded;
  };

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir('agent-sessions-interrupt-server-');
    db = await serverSchema();
    ok(await cli(['migrate', ...flags()], { cwd: dir.path, env: env() }));
  }, STEP_TIMEOUT_MS);
  afterAll(async () => {
    dir?.remove();
    await db?.drop();
  });

  it(
    'a signal ends an import that waits for more input, after everything sent was imported',
    async () => {
      const started = spawned();
      const run = cli(['import', ...flags()], { cwd: dir.path, env: env(), onSpawn: started.onSpawn });
      const child = await started.child;
      child.stdin!.write(`${line('waiting-1', 's')}\n${line('waiting-2', 's')}\n`);
      await waitUntil('both sessions', async () => (await count(`user_id LIKE 'waiting-%'`)) === 2, WAIT_MS);
      child.kill('SIGINT');
      const result = await run;
      expect(result.code).toBe(130);
      expect(importedCount(result, 'SIGINT', 'the same lines')).toBe(2);
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'an interrupted export -o leaves neither a partial file nor a changed one',
    async () => {
      await seedManySessions();
      const out = join(dir.path, 'backup.jsonl');
      writeFileSync(out, 'the previous backup\n');
      const started = spawned();
      const run = cli(['export', ...flags(), '--user', 'many', '-o', 'backup.jsonl'], {
        cwd: dir.path,
        env: env(),
        onSpawn: started.onSpawn,
      });
      const child = await started.child;
      child.stdin!.end();
      await waitUntil(
        'lines in the partial file',
        () => partialFilesOf(out).some((partial) => statSync(partial).size > 0),
        WAIT_MS,
      );
      child.kill('SIGINT');
      const result = await run;
      expect(result.code).toBe(130);
      expect(expectOneLineError(result)).toBe(
        `${ERROR}interrupted by SIGINT: nothing was written to backup.jsonl`,
      );
      expect(partialFilesOf(out)).toEqual([]);
      expect(readFileSync(out, 'utf8')).toBe('the previous backup\n');
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'a signal ends an export to stdout that waits on a reader who stopped reading',
    async () => {
      await seedManySessions();
      const started = spawned();
      const run = cli(['export', ...flags(), '--user', 'many'], {
        cwd: dir.path,
        env: env(),
        onSpawn: started.onSpawn,
      });
      const child = await started.child;
      child.stdin!.end();
      // The reader stops: the pipe fills and the export waits for it to drain.
      child.stdout!.pause();
      await waitUntil('output in the pipe', () => child.stdout!.readableLength > 0, WAIT_MS);
      await sleep(500);
      child.kill('SIGINT');
      await waitUntil(
        'the export to end while its reader still waits',
        () => child.exitCode !== null,
        20_000,
      );
      child.stdout!.resume();
      const result = await run;
      expect(result.code).toBe(130);
      const message = expectOneLineError(result);
      const match =
        /^agent-sessions: error: interrupted by SIGINT: the output on stdout is incomplete: at most (\d+) sessions, the last line perhaps cut short$/.exec(
          message,
        );
      expect(match, message).not.toBeNull();
      const exported = Number(match![1]);
      expect(exported).toBeGreaterThan(0);
      expect(exported).toBeLessThan(20_001);
      // What reached the reader: whole lines of those sessions, the last perhaps cut short.
      const written = result.stdout.split('\n');
      const whole = written.slice(0, -1);
      expect(whole.length).toBeLessThanOrEqual(exported);
      for (const text of whole) expect(JSON.parse(text).userId).toBe('many');
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'a command waiting on the database stops at the first signal once it can, and at once at the second',
    async () => {
      const holder = new pg.Client({ connectionString: serverUrl });
      await holder.connect();
      const waiting = async () =>
        (
          await db.pool.query(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
            [db.schema],
          )
        ).rows[0].n > 0;
      try {
        // The first signal: the export waits on a table lock, then stops before writing.
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE "${db.schema}".session_states IN ACCESS EXCLUSIVE MODE`);
        let started = spawned();
        let run = cli(['export', ...flags()], { cwd: dir.path, env: env(), onSpawn: started.onSpawn });
        let child = await started.child;
        child.stdin!.end();
        await waitUntil('the export waiting on the lock', waiting, WAIT_MS);
        child.kill('SIGINT');
        await sleep(500);
        expect(child.exitCode).toBeNull();
        await holder.query('COMMIT');
        let result = await run;
        expect(result.code).toBe(130);
        expect(result.stdout).toBe('');
        expect(expectOneLineError(result)).toBe(
          `${ERROR}interrupted by SIGINT: nothing was written to stdout`,
        );

        // An export that matches nothing, stopped the same way, leaves a file at its name alone.
        const keep = join(dir.path, 'keep.jsonl');
        writeFileSync(keep, 'the previous backup\n');
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE "${db.schema}".session_states IN ACCESS EXCLUSIVE MODE`);
        started = spawned();
        run = cli(['export', ...flags(), '--user', 'nobody', '-o', 'keep.jsonl'], {
          cwd: dir.path,
          env: env(),
          onSpawn: started.onSpawn,
        });
        child = await started.child;
        child.stdin!.end();
        await waitUntil('the export waiting on the lock', waiting, WAIT_MS);
        child.kill('SIGINT');
        await sleep(500);
        await holder.query('COMMIT');
        result = await run;
        expect(result.code).toBe(130);
        expect(expectOneLineError(result)).toBe(
          `${ERROR}interrupted by SIGINT: nothing was written to keep.jsonl`,
        );
        expect(readFileSync(keep, 'utf8')).toBe('the previous backup\n');
        expect(partialFilesOf(keep)).toEqual([]);

        // The second signal ends the process as the signal does.
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE "${db.schema}".session_states IN ACCESS EXCLUSIVE MODE`);
        started = spawned();
        run = cli(['export', ...flags()], { cwd: dir.path, env: env(), onSpawn: started.onSpawn });
        child = await started.child;
        child.stdin!.end();
        await waitUntil('the export waiting on the lock', waiting, WAIT_MS);
        child.kill('SIGINT');
        await sleep(500);
        child.kill('SIGINT');
        result = await run;
        expect(result.signal).toBe('SIGINT');
        await holder.query('COMMIT');
      } finally {
        await holder.end();
      }
    },
    2 * STEP_TIMEOUT_MS,
  );
});
