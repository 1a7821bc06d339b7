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
import {
  type PurgeBatchRow,
  purgeDeletedRemovals,
  purgeDeletedRows,
  purgeDeletedSessions,
  type SqlQuery,
  sqlTableNames,
} from './sql.js';
import { emptyCounts, repeatBatches, runBatch } from './sweep.js';

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
 * Sessions go one removal at a time, never table by table: a soft-deleted session goes in the
 * same statement as the events, summaries and track events its delete removed, and rows a sweep
 * took from a session that stayed live go together too. So a restore, whenever it runs (during a
 * purge, or after one was interrupted), finds what it brings back all there or all gone.
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
  // Soft-deleted sessions, batchSize sessions (each with its rows) a statement.
  await repeatRemovals(client, limit, counts, 'purge of soft-deleted sessions', (after) =>
    purgeDeletedSessions(names, before, after, limit),
  );
  // Then what no soft-deleted session row claims, walking each table for the removals of its rows.
  for (const [what, table] of [
    ['events', names.sessionEvents],
    ['summaries', names.sessionSummaries],
    ['track events', names.sessionTrackEvents],
  ] as const) {
    await repeatRemovals(client, limit, counts, `purge of soft-deleted ${what}`, (after) =>
      purgeDeletedRemovals(names, table, before, after, limit),
    );
  }
  for (const [field, table] of [
    ['appStates', names.appStates],
    ['userStates', names.userStates],
  ] as const) {
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

/**
 * Repeats a purge of whole removals until a batch comes back short, adding what each table lost
 * to `counts`. A batch is measured by the rows it walked (`picked`, or the sessions it deleted).
 */
async function repeatRemovals(
  client: SqlClient,
  limit: number,
  counts: SweepCounts,
  what: string,
  next: (after: string) => SqlQuery,
): Promise<void> {
  let after = '0';
  for (;;) {
    const batch = await runBatch<PurgeBatchRow>(client, next(after), what);
    counts.sessions += batch.sessions ?? 0;
    counts.events += batch.events ?? 0;
    counts.summaries += batch.summaries ?? 0;
    counts.trackEvents += batch.trackEvents ?? 0;
    const walked = batch.picked ?? batch.sessions ?? 0;
    if (walked < limit || batch.last === null) return;
    after = batch.last;
  }
}
