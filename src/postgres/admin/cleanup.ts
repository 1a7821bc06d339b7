/**
 * Removing and bringing back data: a TTL sweep now (with a report), counts of what a sweep or a
 * purge would reach, the purge of old soft-deleted rows, and the restore of a soft-deleted
 * session. The work is the sweeper's, purge's and restore's of `postgres/cleanup/`: the same
 * statements a service runs, under the same advisory lock.
 */
import type { SessionKey } from '../../session/keys.js';
import type { SweepCounts, SweepReport } from '../../session/observers.js';
import {
  type PurgeOptions,
  purgeSoftDeleted,
  type RestoreCounts,
  type RestoreOptions,
  restoreSession,
} from '../cleanup/sweeper.js';
import { PostgresSessionService } from '../service.js';
import { nowArg, requiredTime } from './arguments.js';
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
}

/**
 * Runs one TTL sweep now through a service's own sweeper (same rules, same advisory lock: it
 * never runs at the same time as a service's sweep of these tables). `ran` is false when another
 * process held the lock. Creates nothing: the tables must exist.
 */
export async function sweepNow(db: AdminDatabase, options: SweepOptions): Promise<SweepReport> {
  const service = new PostgresSessionService({
    client: db.client,
    schema: db.tables.schema,
    tablePrefix: db.tables.prefix,
    skipDbInit: true,
    softDelete: !options.hard,
    sessionTtlMs: options.sessionTtlMs,
    appStateTtlMs: options.appStateTtlMs,
    userStateTtlMs: options.userStateTtlMs,
    trackEventTtlMs: options.trackEventTtlMs,
  });
  try {
    return await service.sweepNow();
  } finally {
    await service.close();
  }
}

/**
 * Rows a sweep with these TTLs will reach that can be counted up front: live rows past their
 * expires_at at `now` (and the events of expired sessions). Events swept for their age alone are
 * not in it: this is an estimate for a progress bar, not a dry run.
 */
export async function countExpired(
  db: AdminDatabase,
  options: SweepOptions,
  now = new Date(),
): Promise<number> {
  const t = db.tables;
  const parts: string[] = [];
  const expired = (table: string) =>
    `(SELECT count(*) FROM ${table} WHERE deleted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1::timestamp)`;
  if (options.sessionTtlMs) {
    parts.push(expired(t.sessionStates.qualified), expired(t.sessionSummaries.qualified));
    parts.push(`(SELECT count(*) FROM ${t.sessionEvents.qualified} e JOIN ${t.sessionStates.qualified} s
      ON s.app_name = e.app_name AND s.user_id = e.user_id AND s.session_id = e.session_id
      WHERE e.deleted_at IS NULL AND s.deleted_at IS NULL AND s.expires_at <= $1::timestamp)`);
  }
  if (options.sessionTtlMs || options.trackEventTtlMs) parts.push(expired(t.sessionTrackEvents.qualified));
  if (options.appStateTtlMs) parts.push(expired(t.appStates.qualified));
  if (options.userStateTtlMs) parts.push(expired(t.userStates.qualified));
  if (parts.length === 0) return 0;
  const { rows } = await db.client.query<{ n: number }>(`SELECT (${parts.join(' + ')})::int AS n`, [
    nowArg({ now }),
  ]);
  return rows[0]?.n ?? 0;
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
export function purge(db: AdminDatabase, options: PurgeOptions): Promise<SweepReport> {
  return purgeSoftDeleted(db.client, db.tables, options);
}

/**
 * Undoes a soft delete: the most recently deleted session of `key` (or the one deleted at
 * `options.deletedAt`) comes back with the events, summaries and track events its delete removed.
 *
 * @throws NOT_FOUND when there is no such soft-deleted session; CONFLICT when a live session
 *   with the key exists.
 */
export function restore(
  db: AdminDatabase,
  key: SessionKey,
  options: RestoreOptions = {},
): Promise<RestoreCounts> {
  return restoreSession(db.client, db.tables, key, options);
}
