/**
 * The lock of a PGlite data directory between real processes: of many processes opening a
 * directory at once over a stale lock, exactly one gets it, every round; a lock is stale when its
 * pid is free or names a later process (another start time, as after a restart in a container,
 * where the application is pid 1 again); a lock being written is not taken for stale; a live
 * owner keeps it. An owner in another pid namespace (another container) is judged by the lock
 * file's heartbeat instead: refused while it renews the lock, taken over once it stopped. The
 * child processes run a script of this file's, bundled by test/support/line-child.ts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlConfigError } from '../../src/sql/errors.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { lockDataDir, lockPathOf } from '../../src/sql/pglite-lock.js';
import { bundleChildScript, type ChildScript, spawnLineChild } from '../support/line-child.js';

// The child, by mode:
// - race <dataDir>: says ready, waits for "go <epoch ms>", opens the directory at that instant; if
//   it gets it, writes 200 rows under its pid and closes on a line "close".
// - lock <dataDir>: says ready; then, for each line "go <epoch ms>", takes the lock at that instant
//   and says whether it got it; the one that did releases it on a line "release".
// - hold <dataDir>: takes the lock and holds it until a line on stdin.
// - slow <lockFile>: creates the lock file as a release without link() did, writes its pid into
//   it 300 ms later, and holds it until a line on stdin.
// - crash <dataDir>: opens the directory, writes a row, and waits to be killed.
// - open <dataDir>: opens the directory, counts the rows, closes.
const CHILD = `
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pgliteClient } from './src/sql/pglite-client.ts';
import { lockDataDir } from './src/sql/pglite-lock.ts';
const [mode, target] = process.argv.slice(2);
const say = (line) => console.log(JSON.stringify(line));
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((done) => lines.once('line', done));
try {
  if (mode === 'race') {
    // Loaded before the start, so that the racers reach the lock within the same milliseconds.
    await import('@electric-sql/pglite');
    say({ ready: true });
    const at = Number((await nextLine()).split(' ')[1]);
    while (Date.now() < at) {}
    const client = await pgliteClient(target);
    say({ opened: process.pid });
    await client.query('CREATE TABLE IF NOT EXISTS t (pid int, n int)');
    for (let n = 0; n < 200; n++) await client.query('INSERT INTO t VALUES ($1, $2)', [process.pid, n]);
    say({ written: true });
    await nextLine();
    await client.close();
    say({ closed: true });
  } else if (mode === 'lock') {
    say({ ready: true });
    for (let line = await nextLine(); line !== 'end'; line = await nextLine()) {
      const at = Number(line.split(' ')[1]);
      while (Date.now() < at) {}
      let lock;
      try {
        lock = lockDataDir(target);
      } catch (error) {
        say({ code: error.code, message: error.message });
        continue;
      }
      say({ locked: process.pid });
      await nextLine();
      lock.release();
      say({ released: true });
    }
  } else if (mode === 'hold') {
    const lock = lockDataDir(target);
    say({ locked: process.pid });
    await nextLine();
    lock.release();
  } else if (mode === 'slow') {
    const fd = openSync(target, 'wx');
    say({ created: process.pid });
    await new Promise((done) => setTimeout(done, 300));
    writeSync(fd, String(process.pid));
    closeSync(fd);
    await nextLine();
  } else if (mode === 'crash') {
    const client = await pgliteClient(target);
    await client.query('CREATE TABLE IF NOT EXISTS t (pid int, n int)');
    await client.query('INSERT INTO t VALUES ($1, 0)', [process.pid]);
    say({ opened: process.pid });
    await new Promise(() => {});
  } else {
    const client = await pgliteClient(target);
    const { rows } = await client.query('SELECT count(*)::int AS n FROM t');
    await client.close();
    say({ opened: process.pid, rows: rows[0].n });
  }
} catch (error) {
  say({ code: error.code, message: error.message });
}
lines.close();
`;

/** Runs a command whose stdout is JSON lines (the child script, or a process standing in for an owner). */
const run = spawnLineChild;

/** The pid of a process that has exited (and so holds nothing). */
async function deadPid(): Promise<number> {
  const dead = spawn(process.execPath, ['--version'], { stdio: 'ignore' });
  await new Promise((done) => dead.on('exit', done));
  return dead.pid!;
}

