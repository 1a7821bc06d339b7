import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initSchema, type TableNames, tableNames, verifySchema } from '../../src/postgres/schema/index.js';
import { ConfigError } from '../../src/session/errors.js';
import type { SqlClient } from '../../src/sql/client.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import { describeServer, newPglite, serverUrl, withServerSchema } from '../support/database.js';

async function failure(run: Promise<unknown>): Promise<ConfigError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).field).toBe('schema');
  return error as ConfigError;
}

/** Each case damages a fresh set of tables (its own prefix) and checks the verifier's verdict. */
function verificationCases(
  name: string,
  open: () => Promise<{ client: SqlClient; schema: string; done(): Promise<void> }>,
) {
  describe(`schema verification (${name})`, () => {
    let db: SqlClient;
    let schema: string;
    let done: () => Promise<void>;
    let n = 0;
    beforeAll(async () => {
      ({ client: db, schema, done } = await open());
    });
    afterAll(() => done());

    async function fresh(): Promise<TableNames> {
      const t = tableNames(schema === 'public' ? '' : schema, `v${++n}`);
      await initSchema(db, t);
      return t;
    }

    it('reports a missing table', async () => {
      const t = await fresh();
      await db.query(`DROP TABLE ${t.userStates.qualified}`);
      const error = await failure(verifySchema(db, t));
      expect(error.message).toContain(`table ${schema}.${t.userStates.name} does not exist`);
      expect(error.message).toContain('agent-sessions migrate');
    });

    it('reports a missing column with its type and nullability, and the statement that adds it', async () => {
      const t = await fresh();
      await db.query(`ALTER TABLE ${t.sessionEvents.qualified} DROP COLUMN event`);
      const error = await failure(verifySchema(db, t));
      expect(error.message).toContain(
        `table ${schema}.${t.sessionEvents.name} is missing column event (jsonb NOT NULL)`,
      );
      expect(error.message).toContain(
        `ALTER TABLE "${schema}"."${t.sessionEvents.name}" ADD COLUMN event JSONB NOT NULL`,
      );
    });

    it('reports a column of the wrong type', async () => {
      const t = await fresh();
      await db.query(`ALTER TABLE ${t.sessionStates.qualified} ALTER COLUMN state TYPE text`);
      const error = await failure(verifySchema(db, t));
      expect(error.message).toContain(
        `column ${schema}.${t.sessionStates.name}.state has type text, expected jsonb`,
      );
    });

    it('reports a column with the wrong nullability', async () => {
      const t = await fresh();
      await db.query(`ALTER TABLE ${t.appStates.qualified} ALTER COLUMN value SET NOT NULL`);
      await db.query(`ALTER TABLE ${t.appStates.qualified} ALTER COLUMN key DROP NOT NULL`);
      const error = await failure(verifySchema(db, t));
      expect(error.message).toContain(
        `column ${schema}.${t.appStates.name}.value is NOT NULL, expected nullable`,
      );
      expect(error.message).toContain(
        `column ${schema}.${t.appStates.name}.key is nullable, expected NOT NULL`,
      );
      expect(error.message).toContain('ALTER COLUMN value DROP NOT NULL');
    });

    it('reports a missing unique index with the statement that creates it', async () => {
      const t = await fresh();
      const index = t.sessionStates.indexes.unique_active!;
      await db.query(`DROP INDEX "${schema}"."${index}"`);
      const error = await failure(verifySchema(db, t));
      expect(error.message).toContain(
        `index ${index} on ${schema}.${t.sessionStates.name} (app_name, user_id, session_id) WHERE deleted_at IS NULL does not exist`,
      );
      expect(error.message).toContain(`CREATE UNIQUE INDEX "${index}"`);
    });

    it('reports an index with the right name that is not unique', async () => {
      const t = await fresh();
      const index = t.userStates.indexes.unique_active!;
      await db.query(`DROP INDEX "${schema}"."${index}"`);
      await db.query(
        `CREATE INDEX "${index}" ON ${t.userStates.qualified} (app_name, user_id, key) WHERE deleted_at IS NULL`,
      );
      const error = await failure(verifySchema(db, t));
      expect(error.message).toContain(`index ${index} on ${schema}.${t.userStates.name} is not unique`);
      expect(error.message).toContain('DROP INDEX');
    });

    it('reports a unique index on the wrong columns or without the deleted_at predicate', async () => {
      const t = await fresh();
      const summaries = t.sessionSummaries.indexes.unique_active!;
      const apps = t.appStates.indexes.unique_active!;
      await db.query(`DROP INDEX "${schema}"."${summaries}"`);
      await db.query(
        `CREATE UNIQUE INDEX "${summaries}" ON ${t.sessionSummaries.qualified} (app_name, user_id, session_id) WHERE deleted_at IS NULL`,
      );
      await db.query(`DROP INDEX "${schema}"."${apps}"`);
      await db.query(`CREATE UNIQUE INDEX "${apps}" ON ${t.appStates.qualified} (app_name, key)`);
      const error = await failure(verifySchema(db, t));
      expect(error.message).toMatch(
        new RegExp(
          `index ${summaries} on \\S+ is ".*", expected \\(app_name, user_id, session_id, filter_key\\) WHERE deleted_at IS NULL`,
        ),
      );
      expect(error.message).toMatch(
        new RegExp(`index ${apps} on \\S+ is ".*", expected \\(app_name, key\\) WHERE deleted_at IS NULL`),
      );
    });

    it('lists every problem at once', async () => {
      const t = await fresh();
      await db.query(`DROP TABLE ${t.appStates.qualified}`);
      await db.query(`ALTER TABLE ${t.sessionTrackEvents.qualified} DROP COLUMN track`);
      const error = await failure(verifySchema(db, t));
      expect(error.message.split('\n- ')).toHaveLength(3);
    });

    it('only warns about a missing or different non-unique index', async () => {
      const t = await fresh();
      await db.query(`DROP INDEX "${schema}"."${t.sessionEvents.indexes.lookup}"`);
      await db.query(`DROP INDEX "${schema}"."${t.userStates.indexes.expires}"`);
      await db.query(
        `CREATE INDEX "${t.userStates.indexes.expires}" ON ${t.userStates.qualified} (expires_at)`,
      );
      const report = await verifySchema(db, t);
      expect(report.warnings).toHaveLength(2);
      expect(report.warnings[0]).toContain(
        `index ${t.sessionEvents.indexes.lookup} on ${schema}.${t.sessionEvents.name}`,
      );
      expect(report.warnings[0]).toContain('does not exist; queries will be slower');
      expect(report.warnings[1]).toContain('expected (expires_at) WHERE expires_at IS NOT NULL');
    });

    it('accepts extra columns and extra indexes', async () => {
      const t = await fresh();
      await db.query(`ALTER TABLE ${t.sessionStates.qualified} ADD COLUMN note TEXT`);
      await db.query(`CREATE INDEX "extra_${n}" ON ${t.sessionStates.qualified} (updated_at)`);
      expect(await verifySchema(db, t)).toEqual({ created: [], warnings: [] });
    });

    it('refuses to start on a table that exists with the wrong shape, even when creating', async () => {
      const t = tableNames(schema === 'public' ? '' : schema, `v${++n}`);
      await db.query(`CREATE TABLE ${t.sessionEvents.qualified} (id BIGSERIAL PRIMARY KEY, app_name TEXT)`);
      const error = await failure(initSchema(db, t));
      expect(error.message).toContain(
        `column ${schema}.${t.sessionEvents.name}.app_name has type text, expected character varying`,
      );
      expect(error.message).toContain(`is missing column user_id`);
    });
  });
}

