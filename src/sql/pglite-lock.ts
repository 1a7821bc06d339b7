/**
 * One process at a time per PGlite data directory. PGlite is PostgreSQL as a library, without the
 * postmaster that refuses a second server on a data directory: two processes opening the same
 * directory would each write pages the other does not know about and corrupt it. A lock file
 * beside the directory names its owner; a second opener gets a clear error, and a lock left by a
 * process that has died is taken over.
 *
 * Processes race for the lock, so nothing here reads a file and then acts on what it read unless
 * a step that only one process can win comes in between:
 * - The owner line, `<pid> <start time> <boot id> <token> <pid namespace>` (see
 *   process-identity.ts; `-` where unknown; lines without the namespace, or with the pid alone,
 *   from earlier releases, are read as well), is written to a file of our own and link()ed to the
 *   lock's name, which fails when the name exists: the lock never exists without its owner in it.
 * - A lock whose owner is gone is replaced (rename(), never deleted) only by the process that
 *   created `<lock>.takeover-<hash of that lock's content>`, after reading the lock again and
 *   finding the same content. Each lock's content is unique (its token), so a process that read
 *   an older lock finds another content and starts over instead of replacing the new owner.
 * - A takeover file whose owner died is left alone: the next one is `….1`, `….2`, and so on.
 * Whether a lock is held in this process is known from a registry of the locks this process
 * holds, not from the pid in the file (after a restart in a container, the pid is the same).
 *
 * Pids mean nothing across pid namespaces: two containers on one host sharing a volume are each
 * pid 1. An owner in another namespace than ours is judged by a heartbeat instead: while a lock is
 * held, its holder touches the lock file (its mtime) every HEARTBEAT_MS (5 s), and such an owner
 * counts as alive until the file has gone STALE_BEATS heartbeats (15 s) untouched; it is refused
 * at once until then, not waited for. The heartbeat is a timer: a holder whose event loop is
 * blocked (or which is suspended) that long looks dead to other namespaces. Same namespace: the
 * pid, start time and boot decide, as above, and the mtime is not looked at.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SqlConfigError } from './errors.js';
import { currentProcess, type ProcessIdentity, processState } from './process-identity.js';

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

const HELD = Symbol.for('agent-sessions.pglite-locks');
/** The lock files this process holds, shared by every copy of this module loaded in it. */
const registry = globalThis as { [HELD]?: Set<string> };
registry[HELD] ??= new Set<string>();
const held: Set<string> = registry[HELD];

/** How long an owner line may take to appear in a lock created without link(). */
const WRITING_MS = 2_000;
/** How long to wait for another process that is taking over a stale lock. */
const TAKEOVER_WAIT_MS = 5_000;
/** How often a holder touches its lock file. */
const HEARTBEAT_MS = 5_000;
/** How many heartbeats an owner in another pid namespace may miss before its lock is taken over. */
const STALE_BEATS = 3;

/**
 * The heartbeat interval, and from it the age at which the lock of an owner in another pid
 * namespace is stale (STALE_BEATS intervals; 5 s and 15 s). The environment variable
 * AGENT_SESSIONS_LOCK_HEARTBEAT_MS (milliseconds, read by this module only) shortens both, for
 * tests; every process sharing a directory must then have the same value.
 */
