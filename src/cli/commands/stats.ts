/**
 * `agent-sessions stats`: per table, rows live, soft-deleted and expired, and the size on disk.
 */
import type { Command } from 'commander';
import { type TableStats, tableStats } from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { formatBytes, formatCount } from '../output/format.js';
import { safeJson, safeText } from '../output/safe-text.js';
import { renderTable } from '../output/table.js';

interface StatsFlags extends ConnectionFlags {
  json?: boolean;
}

async function stats(flags: StatsFlags): Promise<void> {
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const list = await tableStats(db);
    if (flags.json) {
      // The description and table names come from flags and paths, which may hold any character.
      await print(
        safeJson(
          JSON.stringify({ database: db.describe, schema: db.tables.schema || null, tables: list }, null, 2),
        ),
      );
      return;
    }
    const total: TableStats = {
      table: 'total',
      rows: list.reduce((s, r) => s + r.rows, 0),
      live: list.reduce((s, r) => s + r.live, 0),
      softDeleted: list.reduce((s, r) => s + r.softDeleted, 0),
      expired: list.reduce((s, r) => s + r.expired, 0),
      bytes: list.reduce((s, r) => s + r.bytes, 0),
    };
    const c = colorsFor(process.stdout);
    await print(c.dim(safeText(`${db.describe}${db.tables.schema ? `, schema ${db.tables.schema}` : ''}`)));
    await print(
      renderTable(
        [
          { header: 'TABLE', value: (r: TableStats) => r.table },
          { header: 'ROWS', value: (r) => formatCount(r.rows), align: 'right' },
          { header: 'LIVE', value: (r) => formatCount(r.live), align: 'right' },
          { header: 'SOFT-DELETED', value: (r) => formatCount(r.softDeleted), align: 'right' },
          { header: 'EXPIRED', value: (r) => formatCount(r.expired), align: 'right' },
          { header: 'SIZE', value: (r) => formatBytes(r.bytes), align: 'right' },
        ],
        [...list, total],
        c,
      ),
    );
    await print(
      c.dim('Expired rows are hidden from services and go with the next sweep (`agent-sessions cleanup`).'),
    );
  });
}

export function registerStats(program: Command): void {
  addConnectionOptions(
    program
      .command('stats')
      .summary('rows per table: live, soft-deleted, expired; table sizes')
      .description(
        'Count the rows of each session table (live, soft-deleted, expired but not yet swept) and show its size on disk with indexes (pg_total_relation_size).',
      )
      .option('--json', 'print JSON instead of a table'),
  ).action((flags: StatsFlags) => stats(flags));
}
