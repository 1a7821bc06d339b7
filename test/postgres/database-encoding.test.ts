/**
 * A database whose encoding is not UTF8 cannot hold what sessions carry: LATIN1 has no emoji or
 * CJK, and SQL_ASCII refuses every `\u` escape beyond ASCII in JSONB (trpc-agent-go writes U+2028
 * as `\u2028`) and measures the 255-character keys in bytes. Such a database is refused when the
 * service starts, as a ConfigError naming the encoding, and nothing is created in it; before,
 * the service started and failed later, on the first user who sent such a character.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { migrationStatements } from '../../src/postgres/admin/index.js';
import { createPgPool } from '../../src/sql/index.js';
import { cli, ensureBuilt, expectOneLineError, ok } from '../cli/support.js';
import { describeServer, startError, withServerDatabase } from '../support/database.js';

for (const encoding of ['LATIN1', 'SQL_ASCII'] as const) {
  describeServer(`a ${encoding} database`, () => {
    let database: Awaited<ReturnType<typeof withServerDatabase>> | undefined;
    beforeAll(async () => {
      database = await withServerDatabase('enc', {}, { encoding });
    });
    afterAll(async () => {
      await database?.drop();
    });

    async function tables(): Promise<string[]> {
      const pool = createPgPool({ connectionString: database!.url, max: 1 });
      try {
        const { rows } = await pool.query<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
        );
        return rows.map((r) => r.name);
      } finally {
        await pool.end();
      }
    }

    const rule = new RegExp(
      `^database: its encoding is ${encoding}, and the session tables need UTF8 to hold any text a session may carry .*; create the database with ENCODING 'UTF8'$`,
    );

    it.each([
      ['the defaults', {}],
      ['skipDbInit', { skipDbInit: true }],
      ['asyncPersist', { asyncPersist: true }],
    ])(
      'is refused at create() with %s, naming the encoding, and nothing is created',
      async (_name, options) => {
        const error = await startError({ dsn: database!.url, ...options });
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).field).toBe('database');
        expect((error as Error).message).toMatch(rule);
        expect(await tables()).toEqual([]);
      },
    );

    it('is refused by `agent-sessions migrate` in one line, creating nothing', async () => {
      ensureBuilt();
      const result = await cli(['migrate', '--dsn', database!.url], { cwd: process.cwd() });
      expect(expectOneLineError(result)).toMatch(new RegExp(`database: its encoding is ${encoding}`));
      expect(await tables()).toEqual([]);
    }, 240_000);

    it('is still served by the commands that work on what is stored (ls, export), e.g. to move it to UTF8', async () => {
      ensureBuilt();
      const pool = createPgPool({ connectionString: database!.url, max: 1 });
      try {
        for (const statement of migrationStatements()) await pool.query(statement);
        await pool.query(
          `INSERT INTO session_states (app_name, user_id, session_id, state, created_at, updated_at)
           VALUES ('café', 'u', 's', '{}', now(), now())`,
        );
      } finally {
        await pool.end();
      }
      const listed = ok(await cli(['ls', '--dsn', database!.url], { cwd: process.cwd() }));
      expect(listed.stdout).toContain('café');
      const exported = ok(
        await cli(['export', '--dsn', database!.url, '--app', 'café'], { cwd: process.cwd() }),
      );
      expect(exported.stdout).toContain('"café"');
    }, 240_000);
  });
}
