/**
 * `agent-sessions migrate`: create the session tables and indexes that are missing, then check
 * that all of them are as trpc-agent-go defines them. `--dry-run` prints the DDL instead.
 */
import type { Command } from 'commander';
import { migrate, migrationStatements } from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { note, print } from '../io.js';
import { colorsFor } from '../output/colors.js';

interface MigrateFlags extends ConnectionFlags {
  dryRun?: boolean;
}

async function migrateCommand(flags: MigrateFlags): Promise<void> {
  if (flags.dryRun) {
    for (const statement of migrationStatements(flags)) {
      await print(`${statement};\n`);
    }
    return;
  }
  await withDatabase(flags, { create: true, requireTables: false }, async (db) => {
    const report = await migrate(db);
    const c = colorsFor(process.stdout);
    const where = `schema ${report.schema} of ${db.describe}`;
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
  ).action((flags: MigrateFlags) => migrateCommand(flags));
}
