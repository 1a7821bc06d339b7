/**
 * Which PostgreSQL a data directory was made by. PostgreSQL opens only a directory of its own
 * major version, named in the directory's `PG_VERSION` file, and PGlite reports any other as
 * "PGlite failed to initialize properly". PGlite's minor releases change the major version (0.5
 * embeds PostgreSQL 18, 0.6 embeds 19), so a directory another program or another release of
 * this package made is refused here, before PGlite starts on it, with what to do about it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { SqlConfigError } from './errors.js';

/**
 * The major version of the PostgreSQL inside the PGlite this package depends on
 * (test/sql/pglite-version.test.ts checks it against the running one, so a dependency update
 * that changes it fails there).
 */
export const EMBEDDED_POSTGRES_MAJOR = 18;

/** PostgreSQL writes two or three characters; a longer file is read no further than this. */
const READ_BYTES = 64;

/**
 * Refuses a data directory another major version of PostgreSQL made. A directory without
 * `PG_VERSION` (new, or not yet a database) is left to PGlite, which creates the database.
 */
export function checkDataDirVersion(dataDir: string): void {
  const text = readVersionFile(join(dataDir, 'PG_VERSION'), dataDir);
  if (text === undefined) return;
  const major = text.trim();
  if (major === String(EMBEDDED_POSTGRES_MAJOR)) return;
  refuse(
    dataDir,
    /^\d{1,4}$/.test(major)
      ? `a database of PostgreSQL ${major}`
      : `a PG_VERSION file that names no PostgreSQL version (${quoted(text)})`,
  );
}

/**
 * The start of PG_VERSION, or undefined when there is none. Only a regular file is read, and
 * only its first bytes: a FIFO or a device in its place would block the process for good.
 */
function readVersionFile(path: string, dataDir: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) refuse(dataDir, 'a PG_VERSION that is not a file');
    const buffer = Buffer.alloc(READ_BYTES);
    const length = readSync(fd, buffer, 0, READ_BYTES, 0);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * File contents as JSON text with every character outside printable ASCII escaped, so no
 * control, C1 or bidi character of a hostile file reaches a terminal or a log line.
 */
function quoted(text: string): string {
  return JSON.stringify(text.slice(0, 40)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function refuse(dataDir: string, made: string): never {
  throw new SqlConfigError(
    'dataDir',
    `${dataDir} holds ${made}, and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}, which cannot open it: open it with the release that made it, export the sessions there (agent-sessions export) and import them here`,
  );
}
