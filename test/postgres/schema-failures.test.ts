/**
 * How creating and verifying the tables fails: the database's own refusal (no privilege, duplicate
 * rows, a system schema) is reported with its driver error as the cause, an invalid or foreign
 * index is named for what it is, and concurrent migrations of one new schema all succeed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminDatabase, findMissingTables, migrate } from '../../src/postgres/admin/index.js';
import { initSchema, type TableNames, tableNames, verifySchema } from '../../src/postgres/schema/index.js';
import { ConfigError, StorageError } from '../../src/session/errors.js';
import type { SqlClient } from '../../src/sql/client.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import {
  describeServer,
  newPglite,
  serverUrl,
  startError,
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

  it('refuses an invalid unique index, with the statements that rebuild it', async () => {
    const t = names();
    await initSchema(db.sql, t);
    const index = t.appStates.indexes.unique_active!;
    await markInvalid(db, schema, index);
    const error = await rejection(verifySchema(db.sql, t));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`index ${index} on ${schema}.${t.appStates.name} is invalid`);
    expect(error.message).toContain(
      `DROP INDEX "${schema}"."${index}"; CREATE UNIQUE INDEX "${index}" ON ${t.appStates.qualified} (app_name, key) WHERE deleted_at IS NULL`,
    );
    const start = await startError({ ...db.connect, tablePrefix: t.prefix });
    expect(start).toBeInstanceOf(ConfigError);
    expect((start as Error).message).toContain('is invalid');
  });

  it('warns about an invalid non-unique index', async () => {
    const t = names();
    await initSchema(db.sql, t);
    const index = t.sessionEvents.indexes.lookup!;
    await markInvalid(db, schema, index);
    const report = await verifySchema(db.sql, t);
    expect(report.warnings.join('\n')).toContain(
      `index ${index} on ${schema}.${t.sessionEvents.name} is invalid`,
    );
  });

  it('names the table that already uses an index name another configuration derives', async () => {
    // Schema S with no prefix and prefix S in the current schema S derive the same index names.
    const p = `c${hex()}`;
    if (db.schema === undefined) {
      await db.sql.query(`CREATE SCHEMA ${p}`);
      await db.sql.query(`SET search_path = ${p}`);
    }
    const s = db.schema ?? p;
    try {
      await initSchema(db.sql, tableNames(s, ''));
      const second = tableNames('', s);
      const error = await rejection(initSchema(db.sql, second));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(
        `index name idx_${s}_session_states_unique_active is already used by table ${s}.session_states`,
      );
      expect(error.message).toContain('choose another tablePrefix or schema');
      expect(error.message).not.toContain('DROP INDEX');
      expect(error.message).not.toContain('CREATE UNIQUE INDEX');
      const viaMigrate = await rejection(migrate(adminDatabase(db.sql, { tablePrefix: s })));
      expect(viaMigrate.message).toContain('is already used by table');
    } finally {
      if (db.schema === undefined) {
        await db.sql.query('SET search_path = public');
        await db.sql.query(`DROP SCHEMA ${p} CASCADE`);
      }
    }
  });
});

/** Makes an index invalid, as a failed CREATE INDEX CONCURRENTLY leaves it. */
async function markInvalid(db: TestDatabase, schema: string, index: string): Promise<void> {
  await db.sql.query(
    `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '"${schema}"."${index}"'::regclass`,
  );
}

describe('no schema of the search_path exists (PGlite)', () => {
  let client: SqlClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client, close } = await newPglite());
    await client.query('SET search_path = no_such_schema');
  });
  afterAll(() => close());

  it('says so when looking for the tables, and to pass --schema', async () => {
    const error = await rejection(findMissingTables(adminDatabase(client, { tablePrefix: 'spy' })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('no schema of the search_path exists');
    expect(error.message).toContain('--schema');
    const viaMigrate = await rejection(migrate(adminDatabase(client, { tablePrefix: 'spy' })));
    expect(viaMigrate).toBeInstanceOf(ConfigError);
    expect(viaMigrate.message).toContain('no schema of the search_path exists');
    expect(viaMigrate.message).toContain('--schema');
  });
});

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
      // One after the other: each is started only once the previous one's rejection is handled.
      for (const run of [
        () => initSchema(client, tableNames(s.schema, '')),
        () => migrate(adminDatabase(client, { schema: s.schema })),
      ]) {
        const error = await rejection(run());
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

  it('refuses an index left invalid by a failed CREATE UNIQUE INDEX CONCURRENTLY', async () => {
    const s = await withServerSchema();
    try {
      const t = tableNames(s.schema, 'cc');
      await initSchema(s.client, t);
      const index = t.userStates.indexes.unique_active!;
      await s.pool.query(`DROP INDEX "${s.schema}"."${index}"`);
      const insert = `INSERT INTO ${t.userStates.qualified} (app_name, user_id, key) VALUES ('a', 'u', 'k')`;
      await s.pool.query(insert);
      await s.pool.query(insert);
      await expect(
        s.pool.query(
          `CREATE UNIQUE INDEX CONCURRENTLY "${index}" ON ${t.userStates.qualified} (app_name, user_id, key) WHERE deleted_at IS NULL`,
        ),
      ).rejects.toThrow(/could not create unique index/);
      await s.pool.query(
        `DELETE FROM ${t.userStates.qualified} WHERE id = (SELECT max(id) FROM ${t.userStates.qualified})`,
      );
      const error = await rejection(initSchema(s.client, t));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(`index ${index} on ${s.schema}.${t.userStates.name} is invalid`);
      const [drop, create] = error.message.split('rebuild it: ')[1]!.split('; ');
      await s.pool.query(drop!);
      await s.pool.query(create!);
      await expect(initSchema(s.client, t)).resolves.toBeDefined();
    } finally {
      await s.drop();
    }
  });

  it('lets 10 concurrent migrations create one new schema, three times over', async () => {
    // The collision on pg_namespace is a matter of timing: three rounds make it near certain.
    for (let round = 0; round < 3; round++) {
      const schema = `m_${hex()}`;
      const pools = Array.from({ length: 10 }, () => createPgPool({ connectionString: serverUrl!, max: 1 }));
      try {
        // Connected first, so the ten CREATE SCHEMA statements reach the server together.
        await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
        const results = await Promise.allSettled(
          pools.map((pool) => migrate(adminDatabase(pgClient(pool, { owned: false }), { schema }))),
        );
        const failures = results.filter((r) => r.status === 'rejected');
        expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      } finally {
        await Promise.all(pools.map((p) => p.end()));
        const admin = createPgPool({ connectionString: serverUrl!, max: 1 });
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => admin.end());
      }
    }
  });
});
