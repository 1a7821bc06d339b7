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
import { realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  // Through a symbolic link: the file it points to is replaced, the link stays.
  const target = existing ? await realpath(path) : path;
  const partial = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  const mode = existing ? existing.mode & 0o777 : 0o666;
  // The stream leaves its descriptor open at the end, so that commit() can sync it first.
  const { stream, fd } = await opened(partial, path, { flags: 'wx', mode, autoClose: false });
  if (existing) await keepOwnerAndMode(fd, existing);
  return {
    stream,
    async commit() {
      stream.end();
      await once(stream, 'finish');
      await promisify(fsync)(fd);
      await promisify(close)(fd);
      await rename(partial, target);
      await syncDirectory(dirname(target));
    },
    async abandon() {
      stream.destroy();
      await promisify(close)(fd).catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
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
