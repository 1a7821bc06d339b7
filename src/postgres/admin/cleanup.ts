/**
 * Removing and bringing back data: a TTL sweep now (with a report), counts of what a sweep or a
 * purge would reach, the purge of old soft-deleted rows, and the restore of a soft-deleted
 * session. The work is the sweeper's, purge's and restore's of `postgres/cleanup/`: the same
 * statements a service runs, under the same advisory lock.
 */
import type { SessionKey } from '../../session/keys.js';
import type { SweepCounts, SweepReport } from '../../session/observers.js';
import { checkTimeOption } from '../../session/options.js';
import {
  type PurgeOptions,
  purgeSoftDeleted,
  type RestoreCounts,
  type RestoreOptions,
  restoreSession,
} from '../cleanup/sweeper.js';
import { PostgresSessionService } from '../service.js';
import { optionsArg, requiredTime } from './arguments.js';
import type { AdminDatabase } from './database.js';

export type { PurgeOptions, RestoreCounts, RestoreOptions };

/** The TTLs of one sweep, as a service is configured with them; an absent or 0 TTL leaves its tables alone. */
export interface SweepOptions {
  sessionTtlMs?: number | undefined;
  appStateTtlMs?: number | undefined;
  userStateTtlMs?: number | undefined;
  /** Track events; absent: the session TTL, as a service does. */
  trackEventTtlMs?: number | undefined;
  /** Delete rows outright instead of setting deleted_at. */
  hard?: boolean | undefined;
  /** The time expiry is judged at (default: the current time). */
  now?: Date | undefined;
}

/** A service over the admin's tables that sweeps with these options and nothing else. */
function sweepService(db: AdminDatabase, options: SweepOptions): PostgresSessionService {
  const now = options.now;
  checkTimeOption('now', now);
  return new PostgresSessionService({
    client: db.client,
    schema: db.tables.schema,
    tablePrefix: db.tables.prefix,
    skipDbInit: true,
    softDelete: !options.hard,
    sessionTtlMs: options.sessionTtlMs,
    appStateTtlMs: options.appStateTtlMs,
    userStateTtlMs: options.userStateTtlMs,
    trackEventTtlMs: options.trackEventTtlMs,
    ...(now === undefined ? {} : { clock: { now: () => new Date(now.getTime()) } }),
  });
}

/**
 * Runs one TTL sweep now through a service's own sweeper (same rules, same advisory lock: it
 * never runs at the same time as a service's sweep of these tables). `ran` is false when another
 * process held the lock. Creates nothing: the tables must exist.
 */
export async function sweepNow(db: AdminDatabase, options: SweepOptions): Promise<SweepReport> {
  options = optionsArg('options', options);
  const service = sweepService(db, options);
  try {
    return await service.sweepNow();
  } finally {
    await service.close();
  }
}

/**
 * What {@link sweepNow} with the same options would remove, per table, changing nothing: the
 * rows the sweep selects, counted by the sweep's own rules (each table by its own, as
 * trpc-agent-go's cleanup). With no writes in between and the same `now`, the sweep then
 * removes exactly these rows. The TTLs resolve as a service's do (absent is 0; track events
 * default to the session TTL).
 */
export async function countSweepable(db: AdminDatabase, options: SweepOptions): Promise<SweepCounts> {
  options = optionsArg('options', options);
  const service = sweepService(db, options);
  try {
    return await service.countSweepable();
  } finally {
    await service.close();
  }
}

/**
 * How many rows a sweep with these TTLs will remove at `now`, in all tables: the total of
 * {@link countSweepable} (for a progress bar).
 */
export async function countExpired(
  db: AdminDatabase,
  options: SweepOptions,
  now: Date | undefined = options.now,
): Promise<number> {
  const counts = await countSweepable(db, { ...options, now });
  return Object.values(counts).reduce((sum: number, n: number) => sum + n, 0);
}

/** Rows soft-deleted before `olderThan`, per table: exactly what {@link purge} deletes. */
export async function countPurgeable(db: AdminDatabase, olderThan: Date): Promise<SweepCounts> {
  const t = db.tables;
  const count = (table: string) =>
    `(SELECT count(*)::int FROM ${table} WHERE deleted_at IS NOT NULL AND deleted_at < $1::timestamp)`;
  const { rows } = await db.client.query<SweepCounts>(
    `SELECT ${count(t.sessionStates.qualified)} AS "sessions", ${count(t.sessionEvents.qualified)} AS "events",
       ${count(t.sessionSummaries.qualified)} AS "summaries", ${count(t.sessionTrackEvents.qualified)} AS "trackEvents",
       ${count(t.appStates.qualified)} AS "appStates", ${count(t.userStates.qualified)} AS "userStates"`,
    [requiredTime('olderThan', olderThan)],
  );
  return rows[0]!;
}

/**
 * Deletes for good, in all six tables, the rows soft-deleted before `options.olderThan`, in
 * batches that each commit on their own (so it can run next to live traffic). Live rows are
 * never touched.
 */
export async function purge(db: AdminDatabase, options: PurgeOptions): Promise<SweepReport> {
  options = optionsArg('options', options);
  return purgeSoftDeleted(db.client, db.tables, options);
}

/**
 * Undoes a soft delete: the most recently deleted session of `key` (or the one deleted at
 * `options.deletedAt`) comes back with the events, summaries and track events its delete removed.
 *
 * @throws NOT_FOUND when there is no such soft-deleted session; CONFLICT when a live session
 *   with the key exists.
 */
export async function restore(
  db: AdminDatabase,
  key: SessionKey,
  options: RestoreOptions = {},
): Promise<RestoreCounts> {
  options = optionsArg('options', options);
  return restoreSession(db.client, db.tables, key, options);
}
