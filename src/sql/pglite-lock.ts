/**
 * One process at a time per PGlite data directory. PGlite is PostgreSQL as a library, without the
 * postmaster that refuses a second server on a data directory: two processes opening the same
 * directory would each write pages the other does not know about and corrupt it. A lock file
 * beside the directory holds the owner's pid; a second opener gets a clear error, and a lock left
 * by a process that has died is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SqlConfigError } from './errors.js';

/** A held lock; release() is idempotent. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/**
 * The lock file of a data directory: `.<name>.lock` in its parent (`.agent-sessions.lock` for
 * `.agent-sessions`), so PGlite's own files stay untouched.
 */
export function lockPathOf(dataDir: string): string {
  const full = resolve(dataDir);
  const name = basename(full);
  return join(dirname(full), `${name.startsWith('.') ? '' : '.'}${name}.lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of `dataDir` for this process.
 *
 * @throws SqlConfigError (code CONFIG, field `dataDir`) when another live process holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = lockPathOf(dataDir);
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = ownerOf(path);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new SqlConfigError(
          'dataDir',
          `the embedded database in ${resolve(dataDir)} is already open in process ${owner}; PGlite allows one process per data directory (close it there, or use a PostgreSQL server to share sessions between processes)`,
        );
      }
      if (owner === process.pid) {
        throw new SqlConfigError(
          'dataDir',
          `the embedded database in ${resolve(dataDir)} is already open in this process; share one service (or one pgliteClient) instead of opening it twice`,
        );
      }
      // Left by a process that is gone (or half-written): take it over.
      try {
        unlinkSync(path);
      } catch {}
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        if (ownerOf(path) === process.pid) {
          try {
            unlinkSync(path);
          } catch {}
        }
      },
    };
  }
  throw new SqlConfigError('dataDir', `cannot take the lock ${path} of the embedded database`);
}