function heartbeat(): { everyMs: number; staleMs: number } {
  const set = Number(process.env.AGENT_SESSIONS_LOCK_HEARTBEAT_MS);
  const everyMs = Number.isSafeInteger(set) && set > 0 ? set : HEARTBEAT_MS;
  return { everyMs, staleMs: everyMs * STALE_BEATS };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function ownerLine(me: ProcessIdentity): string {
  const token = randomBytes(12).toString('hex');
  return `${me.pid} ${me.start ?? '-'} ${me.boot ?? '-'} ${token} ${me.ns ?? '-'}\n`;
}

/**
 * The owner a lock file names: its pid, and start time, boot and pid namespace when recorded (a
 * lock written by an earlier release of this package holds the pid alone, or no namespace).
 */
function parseOwner(text: string): ProcessIdentity | undefined {
  const match =
    /^(\d{1,10})(?:[ \t]+(\d+|-)[ \t]+([0-9a-fA-F-]+)[ \t]+[0-9a-f]+(?:[ \t]+(pid:\[\d+\]|-))?)?[ \t]*\n?$/.exec(
      text,
    );
  if (!match) return undefined;
  const pid = Number(match[1]);
  if (!(pid > 0 && pid <= 0x7fffffff)) return undefined;
  const known = (field: string | undefined) => (field === undefined || field === '-' ? undefined : field);
  return { pid, start: known(match[2]), boot: known(match[3]), ns: known(match[4]) };
}

type Verdict =
  | { state: 'gone' }
  | { state: 'self' | 'alive'; pid: number }
  /** An owner in another pid namespace whose heartbeat is recent: `seenMs` ago. */
  | { state: 'elsewhere'; pid: number; seenMs: number }
  | { state: 'dead'; content: string }
  | { state: 'writing' };

/** What a lock (or takeover) file says now: vanished, its owner, or an owner line still coming. */
function judge(path: string): Verdict {
  let content: string;
  let modified: number;
  try {
    content = readFileSync(path, 'utf8');
    modified = statSync(path).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' };
    throw error;
  }
  const owner = parseOwner(content);
  if (owner === undefined) {
    // Created and not written yet (by a release of this package without link(), or a file system
    // that lacks it), or left so by a process that died right then.
    return Date.now() - modified < WRITING_MS ? { state: 'writing' } : { state: 'dead', content };
  }
  const state = processState(owner);
  if (state === 'elsewhere') {
    // Its pid says nothing here: alive while it renews the lock (a file that is not the lock, such
    // as a takeover file, is never renewed and so lives STALE_MS at most).
    const seenMs = Math.max(0, Date.now() - modified);
    return seenMs < heartbeat().staleMs ? { state, pid: owner.pid, seenMs } : { state: 'dead', content };
  }
  return state === 'dead' ? { state, content } : { state, pid: owner.pid };
}

/** Errors of link() where the file system has no hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** A file of our own beside `path`, holding `content`, for link() or rename(). */
function scratchFile(path: string, content: string): string {
  const scratch = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(scratch, content, { flag: 'wx' });
  return scratch;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

/** Creates `path` holding `content`, or returns false when it exists. */
function createWith(path: string, content: string): boolean {
  const scratch = scratchFile(path, content);
  try {
    linkSync(scratch, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code)) throw error;
  } finally {
    removeQuietly(scratch);
  }
  // No hard links here: create, then write (a reader meanwhile sees an empty file, and waits).
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Replaces the lock at `path`, whose owner is gone and whose content is `stale`, by one holding
 * `content`. 'won': the lock is ours; 'changed': the lock is no longer that one (look again);
 * otherwise the pid of a live process taking it over now.
 */
function takeOver(path: string, stale: string, content: string): 'won' | 'changed' | number {
  const base = `${path}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  let turn: string;
  for (let generation = 0; ; ) {
    turn = generation === 0 ? base : `${base}.${generation}`;
    if (createWith(turn, content)) break;
    const taker = judge(turn);
    if (taker.state === 'gone') continue;
    if (taker.state === 'dead') generation++;
    // Another process, or another thread of this one, is at it (or is writing its owner line).
    else return taker.state === 'writing' ? 0 : taker.pid;
  }
  try {
    let current: string;
    try {
      current = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'changed';
      throw error;
    }
    if (current !== stale) return 'changed';
    // The same content: judge its owner again (a pid-only owner line can come back, alive).
    const now = judge(path);
    if (now.state !== 'dead' || now.content !== stale) return 'changed';
    const scratch = scratchFile(path, content);
    try {
      renameSync(scratch, path);
    } catch (error) {
      removeQuietly(scratch);
      throw error;
    }
    return 'won';
  } finally {
    removeQuietly(turn);
  }
}

function openElsewhere(dataDir: string, pid: number): SqlConfigError {
  return new SqlConfigError(
    'dataDir',
    pid > 0
      ? `the embedded database in ${resolve(dataDir)} is already open in process ${pid}; PGlite allows one process per data directory (close it there, or use a PostgreSQL server to share sessions between processes)`
      : `the embedded database in ${resolve(dataDir)} is being opened by another process; PGlite allows one process per data directory (close it there, or use a PostgreSQL server to share sessions between processes)`,
  );
}

function openInOtherNamespace(dataDir: string, pid: number, seenMs: number): SqlConfigError {
  const staleS = Math.round(heartbeat().staleMs / 1000);
  return new SqlConfigError(
    'dataDir',
    `the embedded database in ${resolve(dataDir)} is held by process ${pid} in another pid namespace (another container), last seen ${Math.round(seenMs / 1000)} s ago; a lock not renewed for ${staleS} s is taken over. PGlite allows one process per data directory (close it there, or use a PostgreSQL server to share sessions between processes)`,
  );
}

function openHere(dataDir: string): SqlConfigError {
  return new SqlConfigError(
    'dataDir',
    `the embedded database in ${resolve(dataDir)} is already open in this process; share one service (or one pgliteClient) instead of opening it twice`,
  );
}

/**
 * Takes the lock of `dataDir` for this process.
 *
 * @throws SqlConfigError (code CONFIG, field `dataDir`) when another live process holds it, or
 *   this process does.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = lockPathOf(dataDir);
  if (held.has(path)) throw openHere(dataDir);
  mkdirSync(dirname(path), { recursive: true });
  const content = ownerLine(currentProcess());
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (createWith(path, content)) break;
    const lock = judge(path);
    if (lock.state === 'gone') continue;
    if (lock.state === 'alive') throw openElsewhere(dataDir, lock.pid);
    if (lock.state === 'elsewhere') throw openInOtherNamespace(dataDir, lock.pid, lock.seenMs);
    if (lock.state === 'self') throw openHere(dataDir);
    if (lock.state === 'dead') {
      const outcome = takeOver(path, lock.content, content);
      if (outcome === 'won') break;
      if (outcome === 'changed') continue;
      if (Date.now() > deadline) throw openElsewhere(dataDir, outcome);
    } else if (Date.now() > deadline) {
      throw openElsewhere(dataDir, 0);
    }
    // Someone is writing the lock or taking it over: it will be theirs in a moment.
    sleep(5 + Math.random() * 10);
  }
  held.add(path);
  // The heartbeat, for processes in other pid namespaces (see above); it does not keep the process
  // alive. It renews only our own lock (content checked first, as by release()).
  const beat = setInterval(() => {
    try {
      if (readFileSync(path, 'utf8') === content) {
        const now = new Date();
        utimesSync(path, now, now);
      }
    } catch {}
  }, heartbeat().everyMs);
  beat.unref();
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      held.delete(path);
      // Ours unless it was taken from us, which needs this process gone: delete it while it is.
      try {
        if (readFileSync(path, 'utf8') === content) unlinkSync(path);
      } catch {}
    },
  };
}
