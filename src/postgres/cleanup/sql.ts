/**
 * The statements of the TTL sweep, the purge of soft-deleted rows and the restore of a deleted
 * session, as small functions of a table name. Table names come from `tableNames()` and are
 * already validated and quoted; every value is a parameter.
 *
 * Every statement that changes rows picks them with `WHERE id IN (SELECT id … LIMIT n FOR UPDATE
 * SKIP LOCKED)`: it touches at most `n` rows, commits on its own, and steps over rows an
 * application transaction holds instead of waiting for them. So a sweep never holds many locks,
 * never holds them for long, and never stalls behind (or stalls) a request.
 */

import type { TableKey, TableNames } from '../schema/index.js';

/** The SQL-ready (quoted, schema-qualified) name of each table. */
export type SqlTableNames = Readonly<Record<TableKey, string>>;

/** Picks each table's SQL-ready name out of {@link TableNames}, once per call of the module. */
export function sqlTableNames(tables: TableNames): SqlTableNames {
  return {
    sessionStates: tables.sessionStates.qualified,
    sessionEvents: tables.sessionEvents.qualified,
    sessionTrackEvents: tables.sessionTrackEvents.qualified,
    sessionSummaries: tables.sessionSummaries.qualified,
    appStates: tables.appStates.qualified,
    userStates: tables.userStates.qualified,
  };
}

/** A statement and its parameters. */
export interface SqlQuery {
  text: string;
  params: unknown[];
}

/** How an expired row goes: `soft` sets deleted_at, `hard` deletes it. */
export type SweepMode = 'soft' | 'hard';

/** Rows changed by one batch, and the highest id among them (the cursor of the next batch). */
export interface BatchRow {
  count: number;
  last: string | null;
}

/**
 * Wraps "pick the ids" into the change itself and counts what changed in the same round trip.
 * `now` names the parameter the soft form writes into deleted_at.
 */
function change(mode: SweepMode, table: string, pick: string, now = '$1'): string {
  const action =
    mode === 'soft'
      ? `UPDATE ${table} SET deleted_at = ${now}::timestamp WHERE id IN (${pick}) RETURNING id`
      : `DELETE FROM ${table} WHERE id IN (${pick}) RETURNING id`;
  return `WITH changed AS (${action}) SELECT count(*)::int AS count, max(id)::text AS last FROM changed`;
}

const EXPIRED = 'expires_at IS NOT NULL AND expires_at <= $1::timestamp AND deleted_at IS NULL';

/**
 * Up to `limit` live rows of a table whose own `expires_at` has passed. No cursor is needed: a
 * changed row leaves the set, so the next batch finds the next rows.
 */
export function sweepExpiredRows(mode: SweepMode, table: string, now: string, limit: number): SqlQuery {
  const pick = `SELECT id FROM ${table} WHERE ${EXPIRED} LIMIT $2 FOR UPDATE SKIP LOCKED`;
  return { text: change(mode, table, pick), params: [now, limit] };
}

/**
 * The next `limit` expired live sessions after the cursor, by id. Only ids: the rows are changed
 * by {@link sweepSessionsByIds} after their dependents, and re-checked there.
 */
export function selectExpiredSessionIds(
  sessions: string,
  now: string,
  after: string,
  limit: number,
): SqlQuery {
  return {
    // Plain `id`: BIGINT already comes back as text, and an `id::text AS id` alias would make
    // ORDER BY sort the ids as text ('10' before '2'), so the cursor would skip sessions.
    text: `SELECT id FROM ${sessions}
      WHERE ${EXPIRED} AND id > $2::bigint ORDER BY id LIMIT $3`,
    params: [now, after, limit],
  };
}

/** PostgreSQL's text form of a bigint array: ids are digits, so no quoting is needed. */
export function bigintArray(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}

/**
 * Up to `limit` live rows of a dependent table (events, summaries, track events) that belong to
 * the given session rows, as long as those sessions are still expired and live.
 *
 * The re-check, and the shared lock on the session row skipped when an application transaction
 * holds it, leave alone a session that a write is reviving right now (trpc-agent-go lets a write
 * to an expired, not yet swept session extend it).
 */
export function sweepDependentsOfSessions(
  mode: SweepMode,
  table: string,
  sessions: string,
  now: string,
  sessionIds: readonly string[],
  limit: number,
): SqlQuery {
  const pick = `SELECT d.id FROM ${table} d
      JOIN ${sessions} s
        ON s.app_name = d.app_name AND s.user_id = d.user_id AND s.session_id = d.session_id
      WHERE s.id = ANY($2::bigint[])
        AND s.expires_at IS NOT NULL AND s.expires_at <= $1::timestamp AND s.deleted_at IS NULL
        AND d.deleted_at IS NULL
      LIMIT $3 FOR UPDATE OF d SKIP LOCKED FOR SHARE OF s SKIP LOCKED`;
  return { text: change(mode, table, pick), params: [now, bigintArray(sessionIds), limit] };
}

/**
 * The given session rows that are still expired and live and have no live events, summaries or
 * track events left (at most as many rows as ids given). A session whose dependents were not all
 * swept (one was locked, or the pass stopped) stays expired, and the next pass finishes it: no
 * live rows of a deleted session are left behind to reappear under a new session with its key.
 */
