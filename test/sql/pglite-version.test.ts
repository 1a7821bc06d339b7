/**
 * A data directory another major version of PostgreSQL made (a newer or older PGlite, another
 * program) is refused before PGlite starts on it, as a CONFIG error naming `dataDir`, both
 * versions and the way out, from pgliteClient and from the service alike; the directory is left
 * exactly as it was, and opens again once it is one of ours.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** Every file under `dir` with its size and modification time, to see that nothing was touched. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const { size, mtimeMs } = statSync(path);
      return `${path.slice(dir.length)} ${size} ${mtimeMs}`;
    })
    .sort();
}

/** The error `open` fails with; an open that succeeds is closed and fails the test. */
async function refusal(open: () => Promise<{ close(): Promise<void> }>): Promise<Error> {
  let opened: { close(): Promise<void> };
  try {
    opened = await open();
  } catch (error) {
    return error as Error;
  }
  await opened.close();
  throw new Error('expected the directory to be refused');
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

  it('is refused, quoted in printable ASCII, when its PG_VERSION names no version', () => {
    const dir = copyWithVersion('');
    const cases: [text: string, shown: string][] = [
      ['', '""'],
      ['\n', '"\\n"'],
      ['18.7\n', '"18.7\\n"'],
      [' eighteen', '" eighteen"'],
      ['\u001b[31m18\u0007', '"\\u001b[31m18\\u0007"'],
      ['\u009b2J\u202e91\u007f', '"\\u009b2J\\u202e91\\u007f"'],
      ['été', '"\\u00e9t\\u00e9"'],
      ['x'.repeat(500), `"${'x'.repeat(40)}"`],
    ];
    for (const [text, shown] of cases) {
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
        `${dir} holds a PG_VERSION file that names no PostgreSQL version (${shown}), and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}, ${WAY_OUT}`,
      );
      // Nothing but printable ASCII reaches a terminal or a log line (the path is ours).
      expect(rule.slice(dir.length)).toMatch(/^[\x20-\x7e]*$/);
    }
  });

  it('is refused without reading it when PG_VERSION is not a file (a FIFO would block for good)', () => {
    const dir = copyWithVersion('');
    rmSync(join(dir, 'PG_VERSION'));
    execFileSync('mkfifo', [join(dir, 'PG_VERSION')]);
    expect(() => checkDataDirVersion(dir)).toThrow(
      `${dir} holds a PG_VERSION that is not a file, and the embedded PostgreSQL is ${EMBEDDED_POSTGRES_MAJOR}`,
    );
    rmSync(join(dir, 'PG_VERSION'));
    execFileSync('mkdir', [join(dir, 'PG_VERSION')]);
    expect(() => checkDataDirVersion(dir)).toThrow('holds a PG_VERSION that is not a file');
  });

  it('is refused when named as a file:// URL, which PGlite opens as the same directory', async () => {
    const dir = copyWithVersion(`${EMBEDDED_POSTGRES_MAJOR + 1}\n`);
    const error = await refusal(() => pgliteClient(`file://${dir}`));
    expect(error).toBeInstanceOf(SqlConfigError);
    expect((error as SqlConfigError).rule).toContain(
      `holds a database of PostgreSQL ${EMBEDDED_POSTGRES_MAJOR + 1},`,
    );
    // Once ours, file:// and the plain path are one directory under one lock.
    writeFileSync(join(dir, 'PG_VERSION'), `${EMBEDDED_POSTGRES_MAJOR}\n`);
    const db = await pgliteClient(`file://${dir}`);
    try {
      await db.query(`INSERT INTO app_states (app_name, key, value) VALUES ('file-url', 'k', 'v')`);
      const second = await refusal(() => pgliteClient(dir));
      expect(second.message).toContain('already open');
    } finally {
      await db.close();
    }
    const again = await pgliteClient(dir);
    try {
      const { rows } = await again.query<{ value: string }>(
        `SELECT value FROM app_states WHERE app_name = 'file-url'`,
      );
      expect(rows.map((r) => r.value)).toEqual(['v']);
    } finally {
      await again.close();
    }
    await expect(pgliteClient('file://')).rejects.toThrow('dataDir: file:// names no directory');
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
