/**
 * How creating and verifying the tables fails: the database's own refusal (no privilege, duplicate
 * rows, a system schema) is reported with its driver error as the cause, an invalid or foreign
 * index is named for what it is, and concurrent migrations of one new schema all succeed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminDatabase, migrate } from '../../src/postgres/admin/index.js';
import { initSchema, type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import { ConfigError, StorageError } from '../../src/session/errors.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import {
  describeServer,
  serverUrl,
  type TestDatabase,
  testDatabases,
  withServerSchema,
} from '../support/database.js';

const hex = () => randomBytes(5).toString('hex');

async function rejection(run: Promise<unknown>): Promise<Error> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const causeState = (error: Error) => (error.cause as { code?: string } | undefined)?.code;

describe.each(testDatabases)('schema failures (%s)', (name, open) => {
  let db: TestDatabase;
  let schema: string;
  beforeAll(async () => {
    db = await open();
    const { rows } = await db.sql.query<{ s: string }>('SELECT current_schema() AS s');
    schema = db.schema ?? rows[0]!.s;
  });
  afterAll(() => db.close());

  /** Tables with a prefix of their own in the database's schema. */
  const names = (): TableNames => tableNames(db.schema ?? '', `f${hex()}`);

  it('reports live rows that block a unique index as such, with the driver error as cause', async () => {
    const t = names();
    await initSchema(db.sql, t);
    const index = t.sessionStates.indexes.unique_active!;
    await db.sql.query(`DROP INDEX "${schema}"."${index}"`);
    for (let i = 0; i < 2; i++) {
      await db.sql.query(
        `INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id) VALUES ('a', 'u', 's')`,
      );
    }
    const error = await rejection(initSchema(db.sql, t));
    expect(error).toBeInstanceOf(StorageError);
    expect(causeState(error)).toBe('23505');
    expect(error.message).toContain(index);
    expect(error.message).toContain('deleted_at');
    expect(error.message).not.toContain('does not exist');
  });

  // PGlite's single user may create tables in pg_catalog.
  it.skipIf(name === 'PGlite')(
    'refuses a system schema with the permission error, not "run migrate"',
    async () => {
      const error = await rejection(
        migrate(adminDatabase(db.sql, { schema: 'pg_catalog', tablePrefix: 'x' })),
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('schema');
      expect(causeState(error)).toBe('42501');
      expect(error.message).toContain('system schema');
      expect(error.message).not.toContain('agent-sessions migrate');
    },
  );
});

/** Makes an index invalid, as a failed CREATE INDEX CONCURRENTLY leaves it. */
async function _markInvalid(db: TestDatabase, schema: string, index: string): Promise<void> {
  await db.sql.query(
    `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '"${schema}"."${index}"'::regclass`,
  );
}

describeServer('schema failures on a PostgreSQL server', () => {
  it('reports a role without CREATE on the schema as a permission error with its hint', async () => {
    const s = await withServerSchema();
    const role = `r_${hex()}`;
    await s.pool.query(`CREATE ROLE ${role} LOGIN`);
    await s.pool.query(`GRANT USAGE ON SCHEMA "${s.schema}" TO ${role}`);
    const url = new URL(serverUrl!);
    url.username = role;
    url.password = '';
    const pool = createPgPool({ connectionString: url.toString(), max: 2 });
    try {
      const client = pgClient(pool, { owned: false });
      for (const run of [
        initSchema(client, tableNames(s.schema, '')),
        migrate(adminDatabase(client, { schema: s.schema })),
      ]) {
        const error = await rejection(run);
        expect(error).toBeInstanceOf(StorageError);
        expect(causeState(error)).toBe('42501');
        expect(error.message).toContain('grant CREATE on the schema');
        expect(error.message).not.toContain('does not exist');
      }
    } finally {
      await pool.end();
      await s.drop();
      await s.client.close().catch(() => undefined);
      const admin = createPgPool({ connectionString: serverUrl!, max: 1 });
      await admin.query(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
    }
  });
});
