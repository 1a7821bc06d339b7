/**
 * Which PostgreSQL a data directory was made by. PostgreSQL opens only a directory of its own
 * major version, named in the directory's `PG_VERSION` file, and PGlite reports any other as
 * "PGlite failed to initialize properly". PGlite's minor releases change the major version (0.5
 * embeds PostgreSQL 18, 0.6 embeds 19), so a directory another program or another release of
 * this package made is refused here, before PGlite starts on it, with what to do about it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqlConfigError } from './errors.js';

/**
 * The major version of the PostgreSQL inside the PGlite this package depends on
 * (test/sql/pglite-version.test.ts checks it against the running one, so a dependency update
 * that changes it fails there).
 */
export const EMBEDDED_POSTGRES_MAJOR = 18;

/** At most this much of a malformed PG_VERSION is quoted. */
const QUOTED_CHARS = 40;

/**
 * Refuses a data directory another major version of PostgreSQL made. A directory without
 * `PG_VERSION` (new, or not yet a database) is left to PGlite, which creates the database.
 */
export function checkDataDirVersion(dataDir: string): void {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8');
  } catch {
    return;
  }
  const major = text.trim();
  if (major === String(EMBEDDED_POSTGRES_MAJOR)) return;
  const made = /^\d{1,4}$/.test(major)
    ? `a database of PostgreSQL ${major}`
    : `a PG_VERSION file that names no PostgreSQL version (${JSON.stringify(text.slice(0, QUOTED_CHARS))})`;
  throw new SqlConfigError(
    'dataDir',
    `${dataDir} holds ${made}, and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}, which cannot open it: open it with the release that made it, export the sessions there (agent-sessions export) and import them here`,
  );
}
