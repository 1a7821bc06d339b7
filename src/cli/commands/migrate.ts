/**
 * `agent-sessions migrate`: create the session tables and indexes that are missing, then check
 * that all of them are as trpc-agent-go defines them. `--dry-run` prints the DDL instead.
 */
import type { Command } from 'commander';
import { initSchema, quoteIdentifier, schemaDdl, tableNames } from '../../postgres/schema/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import type { Database } from '../database.js';
import { withDatabase } from '../database.js';
import { note, print } from '../io.js';
import { colorsFor } from '../output/colors.js';

interface MigrateFlags extends ConnectionFlags {
  dryRun?: boolean;
}

/** The statements `migrate` runs, in order: the schema (when one is named), tables, indexes. */
export function migrationStatements(schema: string, prefix: string): string[] {
  const tables = tableNames(schema, prefix);
  const createSchema = tables.schema ? [`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(tables.schema)}`] : [];
  return [...createSchema, ...schemaDdl(tables)];
}

/**
 * Creates the schema named by `--schema` when it does not exist yet. Checked first because
 * CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database, which a role
 * that owns only its schema does not have.
 */
export async function ensureSchema(db: Database): Promise<void> {
  const schema = db.tables.schema;
  if (!schema) return;
  const { rows } = await db.client.query<{ present: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present',
    [schema],
  );
  if (!rows[0]?.present) await db.client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
}

async function migrate(flags: MigrateFlags): Promise<void> {
  if (flags.dryRun) {
    for (const statement of migrationStatements(flags.schema ?? '', flags.tablePrefix ?? '')) {
      await print(`${statement};\n`);
    }
    return;
  }
  await withDatabase(flags, { create: true, requireTables: false }, async (db) => {
    await ensureSchema(db);
    const report = await initSchema(db.client, db.tables);
    const c = colorsFor(process.stdout);
    const { rows } = await db.client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const where = `schema ${db.tables.schema || rows[0]?.schema || 'public'} of ${db.describe}`;
    const indexes = report.created.filter((name) => name.startsWith('idx_')).length;
    const tables = report.created.length - indexes;
    if (report.created.length === 0) {
      await print(`${c.green('✓')} The session tables in ${where} are up to date.`);
    } else {
      await print(
        `${c.green('✓')} Created ${tables} table${tables === 1 ? '' : 's'} and ${indexes} index${indexes === 1 ? '' : 'es'} in ${where}; all six tables verified.`,
      );
    }
    for (const warning of report.warnings) note(`warning: ${warning}`);
  });
}

export function registerMigrate(program: Command): void {
  addConnectionOptions(
    program
      .command('migrate')
      .summary('create the session tables if missing and verify them')
      .description(
        "Create the six session tables and their indexes where missing (trpc-agent-go's exact DDL), then verify columns and indexes. Safe to run any number of times, also next to running services.",
      )
      .option('--dry-run', 'print the DDL instead of running it (needs no database)'),
  ).action((flags: MigrateFlags) => migrate(flags));
}