verificationCases('PGlite', async () => {
  const { client, close } = await newPglite();
  return { client, schema: 'public', done: close };
});

describeServer('server', () => {
  verificationCases('PostgreSQL server', async () => {
    const s = await withServerSchema();
    return { client: s.client, schema: s.schema, done: s.drop };
  });

  describe('a role without privileges on existing tables', () => {
    const role = `ro_${randomBytes(6).toString('hex')}`;
    let s: Awaited<ReturnType<typeof withServerSchema>>;
    let t: TableNames;
    let pool: pg.Pool;
    let sql: SqlClient;
    beforeAll(async () => {
      s = await withServerSchema();
      t = tableNames(s.schema, 'priv');
      await initSchema(s.client, t);
      await s.pool.query(`CREATE ROLE ${role} NOLOGIN`);
      // Logged in as the test's user, acting as the role (as SET ROLE does).
      pool = createPgPool({
        connectionString: serverUrl,
        max: 1,
        options: `-c search_path=${s.schema} -c role=${role}`,
      });
      sql = pgClient(pool, { owned: false });
    });
    afterAll(async () => {
      await pool?.end();
      await s?.pool.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await s?.drop();
      await s?.pool.end().catch(() => undefined);
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    });

    it('names the missing schema privilege, not missing columns', async () => {
      const error = await failure(verifySchema(sql, t));
      expect(error.message).toContain(`role ${role} has no USAGE privilege on schema ${s.schema}`);
      expect(error.message).toContain(`GRANT USAGE ON SCHEMA "${s.schema}" TO "${role}"`);
      expect(error.message).not.toMatch(/missing column|ALTER TABLE/);
    });

    it('names the tables it has no privilege on, with the GRANT that fixes it, and passes once granted', async () => {
      await s.pool.query(`GRANT USAGE ON SCHEMA "${s.schema}" TO ${role}`);
      await s.pool.query(
        `GRANT SELECT ON ${t.sessionStates.qualified}, ${t.sessionEvents.qualified} TO ${role}`,
      );
      // DELETE alone shows no column in information_schema: still "may not read", never "missing column".
      await s.pool.query(`GRANT DELETE ON ${t.sessionSummaries.qualified} TO ${role}`);
      const error = await failure(verifySchema(sql, t));
      expect(error.message).toContain(
        `role ${role} may not read table ${s.schema}.${t.sessionSummaries.name}`,
      );
      expect(error.message).toContain(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON "${s.schema}"."${t.sessionSummaries.name}" TO "${role}"`,
      );
      expect(error.message).not.toContain(t.sessionStates.name);
      expect(error.message).not.toMatch(/missing column|ALTER TABLE/);
      expect(error.message.split('\n- ')).toHaveLength(1 + t.all.length - 2);
      await s.pool.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${s.schema}" TO ${role}`);
      expect((await verifySchema(sql, t)).warnings).toEqual([]);
    });
  });
});
