/**
 * One pass of the TTL sweep over the six tables, in bounded batches that each commit on their own.
 * The lock, the timer and error reporting are the caller's (see cleanup.ts).
 */
import { StorageError } from '../../session/errors.js';
import type { SweepCounts } from '../../session/observers.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlExecutor } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import {
  type BatchRow,
  type KeyTuple,
  type SqlQuery,
  type SqlTableNames,
  type SweepMode,
  selectStaleEventSessions,
  sqlTableNames,
  sweepEventsOfSessions,
  sweepExpiredRows,
} from './sql.js';

/** What one pass does: TTLs of 0 leave their tables alone. */
export interface SweepPlan {
  tables: TableNames;
  mode: SweepMode;
  now: Date;
  sessionTtlMs: number;
  appStateTtlMs: number;
  userStateTtlMs: number;
  trackEventTtlMs: number;
  batchSize: number;
  /** Asked between batches; false ends the pass early (the sweeper is stopping). */
  keepGoing: () => boolean;
}

export function emptyCounts(): SweepCounts {
  return { sessions: 0, events: 0, trackEvents: 0, summaries: 0, appStates: 0, userStates: 0 };
}

/** Runs one batch statement, naming the table and step in the error when it fails. */
export async function runBatch(conn: SqlExecutor, query: SqlQuery, what: string): Promise<BatchRow> {
  try {
    const { rows } = await conn.query<BatchRow>(query.text, query.params);
    return rows[0] ?? { count: 0, last: null };
  } catch (error) {
    throw storageError(what, error);
  }
}

/**
 * Repeats a batch until one comes back short (fewer rows than the limit: nothing is left that is
 * not locked by someone else), or until the pass is told to stop. `next(after)` receives the highest
 * id the previous batch changed, for statements that walk the table by id.
 */
export async function repeatBatches(
  conn: SqlExecutor,
  limit: number,
  keepGoing: () => boolean,
  what: string,
  next: (after: string) => SqlQuery,
): Promise<number> {
  let total = 0;
  let after = '0';
  for (;;) {
    const batch = await runBatch(conn, next(after), what);
    total += batch.count;
    if (batch.count < limit || batch.last === null || !keepGoing()) return total;
    after = batch.last;
  }
}

function storageError(what: string, error: unknown): StorageError {
  return new StorageError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

/**
 * Events of sessions whose newest event is older than the session TTL, a batch of session keys at
 * a time. A write that lands on such a session during the pass keeps its new event; the older
 * ones still go, as reads no longer return events older than the TTL anyway.
 */
async function sweepStaleEvents(
  conn: SqlExecutor,
  plan: SweepPlan,
  names: SqlTableNames,
  now: string,
  counts: SweepCounts,
) {
  const { mode, batchSize: limit, keepGoing } = plan;
  const cutoff = toSqlTimestamp(new Date(plan.now.getTime() - plan.sessionTtlMs));
  let after: KeyTuple | null = null;
  for (;;) {
    const query = selectStaleEventSessions(names.sessionEvents, cutoff, after, limit);
    let keys: KeyTuple[];
    try {
      const { rows } = await conn.query<{ app_name: string; user_id: string; session_id: string }>(
        query.text,
        query.params,
      );
      keys = rows.map((r) => [r.app_name, r.user_id, r.session_id] as const);
    } catch (error) {
      throw storageError('sweep of stale events', error);
    }
    if (keys.length === 0) return;
    counts.events += await repeatBatches(conn, limit, keepGoing, 'sweep of stale events', () =>
      sweepEventsOfSessions(mode, names.sessionEvents, now, cutoff, keys, limit),
    );
    after = keys[keys.length - 1]!;
    if (keys.length < limit || !keepGoing()) return;
  }
}

/**
 * One pass, in trpc-agent-go's order: sessions, events, track events, summaries, app state, user
 * state. Each table is touched only when its TTL is set (events and summaries follow the session
 * TTL). Soft mode sets deleted_at to the pass's `now`, hard mode deletes; rows already soft-deleted
 * are left to purgeSoftDeleted in both.
 */
export async function runSweep(conn: SqlExecutor, plan: SweepPlan): Promise<SweepCounts> {
  const { mode, batchSize: limit, keepGoing } = plan;
  const names = sqlTableNames(plan.tables);
  const now = toSqlTimestamp(plan.now);
  const counts = emptyCounts();
  const expired = (table: string, what: string) =>
    repeatBatches(conn, limit, keepGoing, `sweep of expired ${what}`, () =>
      sweepExpiredRows(mode, table, now, limit),
    );

  // Each table by its own rule, as trpc-agent-go's cleanup: a session row by its expires_at
  // alone. Its events, summaries and track events are not taken with it: they go by their own
  // rules below (or with deleteSession, or when a new session takes the key), so a sweep never
  // removes a row trpc-agent-go would keep.
  if (plan.sessionTtlMs > 0) {
    counts.sessions += await expired(names.sessionStates, 'sessions');
    // Events have no expires_at: they go when their session's newest event is older than the
    // TTL, whether or not the session row itself expired (what trpc-agent-go does, and what its
    // reads already hide).
    if (keepGoing()) await sweepStaleEvents(conn, plan, names, now, counts);
  }
  if (plan.trackEventTtlMs > 0 && keepGoing()) {
    counts.trackEvents += await expired(names.sessionTrackEvents, 'track events');
  }
  // trpc-agent-go writes summaries without expires_at, so this finds only rows another writer
  // gave one: summaries go with deleteSession, never by age.
  if (plan.sessionTtlMs > 0 && keepGoing()) {
    counts.summaries += await expired(names.sessionSummaries, 'summaries');
  }
  if (plan.appStateTtlMs > 0 && keepGoing()) {
    counts.appStates += await expired(names.appStates, 'app states');
  }
  if (plan.userStateTtlMs > 0 && keepGoing()) {
    counts.userStates += await expired(names.userStates, 'user states');
  }
  return counts;
}