export function sweepSessionsByIds(
  mode: SweepMode,
  tables: SqlTableNames,
  now: string,
  sessionIds: readonly string[],
): SqlQuery {
  const none = (table: string) => `NOT EXISTS (SELECT 1 FROM ${table} d
          WHERE d.app_name = s.app_name AND d.user_id = s.user_id AND d.session_id = s.session_id
            AND d.deleted_at IS NULL)`;
  const pick = `SELECT s.id FROM ${tables.sessionStates} s
      WHERE s.id = ANY($2::bigint[])
        AND s.expires_at IS NOT NULL AND s.expires_at <= $1::timestamp AND s.deleted_at IS NULL
        AND ${none(tables.sessionEvents)}
        AND ${none(tables.sessionSummaries)}
        AND ${none(tables.sessionTrackEvents)}
      FOR UPDATE OF s SKIP LOCKED`;
  return { text: change(mode, tables.sessionStates, pick), params: [now, bigintArray(sessionIds)] };
}

/** A session's key columns, in index order: app_name, user_id, session_id. */
export type KeyTuple = readonly [string, string, string];

/**
 * The next `limit` session keys, in key order after `after`, whose newest live event was updated
 * before `cutoff`: trpc-agent-go's expiry of events, which carry no expires_at of their own.
 *
 * Grouping in key order with a key cursor lets the server walk the (app_name, user_id,
 * session_id, created_at) lookup index and stop after `limit` groups, and one pass reads the
 * table once; trpc-agent-go instead reads every session's newest event into memory and sends the
 * stale keys back as one IN list.
 */
export function selectStaleEventSessions(
  events: string,
  cutoff: string,
  after: KeyTuple | null,
  limit: number,
): SqlQuery {
  const cursor = after === null ? '' : 'AND (app_name, user_id, session_id) > ($3, $4, $5)';
  return {
    text: `SELECT app_name, user_id, session_id FROM ${events}
      WHERE deleted_at IS NULL ${cursor}
      GROUP BY app_name, user_id, session_id
      HAVING max(updated_at) < $1::timestamp
      ORDER BY app_name, user_id, session_id
      LIMIT $2`,
    params: after === null ? [cutoff, limit] : [cutoff, limit, ...after],
  };
}

/**
 * Up to `limit` live events of the given session keys that were updated before `cutoff`. The keys
 * travel as one JSON parameter, so any text is safe in them. The `updated_at` condition keeps an
 * event appended after the keys were picked.
 */
export function sweepEventsOfSessions(
  mode: SweepMode,
  events: string,
  now: string,
  cutoff: string,
  keys: readonly KeyTuple[],
  limit: number,
): SqlQuery {
  const json = JSON.stringify(keys.map(([a, u, s]) => ({ a, u, s })));
  const pick = `SELECT e.id FROM ${events} e
      JOIN json_to_recordset($1::json) AS k(a text, u text, s text)
        ON e.app_name = k.a AND e.user_id = k.u AND e.session_id = k.s
      WHERE e.deleted_at IS NULL AND e.updated_at < $2::timestamp
      LIMIT $3 FOR UPDATE OF e SKIP LOCKED`;
  // Only the soft form writes `now`: an unused parameter would have no type, which the server refuses.
  return mode === 'soft'
    ? { text: change(mode, events, pick, '$4'), params: [json, cutoff, limit, now] }
    : { text: change(mode, events, pick), params: [json, cutoff, limit] };
}

/**
 * Up to `limit` rows, after the cursor by id, soft-deleted before `olderThan`. There is no index
 * on deleted_at; walking the primary key with a cursor reads the table once per purge.
 */
export function purgeDeletedRows(table: string, olderThan: string, after: string, limit: number): SqlQuery {
  return {
    text: `WITH changed AS (
        DELETE FROM ${table} WHERE id IN (
          SELECT id FROM ${table}
          WHERE id > $2::bigint AND deleted_at IS NOT NULL AND deleted_at < $1::timestamp
          ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id)
      SELECT count(*)::int AS count, max(id)::text AS last FROM changed`,
    params: [olderThan, after, limit],
  };
}

const KEY = 'app_name = $1 AND user_id = $2 AND session_id = $3';

/**
 * The deleted_at of the most recently soft-deleted incarnation of a session key (or of exactly
 * `deletedAt`), as text so it is compared back without any loss of precision; the row is locked
 * until the restore commits.
 */
export function selectDeletedIncarnation(
  sessions: string,
  key: readonly [string, string, string],
  deletedAt?: string,
): SqlQuery {
  const exact = deletedAt === undefined ? '' : ' AND deleted_at = $4::timestamp';
  return {
    text: `SELECT deleted_at::text AS deleted_at FROM ${sessions}
      WHERE ${KEY} AND deleted_at IS NOT NULL${exact}
      ORDER BY deleted_at DESC, id DESC LIMIT 1 FOR UPDATE`,
    params: deletedAt === undefined ? [...key] : [...key, deletedAt],
  };
}

/** Whether a live row of the session key exists. */
export function selectLiveSession(sessions: string, key: readonly [string, string, string]): SqlQuery {
  return {
    text: `SELECT 1 AS live FROM ${sessions} WHERE ${KEY} AND deleted_at IS NULL LIMIT 1`,
    params: [...key],
  };
}

/** Clears deleted_at on the key's rows that were deleted at exactly `deletedAt`. */
export function undeleteRows(
  table: string,
  key: readonly [string, string, string],
  deletedAt: string,
): SqlQuery {
  return {
    text: `UPDATE ${table} SET deleted_at = NULL WHERE ${KEY} AND deleted_at = $4::timestamp`,
    params: [...key, deletedAt],
  };
}