const hasProc = existsSync('/proc/self/stat') && existsSync('/proc/sys/kernel/random/boot_id');
const bootId = hasProc ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';
const pidNs = hasProc ? readlinkSync('/proc/self/ns/pid') : '-';

/**
 * A lock left by a process that died: as this release writes it, or as earlier ones did (without
 * the pid namespace, or the pid alone).
 */
function staleLock(pid: number, round: number): string {
  if (round % 3 === 0) return `${pid} 1 ${bootId || '-'} 00ff ${pidNs}\n`;
  return round % 3 === 1 ? `${pid} 1 ${bootId || '-'} 00ff\n` : String(pid);
}

/** A heartbeat of 200 ms (a lock of another pid namespace is stale after 600 ms), for children. */
const shortBeat = { ...process.env, AGENT_SESSIONS_LOCK_HEARTBEAT_MS: '200' };

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Kills a detached child's process group, if it still runs. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {}
}

/** Runs fn, which must throw a SqlConfigError, and returns it. */
function refusal(fn: () => unknown): SqlConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SqlConfigError);
    return error as SqlConfigError;
  }
  throw new Error('expected a SqlConfigError');
}

describe('the lock of a PGlite data directory', () => {
  let bundled: ChildScript;
  let dir: string;
  let script: string;
  const started: ChildProcess[] = [];
  const child = (args: string[]) => {
    const c = run(process.execPath, [script, ...args]);
    started.push(c.child);
    return c;
  };

  beforeAll(async () => {
    bundled = await bundleChildScript(CHILD, 'agent-sessions-lock-');
    dir = bundled.dir;
    script = bundled.path;
  }, 120_000);
  afterAll(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    bundled?.remove();
  });

  it('gives the lock to exactly one of 12 processes taking it at once over a stale lock, in each of 100 rounds', async () => {
    const dataDir = join(dir, 'lock-race');
    const lockFile = lockPathOf(dataDir);
    const racers = Array.from({ length: 12 }, () => child(['lock', dataDir]));
    try {
      for (const racer of racers) expect(await racer.next()).toEqual({ ready: true });
      for (let round = 0; round < 100; round++) {
        writeFileSync(lockFile, staleLock(await deadPid(), round));
        const at = Date.now() + 30;
        for (const racer of racers) racer.child.stdin!.write(`go ${at}\n`);
        const outcomes = await Promise.all(racers.map((racer) => racer.next()));
        const locked = outcomes.filter((line) => 'locked' in line);
        // Every racer has tried while the winner still holds the lock.
        expect(locked, `round ${round}: ${JSON.stringify(outcomes)}`).toHaveLength(1);
        const winner = racers[outcomes.indexOf(locked[0]!)]!;
        expect(locked[0]).toEqual({ locked: winner.child.pid });
        for (const line of outcomes) {
          if (line === locked[0]) continue;
          expect(line.code).toBe('CONFIG');
          expect(line.message).toContain(`already open in process ${winner.child.pid}`);
        }
        winner.child.stdin!.write('release\n');
        expect(await winner.next()).toEqual({ released: true });
        expect(existsSync(lockFile)).toBe(false);
      }
      for (const racer of racers) racer.child.stdin!.end('end\n');
      for (const racer of racers) expect((await racer.exited).code).toBe(0);
    } finally {
      for (const racer of racers) racer.child.kill('SIGKILL');
    }
  }, 300_000);

  it('gives the directory to exactly one of 12 processes opening it at once over a stale lock, and keeps what it wrote', async () => {
    const dataDir = join(dir, 'race');
    const lockFile = lockPathOf(dataDir);
    const winners: number[] = [];
    for (let round = 0; round < 2; round++) {
      writeFileSync(lockFile, staleLock(await deadPid(), round));
      const racers = Array.from({ length: 12 }, () => child(['race', dataDir]));
      try {
        for (const racer of racers) expect(await racer.next()).toEqual({ ready: true });
        const at = Date.now() + 200;
        for (const racer of racers) racer.child.stdin!.write(`go ${at}\n`);
        const outcomes = await Promise.all(racers.map((racer) => racer.next()));
        const opened = outcomes.filter((line) => 'opened' in line);
        // Every racer has tried while the winner still holds the directory.
        expect(opened, `round ${round}: ${JSON.stringify(outcomes)}`).toHaveLength(1);
        const winner = racers[outcomes.indexOf(opened[0]!)]!;
        for (const line of outcomes) {
          if (line === opened[0]) continue;
          expect(line.code).toBe('CONFIG');
          expect(line.message).toContain(`already open in process ${winner.child.pid}`);
        }
        expect(await winner.next()).toEqual({ written: true });
        winner.child.stdin!.end('close\n');
        expect(await winner.next()).toEqual({ closed: true });
        expect((await winner.exited).code).toBe(0);
        winners.push(winner.child.pid!);
        expect(existsSync(lockFile)).toBe(false);
      } finally {
        for (const racer of racers) racer.child.kill('SIGKILL');
      }
    }
    const client = await pgliteClient(dataDir);
    try {
      const { rows } = await client.query<{ pid: number; n: number }>(
        'SELECT pid, count(*)::int AS n FROM t GROUP BY pid ORDER BY min(ctid)',
      );
      expect(rows).toEqual(winners.map((pid) => ({ pid, n: 200 })));
    } finally {
      await client.close();
    }
  }, 600_000);

  it('refuses a lock held by a live process, naming it, and takes the directory once it lets go', async () => {
    const dataDir = join(dir, 'held');
    const holder = child(['hold', dataDir]);
    try {
      expect(await holder.next()).toEqual({ locked: holder.child.pid });
      const error = refusal(() => lockDataDir(dataDir));
      expect(error.code).toBe('CONFIG');
      expect(error.field).toBe('dataDir');
      expect(error.message).toContain(`already open in process ${holder.child.pid}`);
      holder.child.stdin!.end('release\n');
      expect((await holder.exited).code).toBe(0);
    } finally {
      holder.child.kill('SIGKILL');
    }
    lockDataDir(dataDir).release();
  }, 60_000);

  it('refuses a second lock in this process until the first is released', () => {
    const dataDir = join(dir, 'twice');
    const lock = lockDataDir(dataDir);
    expect(refusal(() => lockDataDir(dataDir)).message).toMatch(/dataDir.*already open in this process/);
    lock.release();
    lockDataDir(dataDir).release();
  });

  it('waits for a lock file whose owner has not written its pid yet instead of taking it over', async () => {
    const dataDir = join(dir, 'slow');
    const writer = child(['slow', lockPathOf(dataDir)]);
    try {
      expect(await writer.next()).toEqual({ created: writer.child.pid });
      const error = refusal(() => lockDataDir(dataDir));
      expect(error.message).toContain(`already open in process ${writer.child.pid}`);
      expect(readFileSync(lockPathOf(dataDir), 'utf8')).toBe(String(writer.child.pid));
    } finally {
      writer.child.kill('SIGKILL');
    }
  }, 60_000);

  describe.skipIf(!hasProc)('where /proc tells when a process started', () => {
    it('takes over a lock whose pid is alive but names a process that started at another time', async () => {
      const dataDir = join(dir, 'reused');
      // A live process that has the pid the lock names, but is not the one that wrote it.
      const other = run(process.execPath, ['-e', 'process.stdin.resume()']);
      started.push(other.child);
      try {
        writeFileSync(lockPathOf(dataDir), `${other.child.pid} 1 ${bootId} 00ff\n`);
        const lock = lockDataDir(dataDir);
        expect(readFileSync(lockPathOf(dataDir), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
        lock.release();
      } finally {
        other.child.kill('SIGKILL');
      }
    });

    it('takes over a lock with our own pid written by an earlier process (another start time, or the pid alone)', () => {
      const dataDir = join(dir, 'own-pid');
      for (const stale of [`${process.pid} 1 ${bootId} 00ff\n`, String(process.pid)]) {
        writeFileSync(lockPathOf(dataDir), stale);
        const lock = lockDataDir(dataDir);
        expect(readFileSync(lockPathOf(dataDir), 'utf8')).not.toBe(stale);
        lock.release();
        expect(existsSync(lockPathOf(dataDir))).toBe(false);
      }
    });

    // Not ours: a pid namespace this process is not in.
    const otherNs = pidNs === 'pid:[1]' ? 'pid:[2]' : 'pid:[1]';

    it('refuses a lock of another pid namespace renewed recently, even when its pid and start time look dead here', async () => {
      const dataDir = join(dir, 'other-ns-fresh');
      const line = `${await deadPid()} 1 ${bootId} 00ff ${otherNs}\n`;
      writeFileSync(lockPathOf(dataDir), line);
      const error = refusal(() => lockDataDir(dataDir));
      expect(error.code).toBe('CONFIG');
      expect(error.field).toBe('dataDir');
      expect(error.message).toMatch(
        /held by process \d+ in another pid namespace \(another container\), last seen 0 s ago; a lock not renewed for 15 s is taken over/,
      );
      expect(readFileSync(lockPathOf(dataDir), 'utf8')).toBe(line);
    });

    it('takes over a lock of another pid namespace not renewed for 20 s', async () => {
      const dataDir = join(dir, 'other-ns-stale');
      const line = `1 1 ${bootId} 00ff ${otherNs}\n`;
      writeFileSync(lockPathOf(dataDir), line);
      const past = new Date(Date.now() - 20_000);
      utimesSync(lockPathOf(dataDir), past, past);
      const lock = lockDataDir(dataDir);
      const now = readFileSync(lockPathOf(dataDir), 'utf8');
      expect(now.startsWith(`${process.pid} `) && now.endsWith(` ${pidNs}\n`), now).toBe(true);
      lock.release();
      expect(existsSync(lockPathOf(dataDir))).toBe(false);
    });

    it('renews the lock file while the lock is held', async () => {
      const dataDir = join(dir, 'heartbeat');
      const holder = run(process.execPath, [script, 'hold', dataDir], { env: shortBeat });
      started.push(holder.child);
      try {
        expect(await holder.next()).toEqual({ locked: holder.child.pid });
        const past = new Date(Date.now() - 20_000);
        utimesSync(lockPathOf(dataDir), past, past);
        await pause(600);
        expect(Date.now() - statSync(lockPathOf(dataDir)).mtimeMs).toBeLessThan(1_000);
        holder.child.stdin!.end('release\n');
        expect((await holder.exited).code).toBe(0);
        expect(existsSync(lockPathOf(dataDir))).toBe(false);
      } finally {
        holder.child.kill('SIGKILL');
      }
    }, 60_000);

    const unshare = spawnSync('unshare', ['-pf', '--mount-proc', 'true'], { stdio: 'ignore' }).status === 0;
    /** A child that is pid 1 in a pid namespace of its own (a container), with a heartbeat of 200 ms. */
    const inNamespace = (mode: string, dataDir: string) => {
      const c = run('unshare', ['-pf', '--mount-proc', process.execPath, script, mode, dataDir], {
        detached: true,
        env: shortBeat,
      });
      started.push(c.child);
      return c;
    };

    it.skipIf(!unshare)(
      'refuses the directory to pid 1 of another pid namespace while pid 1 of one holds it (two containers, one volume)',
      async () => {
        const dataDir = join(dir, 'containers');
        const first = inNamespace('hold', dataDir);
        try {
          expect(await first.next()).toEqual({ locked: 1 });
          // Longer than a lock of another namespace lives unrenewed: only the heartbeat keeps it.
          await pause(1_500);
          const second = inNamespace('hold', dataDir);
          try {
            const line = await second.next();
            expect(line.code).toBe('CONFIG');
            expect(line.message).toMatch(/held by process 1 in another pid namespace \(another container\)/);
            expect((await second.exited).code).toBe(0);
          } finally {
            killGroup(second.child);
          }
          first.child.stdin!.end('release\n');
          expect((await first.exited).code).toBe(0);
        } finally {
          killGroup(first.child);
        }
        expect(existsSync(lockPathOf(dataDir))).toBe(false);
      },
      120_000,
    );

    it.skipIf(!unshare)(
      'opens the directory again after a SIGKILL when the restarted process is pid 1 again (a container)',
      async () => {
        const dataDir = join(dir, 'container');
        const first = inNamespace('crash', dataDir);
        try {
          expect(await first.next()).toEqual({ opened: 1 });
        } finally {
          process.kill(-first.child.pid!, 'SIGKILL');
        }
        await first.exited;
        // The killed process left its lock, naming pid 1; the restarted one is in another
        // namespace, so it waits for the lock to go unrenewed (600 ms here).
        expect(readFileSync(lockPathOf(dataDir), 'utf8')).toMatch(/^1(\s|$)/);
        await pause(1_000);
        const again = inNamespace('open', dataDir);
        expect(await again.next()).toEqual({ opened: 1, rows: 1 });
        expect((await again.exited).code).toBe(0);
      },
      120_000,
    );
  });
});
