/**
 * Which process a pid names. A pid alone says little: after a process dies the system hands its
 * pid to the next one, and in a container the application is pid 1 on every start. On Linux a
 * process is also known by its start time (field 22 of /proc/<pid>/stat, in clock ticks since
 * boot) and the boot it runs in (/proc/sys/kernel/random/boot_id): the three together name one
 * process, never a later one. Where /proc is missing (macOS, Windows) only the pid is known.
 *
 * Pids, and so all of the above, mean something only within one pid namespace: two containers on
 * one host each have their own pid 1, and neither sees the other's processes. A process is
 * therefore also recorded with its pid namespace (the link /proc/self/ns/pid, `pid:[4026531836]`);
 * an owner in another namespace than ours cannot be judged from here (`'elsewhere'`).
 */
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * A process as a lock file records it; `start`, `boot` and `ns` (its pid namespace) are undefined
 * where /proc is missing.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly start?: string;
  readonly boot?: string;
  readonly ns?: string;
}

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined when that file cannot be read. */
function startTimeOf(pid: number | 'self'): { pid: number; start: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "<pid> (<comm>) <state> ...": comm may hold spaces and parentheses, so count from the last ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): field 22 is fields[19].
  const start = fields[19];
  const own = Number.parseInt(stat, 10);
  return close > 0 && start !== undefined && /^\d+$/.test(start) ? { pid: own, start } : undefined;
}

function readBootId(): string | undefined {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return /^[0-9a-f-]+$/i.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The pid namespace of this process, as `pid:[<inode>]`. */
function readPidNamespace(): string | undefined {
  try {
    const ns = readlinkSync('/proc/self/ns/pid');
    return /^pid:\[\d+\]$/.test(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}

let current: ProcessIdentity | undefined;

/** This process. */
export function currentProcess(): ProcessIdentity {
  if (current === undefined || current.pid !== process.pid) {
    const stat = startTimeOf('self');
    // A /proc of another pid namespace (mounted for the host, not for the namespace this process
    // runs in) shows this process under another pid: its entries say nothing about ours then. Our
    // namespace it still names right (the link names the namespace of the process reading it).
    const ns = readPidNamespace();
    current =
      stat !== undefined && stat.pid === process.pid
        ? { pid: process.pid, start: stat.start, boot: readBootId(), ns }
        : { pid: process.pid, ns };
  }
  return current;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `owner` is this process (`'self'`), another process still running (`'alive'`), gone
 * (`'dead'`, its pid free or taken by a later process), or in another pid namespace than this
 * process (`'elsewhere'`: its pid says nothing here, alive or dead cannot be told).
 */
export function processState(owner: ProcessIdentity): 'self' | 'alive' | 'dead' | 'elsewhere' {
  const me = currentProcess();
  if (owner.boot !== undefined && me.boot !== undefined && owner.boot !== me.boot) return 'dead';
  if (owner.ns !== undefined && me.ns !== undefined && owner.ns !== me.ns) return 'elsewhere';
  if (owner.pid === me.pid) {
    // Recorded without a start time: by this process (another thread of it) if this process cannot
    // read one either, else by an earlier process that had our pid.
    if (owner.start === undefined) return me.start === undefined ? 'self' : 'dead';
    if (me.start === undefined) return 'self';
    return owner.start === me.start ? 'self' : 'dead';
  }
  if (owner.start !== undefined && me.start !== undefined) {
    const stat = startTimeOf(owner.pid);
    if (stat !== undefined) return stat.start === owner.start ? 'alive' : 'dead';
    // Not in /proc: gone, unless /proc hides it (hidepid) while the pid still answers.
  }
  return pidExists(owner.pid) ? 'alive' : 'dead';
}
