/**
 * Hard-deletes rows that were soft-deleted long enough ago: soft delete keeps rows for audit and
 * undo, and this is how they eventually leave.
 */
import { InvalidArgumentError } from '../../session/errors.js';
import type { SweepCounts, SweepReport } from '../../session/observers.js';
import { checkTimeOption } from '../../session/options.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlClient } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import { purgeDeletedRows, sqlTableNames } from './sql.js';
import { emptyCounts, repeatBatches } from './sweep.js';

/** Rows per statement unless told otherwise. */
export const DEFAULT_BATCH_SIZE = 1000;

/** Options of `purgeSoftDeleted` (the admin API's `purge`). */
export interface PurgeOptions {
  /** Rows soft-deleted strictly before this instant are deleted. */
  olderThan: Date;
  /** Rows per statement (default 1000); each statement commits on its own. */
  batchSize?: number;
}

/** Checks a batch size option: a positive integer, 1000 when absent. */
export function checkBatchSize(field: string, value: number | undefined): number {
  if (value === undefined) return DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(field, 'must be a positive integer');
  return value;
}

/**
 * Hard-deletes, in all six tables, the rows soft-deleted before `olderThan`, in bounded batches
 * that each commit on their own (so it can run next to live traffic and be interrupted at any
 * point without losing anything but progress). Live rows are never touched. Safe to run from
 * several processes at once: each statement skips rows another one holds.
 *
 * @returns how many rows left each table; `ran` is always true.
 */
export async function purgeSoftDeleted(
  client: SqlClient,
  tables: TableNames,
  options: PurgeOptions,
): Promise<SweepReport> {
  const { olderThan } = options ?? {};
  if (olderThan === undefined) throw new InvalidArgumentError('olderThan', 'is required');
  checkTimeOption('olderThan', olderThan);
  const limit = checkBatchSize('batchSize', options.batchSize);
  const before = toSqlTimestamp(olderThan);
  const counts: SweepCounts = emptyCounts();
  const names = sqlTableNames(tables);
  const targets: [keyof SweepCounts, string][] = [
    ['events', names.sessionEvents],
    ['summaries', names.sessionSummaries],
    ['trackEvents', names.sessionTrackEvents],
    ['sessions', names.sessionStates],
    ['appStates', names.appStates],
    ['userStates', names.userStates],
  ];
  for (const [field, table] of targets) {
    counts[field] = await repeatBatches(
      client,
      limit,
      () => true,
      `purge of soft-deleted ${field}`,
      (after) => purgeDeletedRows(table, before, after, limit),
    );
  }
  return { ran: true, ...counts };
}
