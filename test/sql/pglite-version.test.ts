/**
 * A data directory another major version of PostgreSQL made (a newer or older PGlite, another
 * program) is refused before PGlite starts on it, as a CONFIG error naming `dataDir`, both
 * versions and the way out, from pgliteClient and from the service alike; the directory is left
 * exactly as it was, and opens again once it is one of ours.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { ConfigError } from '../../src/session/errors.js';
import { SqlConfigError } from '../../src/sql/errors.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { checkDataDirVersion, EMBEDDED_POSTGRES_MAJOR } from '../../src/sql/pglite-version.js';
import { emptyPglite } from '../support/pglite-template.js';

const WAY_OUT =
  'which cannot open it: open it with the release that made it, export the sessions there (agent-sessions export) and import them here';

let root: string;
/** A data directory our PGlite made, with the session tables. */
let made: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'agent-sessions-pg-version-'));
  made = join(root, 'made');
  const service = await PostgresSessionService.create({ dataDir: made });
  await service.close();
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of `made` whose PG_VERSION holds `text`. */
function copyWithVersion(text: string): string {
  const dir = join(root, `copy-${copies++}`);
  cpSync(made, dir, { recursive: true });
  writeFileSync(join(dir, 'PG_VERSION'), text);
  return dir;
}

/** Every file name under `dir` with its size, to see that nothing was touched. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length))
    .sort();
}

async function refusal(open: () => Promise<unknown>): Promise<Error> {
  const error = await open().then(
    () => new Error('expected the directory to be refused'),
    (e: unknown) => e as Error,
  );
  if (error.message === 'expected the directory to be refused') throw error;
  return error;
}

describe('the embedded PostgreSQL version', () => {
  it('is the major version the PGlite dependency runs', async () => {
    const db = await emptyPglite();
    try {
      const { rows } = await db.query<{ n: string }>(`SELECT current_setting('server_version_num') AS n`);
      expect(Math.floor(Number(rows[0]!.n) / 10000)).toBe(EMBEDDED_POSTGRES_MAJOR);
    } finally {
      await db.close();
    }
    expect(readFileSync(join(made, 'PG_VERSION'), 'utf8')).toBe(`${EMBEDDED_POSTGRES_MAJOR}\n`);
  });
});

describe('a data directory of another PostgreSQL', () => {
  const other = [EMBEDDED_POSTGRES_MAJOR + 1, EMBEDDED_POSTGRES_MAJOR - 1];

  for (const major of other) {
    it(`is refused by pgliteClient and the service, untouched, when PostgreSQL ${major} made it`, async () => {
      const dir = copyWithVersion(`${major}\n`);
      const before = listing(dir);
      const rule = `${dir} holds a database of PostgreSQL ${major}, and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}, ${WAY_OUT}`;

      const fromClient = await refusal(() => pgliteClient(dir));
      expect(fromClient).toBeInstanceOf(SqlConfigError);
      expect((fromClient as SqlConfigError).field).toBe('dataDir');
      expect((fromClient as SqlConfigError).rule).toBe(rule);

      const fromService = await refusal(() => PostgresSessionService.create({ dataDir: dir }));
      expect(fromService).toBeInstanceOf(ConfigError);
      expect(fromService.message).toBe(`dataDir: ${rule}`);

      // Nothing written, nothing locked: once it says our version, it opens and reads.
      expect(listing(dir)).toEqual(before);
      expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8')).toBe(`${major}\n`);
      writeFileSync(join(dir, 'PG_VERSION'), `${EMBEDDED_POSTGRES_MAJOR}\n`);
      const db = await pgliteClient(dir);
      try {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM session_states');
        expect(rows[0]!.n).toBe(0);
      } finally {
        await db.close();
      }
    });
  }

  it('is refused, quoted safely, when its PG_VERSION names no version', () => {
    const dir = copyWithVersion('');
    for (const text of ['', '\n', '18.7\n', ' eighteen', '\u001b[31m18\u0007', 'x'.repeat(500)]) {
      writeFileSync(join(dir, 'PG_VERSION'), text);
      let error: unknown;
      try {
        checkDataDirVersion(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SqlConfigError);
      const rule = (error as SqlConfigError).rule;
      expect(rule).toBe(
        `${dir} holds a PG_VERSION file that names no PostgreSQL version (${JSON.stringify(text.slice(0, 40))}), and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}, ${WAY_OUT}`,
      );
      // No control character reaches a terminal or a log line.
      expect(rule).not.toMatch(/[\u0000-\u001f]/);
    }
  });

  it('accepts our own version however PostgreSQL wrote it, and a directory without one', () => {
    const dir = copyWithVersion(`${EMBEDDED_POSTGRES_MAJOR}\n`);
    fc.assert(
      fc.property(
        fc.constantFrom('', '\n', '\r\n', ' ', '\t\n'),
        fc.constantFrom('', ' '),
        (after, before) => {
          writeFileSync(join(dir, 'PG_VERSION'), `${before}${EMBEDDED_POSTGRES_MAJOR}${after}`);
          expect(() => checkDataDirVersion(dir)).not.toThrow();
        },
      ),
    );
    rmSync(join(dir, 'PG_VERSION'));
    expect(() => checkDataDirVersion(dir)).not.toThrow();
    expect(() => checkDataDirVersion(join(root, 'does-not-exist'))).not.toThrow();
  });

  it('refuses any other number', () => {
    const dir = copyWithVersion('');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }).filter((n) => n !== EMBEDDED_POSTGRES_MAJOR),
        (major) => {
          writeFileSync(join(dir, 'PG_VERSION'), `${major}\n`);
          expect(() => checkDataDirVersion(dir)).toThrow(`holds a database of PostgreSQL ${major},`);
        },
      ),
    );
  });
});
