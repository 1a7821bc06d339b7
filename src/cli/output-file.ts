/**
 * A file the command writes whole or not at all (`export -o`). The lines go to `<file>.partial`
 * beside it, which is renamed over `<file>` only once everything is written: an export that fails
 * or is interrupted (Ctrl-C, a killed job) never leaves a truncated file under the name a later
 * import reads as a complete backup, and a file already there stays as it was.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CliError } from './errors.js';

export interface OutputFile {
  /** Where the lines go until commit(). */
  readonly stream: Writable;
  /** Finishes writing and puts the file in place. */
  commit(): Promise<void>;
  /** Drops what was written; the file at the path is left as it was. */
  abandon(): Promise<void>;
}

/**
 * Opens `path` for writing, before any work is done, so a path that cannot be written (a
 * directory, a missing folder, no permission) fails at once, in one line naming it.
 */
export async function openOutputFile(path: string): Promise<OutputFile> {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new CliError(`cannot write ${path}: it is a directory`);
  }
  const partial = `${path}.partial`;
  const stream = createWriteStream(partial, { flags: 'w' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
  // A later failure (a full disk) fails the next write (see writeLine) instead of the process.
  stream.on('error', () => undefined);
  return {
    stream,
    async commit() {
      stream.end();
      await finished(stream);
      await rename(partial, path);
    },
    async abandon() {
      stream.destroy();
      await rm(partial, { force: true });
    },
  };
}
