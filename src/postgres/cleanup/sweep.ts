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
  countSweepRows,
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
export async function runBatch<Row = BatchRow>(
  conn: SqlExecutor,
  query: SqlQuery,
  what: string,
): Promise<Row> {
  try {
    const { rows } = await conn.query<Row>(query.text, query.params);
    return rows[0] ?? ({ count: 0, last: null } as Row);
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
 * Events of sessions whose newest event is the session TTL old or older, a batch of session keys at
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

/** The TTLs a pass goes by (a TTL of 0 leaves its tables alone). */
export type SweepTtls = Pick<
  SweepPlan,
  'sessionTtlMs' | 'appStateTtlMs' | 'userStateTtlMs' | 'trackEventTtlMs'
>;

/** One step of a pass: which table, under which TTL, by which rule. */
interface SweepStep {
  field: keyof SweepCounts;
  table: keyof SqlTableNames;
  ttl: keyof SweepTtls;
  /** `expired`: by the row's own expires_at; `stale`: events, by their session's newest one. */
  rule: 'expired' | 'stale';
  what: string;
}

/**
 * The steps of a pass, in trpc-agent-go's order, each table by its own rule as Go's cleanup: a
 * session row by its expires_at alone; its events, summaries and track events are not taken with
 * it but go by their own rules (or with deleteSession, or when a new session takes the key), so a
 * sweep never removes a row trpc-agent-go would keep, but for one instant: Go takes events only
 * once their session's newest one is older than the TTL; we take them at exactly the TTL too,
 * the instant their session row expires, so that one pass takes both (see staleEventGroups). The pass and its preview both follow this
 * list, so a preview counts exactly what the pass removes.
 */
const SWEEP_STEPS: readonly SweepStep[] = [
  { field: 'sessions', table: 'sessionStates', ttl: 'sessionTtlMs', rule: 'expired', what: 'sessions' },
  // Events have no expires_at: they go when their session's newest event is the TTL old or older,
  // whether or not the session row itself expired (what trpc-agent-go does, and what its reads
  // already hide).
  { field: 'events', table: 'sessionEvents', ttl: 'sessionTtlMs', rule: 'stale', what: 'stale events' },
  {
    field: 'trackEvents',
    table: 'sessionTrackEvents',
    ttl: 'trackEventTtlMs',
    rule: 'expired',
    what: 'track events',
  },
  // trpc-agent-go writes summaries without expires_at, so this finds only rows another writer
  // gave one: summaries go with deleteSession, never by age.
  { field: 'summaries', table: 'sessionSummaries', ttl: 'sessionTtlMs', rule: 'expired', what: 'summaries' },
  { field: 'appStates', table: 'appStates', ttl: 'appStateTtlMs', rule: 'expired', what: 'app states' },
  { field: 'userStates', table: 'userStates', ttl: 'userStateTtlMs', rule: 'expired', what: 'user states' },
];

/** The steps a pass with these TTLs takes. */
const stepsOf = (ttls: SweepTtls) => SWEEP_STEPS.filter((step) => ttls[step.ttl] > 0);

/**
 * One pass: the steps of {@link SWEEP_STEPS} whose TTL is set, in order. Soft mode sets
 * deleted_at to the pass's `now`, hard mode deletes; rows already soft-deleted are left to
 * purgeSoftDeleted in both.
 */
export async function runSweep(conn: SqlExecutor, plan: SweepPlan): Promise<SweepCounts> {
  const { mode, batchSize: limit, keepGoing } = plan;
  const names = sqlTableNames(plan.tables);
  const now = toSqlTimestamp(plan.now);
  const counts = emptyCounts();
  for (const step of stepsOf(plan)) {
    if (!keepGoing()) break;
    if (step.rule === 'stale') {
      await sweepStaleEvents(conn, plan, names, now, counts);
      continue;
    }
    counts[step.field] += await repeatBatches(conn, limit, keepGoing, `sweep of expired ${step.what}`, () =>
      sweepExpiredRows(mode, names[step.table], now, limit),
    );
  }
  return counts;
}

/**
 * What a pass at `now` with these TTLs would change, per table, counted in one statement by
 * the same rules (rows an application transaction holds are counted too; the pass steps over
 * them). Changes nothing.
 */
export async function countSweep(
  conn: SqlExecutor,
  tables: TableNames,
  now: Date,
  ttls: SweepTtls,
): Promise<SweepCounts> {
  const names = sqlTableNames(tables);
  const steps = stepsOf(ttls);
  const counts = emptyCounts();
  if (steps.length === 0) return counts;
  const query = countSweepRows(
    steps.map((step) => ({ table: names[step.table], rule: step.rule })),
    toSqlTimestamp(now),
    toSqlTimestamp(new Date(now.getTime() - ttls.sessionTtlMs)),
  );
  let row: Record<string, number> | undefined;
  try {
    row = (await conn.query<Record<string, number>>(query.text, query.params)).rows[0];
  } catch (error) {
    throw storageError('count of what a sweep removes', error);
  }
  steps.forEach((step, i) => {
    counts[step.field] = row?.[`c${i}`] ?? 0;
  });
  return counts;
}
