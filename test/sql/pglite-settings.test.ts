/**
 * The settings pgliteClient starts PostgreSQL with: 16 MB of shared buffers unless the caller
 * says otherwise, the caller's settings applied, DateStyle kept ISO, and every malformed or
 * refused setting a CONFIG error that names it, with nothing left open or locked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/sql/client.js';
import { SqlConfigError } from '../../src/sql/errors.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { DEFAULT_PGLITE_SETTINGS, pgliteStartParams } from '../../src/sql/pglite-settings.js';
import { emptyPglite } from '../support/pglite-template.js';

const BASE = ['--single', '-c', 'search_path=public'];

/** `-c` pairs after the base parameters, as an object. */
function settingsOf(params: string[]): Record<string, string> {
  expect(params.slice(0, BASE.length)).toEqual(BASE);
  const rest = params.slice(BASE.length);
  const pairs: [string, string][] = [];
  for (let i = 0; i < rest.length; i += 2) {
    expect(rest[i]).toBe('-c');
    const pair = rest[i + 1]!;
    pairs.push([pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]);
  }
  // fromEntries defines each key as its own property: an assignment of `__proto__` (a name the
  // generator makes) would set the prototype instead and lose the setting.
  return Object.fromEntries(pairs);
}

function configError(fn: () => unknown): SqlConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SqlConfigError);
    return error as SqlConfigError;
  }
  throw new Error('expected a SqlConfigError');
}

describe('pgliteStartParams', () => {
  it('adds 16 MB of shared buffers to PGlite’s parameters, and the caller’s settings after them', () => {
    expect(settingsOf(pgliteStartParams(BASE, undefined))).toEqual({ shared_buffers: '16MB' });
    expect(settingsOf(pgliteStartParams(BASE, { work_mem: '8MB', 'pg_trgm.x': 'a=b c' }))).toEqual({
      shared_buffers: '16MB',
      work_mem: '8MB',
      'pg_trgm.x': 'a=b c',
    });
  });

  it('lets a caller’s setting replace ours, whatever its case', () => {
    expect(settingsOf(pgliteStartParams(BASE, { Shared_Buffers: '128MB' }))).toEqual({
      Shared_Buffers: '128MB',
    });
  });

  it('refuses what is not an object of names and texts, naming the field and the rule', () => {
    for (const bad of [null, 'shared_buffers=1MB', ['a'], 5])
      expect(configError(() => pgliteStartParams(BASE, bad)).message).toBe(
        'settings: must be an object of PostgreSQL setting names and their values as text',
      );
    for (const name of ['', 'a b', 'a=b', '1x', '.x', 'x;y', 'x\u0000', 'é'])
      expect(configError(() => pgliteStartParams(BASE, { [name]: '1' })).message).toBe(
        `settings: ${JSON.stringify(name)} is not a setting name (letters, digits, _ and ., not starting with a digit or .)`,
      );
    expect(configError(() => pgliteStartParams(BASE, { work_mem: 8 })).message).toBe(
      'settings.work_mem: must be text, as in postgresql.conf, got number',
    );
    expect(configError(() => pgliteStartParams(BASE, { work_mem: null })).message).toBe(
      'settings.work_mem: must be text, as in postgresql.conf, got null',
    );
    expect(configError(() => pgliteStartParams(BASE, { work_mem: '8\u0000MB' })).message).toBe(
      'settings.work_mem: must not contain NUL characters',
    );
  });

  it('gives every generated object either one -c pair per setting or a CONFIG error', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
        (given) => {
          let params: string[];
          try {
            params = pgliteStartParams(BASE, given);
          } catch (error) {
            expect(error).toBeInstanceOf(SqlConfigError);
            expect((error as SqlConfigError).code).toBe('CONFIG');
            return;
          }
          const expected: Record<string, string> = { ...DEFAULT_PGLITE_SETTINGS };
          for (const name of Object.keys(given))
            if (name.toLowerCase() === 'shared_buffers') delete expected.shared_buffers;
          expect(settingsOf(params)).toEqual({ ...expected, ...given });
        },
      ),
      // An own `__proto__` key, as a parsed JSON config holds it (found by the generator).
      { numRuns: 500, examples: [[JSON.parse('{"__proto__": ""}') as Record<string, string>]] },
    );
  });
});

describe('pgliteClient settings', () => {
  let dir: string;
  let dataDir: string;
  const setting = async (db: SqlClient, name: string) =>
    (await db.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-sessions-pglite-settings-'));
    dataDir = join(dir, 'db');
    const db = await pgliteClient(dataDir);
    try {
      expect(await setting(db, 'shared_buffers')).toBe('16MB');
    } finally {
      await db.close();
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the database with the caller’s settings, DateStyle kept ISO', async () => {
    const db = await pgliteClient(dataDir, {
      settings: { shared_buffers: '32MB', work_mem: '8MB', DateStyle: 'German, DMY' },
    });
    try {
      expect(await setting(db, 'shared_buffers')).toBe('32MB');
      expect(await setting(db, 'work_mem')).toBe('8MB');
      expect(await setting(db, 'DateStyle')).toMatch(/^ISO/);
      const { rows } = await db.query<{ at: Date }>(`SELECT TIMESTAMP '2026-01-31 12:00:00' AS at`);
      expect(rows[0]!.at.toISOString()).toBe('2026-01-31T12:00:00.000Z');
    } finally {
      await db.close();
    }
  }, 60_000);

  it('reports settings PostgreSQL refuses by name only, and leaves the directory free', async () => {
    const error = await pgliteClient(dataDir, {
      settings: { shared_buffers: 'hunter2', work_mem: '8MB' },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SqlConfigError);
    expect((error as SqlConfigError).message).toBe(
      'settings: PostgreSQL did not start with the settings shared_buffers, work_mem: a name it does not know or a value it refuses',
    );
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('hunter2');
    // Nothing holds the directory: it opens again.
    const db = await pgliteClient(dataDir);
    await db.close();
  }, 60_000);

  it('refuses malformed settings before it opens or locks anything', async () => {
    await expect(pgliteClient(dataDir, { settings: { 'a b': '1' } })).rejects.toThrow(
      'settings: "a b" is not a setting name',
    );
    const db = await pgliteClient(dataDir);
    await db.close();
  }, 60_000);

  it('refuses settings for a PGlite instance the caller opened', async () => {
    const instance = await emptyPglite();
    try {
      await expect(pgliteClient(instance, { settings: { work_mem: '8MB' } })).rejects.toThrow(
        'settings: apply to a database pgliteClient opens: start your PGlite with them',
      );
      expect(
        (await instance.query<{ v: string }>(`SELECT current_setting('work_mem') AS v`)).rows[0]!.v,
      ).toBe('4MB');
    } finally {
      await instance.close();
    }
  }, 60_000);
});
