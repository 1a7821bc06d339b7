/**
 * A file the command writes whole or not at all (`export -o`). The lines go to a partial file
 * beside it (`<file>.<pid>.<random>.partial`), which is synced and renamed over `<file>` only once
 * everything is written: an export that fails or is interrupted (Ctrl-C, a killed job) never
 * leaves a truncated file under the name a later import reads as a complete backup, and a file
 * already there stays as it was.
 *
 * Only a regular file (or a new path) is replaced that way. A device, a FIFO or a socket at the
 * path (`/dev/stdout`, `>(gzip > x)`, a named pipe a reader waits on) is written in place, as a
 * shell's `>` would: renaming over it would replace the device node with a file and leave the
 * reader with nothing. A symbolic link keeps pointing where it did: its target is replaced.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { close, createWriteStream, fchmod, fchown, fsync, open, type Stats, type WriteStream } from 'node:fs';
import { lstat, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { CliError } from './errors.js';

export interface OutputFile {
  /** Where the lines go until commit(). */
  readonly stream: Writable;
  /** Finishes writing and puts the file in place. */
  commit(): Promise<void>;
  /** Drops what was written; the file at the path is left as it was (a device or pipe cannot be). */
  abandon(): Promise<void>;
}

/**
 * Opens `path` for writing, before any work is done, so a path that cannot be written (a
 * directory, a missing folder, no permission) fails at once, in one line naming it.
 */
export async function openOutputFile(path: string): Promise<OutputFile> {
  const existing = await statOf(path);
  if (existing?.isDirectory()) throw new CliError(`cannot write ${path}: it is a directory`);
  if (existing && !existing.isFile()) return inPlace(path);
  return replacing(path, existing);
}

async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Opens a write stream and waits until it is open, failing in one line naming `shownAs`. */
async function opened(
  path: string,
  shownAs: string,
  options: Parameters<typeof createWriteStream>[1],
): Promise<{ stream: WriteStream; fd: number }> {
  const stream = createWriteStream(path, options);
  let fd: number;
  try {
    [fd] = (await once(stream, 'open')) as [number];
  } catch (error) {
    throw new CliError(`cannot write ${shownAs}: ${(error as Error).message}`);
  }
  // A later failure (a full disk) fails the next write (see writeLine) instead of the process.
  stream.on('error', () => undefined);
  return { stream, fd };
}

/** A device, FIFO or socket: written where it is; nothing to rename, nothing to take back. */
async function inPlace(path: string): Promise<OutputFile> {
  const { stream } = await opened(path, path, { flags: 'w' });
  return {
    stream,
    async commit() {
      stream.end();
      await finished(stream);
    },
    async abandon() {
      stream.destroy();
    },
  };
}

/**
 * A new or regular file: written to a partial file of this process's own (two exports to one
 * path must not write into each other's), given the mode and owner of the file it replaces (an
 * export of private sessions to a 0600 file stays 0600), synced before the rename so a crash
 * right after it cannot leave an empty file under the name.
 */
async function replacing(path: string, existing: Stats | undefined): Promise<OutputFile> {
  // Through a symbolic link: the file it points to is replaced (or made), the link stays.
  const target = existing ? await realpath(path) : await linkTarget(path);
  const partial = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  const mode = existing ? existing.mode & 0o777 : 0o666;
  // The stream leaves its descriptor open at the end, so that commit() can sync it first.
  const { stream, fd } = await opened(partial, path, { flags: 'wx', mode, autoClose: false });
  // Closed once: destroy() closes it too (fs streams do, whatever autoClose says), and a number
  // closed twice may by then be another file's, or the database connection's.
  let fdOpen = true;
  const closeFd = async (how: 'close' | 'destroy') => {
    if (!fdOpen) return;
    fdOpen = false;
    if (how === 'close') return promisify(close)(fd);
    if (stream.closed) return;
    const closed = once(stream, 'close');
    stream.destroy();
    await closed.catch(() => undefined);
  };
  const discard = async () => {
    await closeFd('destroy');
    await rm(partial, { force: true });
  };
  if (existing) {
    try {
      await keepOwnerAndMode(fd, existing);
    } catch (error) {
      await discard();
      throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
    }
  }
  return {
    stream,
    async commit() {
      // A write that failed after the last writeLine has errored the stream, which then never
      // finishes: finished() rejects with that error instead of waiting.
      stream.end();
      await finished(stream);
      await promisify(fsync)(fd);
      await closeFd('close');
      await rename(partial, target);
      await syncDirectory(dirname(target));
    },
    abandon: discard,
  };
}

/**
 * Where a new file at `path` goes: `path` itself, or, when `path` is a symbolic link to nothing
 * yet, the file it names (as a shell's `>` makes it), through links that name links.
 */
async function linkTarget(path: string): Promise<string> {
  let at = path;
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(at).catch(() => undefined);
    if (!info?.isSymbolicLink()) return at;
    at = resolve(dirname(at), await readlink(at));
  }
  throw new CliError(`cannot write ${path}: too many levels of symbolic links`);
}

/** The replaced file's mode exactly (the umask narrowed the one open() gave) and, where allowed, its owner. */
async function keepOwnerAndMode(fd: number, existing: Stats): Promise<void> {
  await promisify(fchmod)(fd, existing.mode & 0o7777);
  if (process.getuid?.() === 0)
    await promisify(fchown)(fd, existing.uid, existing.gid).catch(() => undefined);
}

/** The rename itself survives a crash once the directory is synced; not every file system allows it. */
async function syncDirectory(dir: string): Promise<void> {
  const fd = await promisify(open)(dir, 'r').catch(() => undefined);
  if (fd === undefined) return;
  await promisify(fsync)(fd).catch(() => undefined);
  await promisify(close)(fd);
}
