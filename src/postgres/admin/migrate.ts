/**
 * Creating the session tables: the statements, and running them (the schema when one is named,
 * then every missing table and index, then a check that all six are as trpc-agent-go defines
 * them). Safe to run any number of times, also next to running services.
 */
import {
  createSchemaIfMissing,
  initSchema,
  quoteIdentifier,
  type SchemaReport,
  schemaDdl,
  tableNames,
} from '../schema/index.js';
import type { AdminDatabase, AdminTableOptions } from './database.js';

/** The statements {@link migrate} runs, in order: the schema (when one is named), tables, indexes. */
export function migrationStatements(options: AdminTableOptions = {}): string[] {
  const tables = tableNames(options.schema ?? '', options.tablePrefix ?? '');
  const createSchema = tables.schema ? [`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(tables.schema)}`] : [];
  return [...createSchema, ...schemaDdl(tables)];
}

/** What {@link migrate} did: the tables and indexes it created, warnings, and where. */
export interface MigrationReport extends SchemaReport {
  /** The schema the tables are in: the named one, else the connection's current schema. */
  schema: string;
}

/**
 * Creates what is missing and verifies the rest.
 *
 * @throws ConfigError when an existing table does not match (a column of another type, a
 *   missing column); StorageError when the database refuses (no CREATE privilege).
 */
export async function migrate(db: AdminDatabase): Promise<MigrationReport> {
  const schema = db.tables.schema;
  if (schema) {
    // Checked first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the
    // database, which a role that owns only its schema does not have.
    const { rows } = await db.client.query<{ present: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present',
      [schema],
    );
    if (!rows[0]?.present) await createSchemaIfMissing(db.client, db.tables);
  }
  const report = await initSchema(db.client, db.tables);
  const { rows } = await db.client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  return { ...report, schema: schema || rows[0]?.schema || 'public' };
}
