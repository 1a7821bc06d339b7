/**
 * `agent-sessions purge --older-than 30d`: hard-delete rows soft-deleted long enough ago.
 */
import type { Command } from 'commander';
import { countPurgeable, purge } from '../../postgres/admin/index.js';
import type { SweepCounts } from '../../session/observers.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { formatDuration } from '../duration.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { withPolledProgress } from '../output/progress.js';
import { formatUtc } from '../timestamps.js';
import { parseDurationOption } from './cleanup.js';
import { renderSweepCounts, sweepCountsJson } from './sweep-report.js';

interface PurgeFlags extends ConnectionFlags {
  olderThan: number;
  dryRun?: boolean;
  json?: boolean;
}

const sum = (counts: SweepCounts) => Object.values(counts).reduce((a: number, b: number) => a + b, 0);

async function purgeCommand(flags: PurgeFlags): Promise<void> {
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const olderThan = new Date(Date.now() - flags.olderThan);
    const c = colorsFor(process.stdout);
    if (flags.dryRun) {
      const pending = await countPurgeable(db, olderThan);
      if (flags.json) await print(JSON.stringify({ dryRun: true, ...sweepCountsJson(pending) }));
      else {
        await print(renderSweepCounts(pending, db.tables, 'would delete', c));
        await print(
          c.dim(`Rows soft-deleted before ${formatUtc(olderThan)} (${formatDuration(flags.olderThan)} ago).`),
        );
      }
      return;
    }
    const counts = await withPolledProgress(
      'Purging',
      'rows',
      async () => sum(await countPurgeable(db, olderThan)),
      async (total) => total - sum(await countPurgeable(db, olderThan)),
      () => purge(db, { olderThan }),
    );
    if (flags.json) {
      await print(JSON.stringify(sweepCountsJson(counts)));
      return;
    }
    await print(renderSweepCounts(counts, db.tables, 'deleted', c));
    await print(
      c.dim(`Removed rows soft-deleted before ${formatUtc(olderThan)}; live rows were not touched.`),
    );
  });
}

export function registerPurge(program: Command): void {
  addConnectionOptions(
    program
      .command('purge')
      .summary('hard-delete rows soft-deleted long ago')
      .description(
        'Permanently delete, in all six tables, the rows that were soft-deleted longer ago than --older-than. Live rows are never touched. Runs in small batches, so it can run next to live traffic.',
      )
      .requiredOption(
        '--older-than <duration>',
        'minimum age of the soft delete, e.g. 30d, 12h, 15m',
        parseDurationOption,
      )
      .option('--dry-run', 'count what would be deleted, delete nothing')
      .option('--json', 'print the counts as JSON'),
  ).action((flags: PurgeFlags) => purgeCommand(flags));
}
