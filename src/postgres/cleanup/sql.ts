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

/**
 * The sweep's rule for every table but events: a live row whose own expires_at has passed at
 * `now` (a parameter reference). The sweep and its preview both select by it.
 */
const expiredRow = (now: string) =>
  `expires_at IS NOT NULL AND expires_at <= ${now}::timestamp AND deleted_at IS NULL`;

/**
 * Up to `limit` live rows of a table whose own `expires_at` has passed. No cursor is needed: a
 * changed row leaves the set, so the next batch finds the next rows.
 */
export function sweepExpiredRows(mode: SweepMode, table: string, now: string, limit: number): SqlQuery {
  const pick = `SELECT id FROM ${table} WHERE ${expiredRow('$1')} LIMIT $2 FOR UPDATE SKIP LOCKED`;
  return { text: change(mode, table, pick), params: [now, limit] };
}

/**
 * trpc-agent-go's rule for events, which carry no expires_at: the sessions (grouped by key) whose
 * newest live event was updated at or before `cutoff` (a parameter reference, the pass's now
 * minus the session TTL). Every live event of such a session is older still, so the sweep takes
 * them all. `cursor` narrows the rows grouped.
 *
 * At or before, not before: an append writes the session's expires_at as its updated_at plus the
 * TTL, so a session row is expired (expires_at <= now) exactly when its newest event is at or
 * before the cutoff. With `<`, a pass at the very instant a session expired took the session row
 * and left its events to a later pass, under another deleted_at, and a restore brought back the
 * session without them.
 */
const staleEventGroups = (events: string, cutoff: string, cursor = '') =>
  `FROM ${events} WHERE deleted_at IS NULL ${cursor}
      GROUP BY app_name, user_id, session_id
      HAVING max(updated_at) <= ${cutoff}::timestamp`;

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
    text: `SELECT app_name, user_id, session_id ${staleEventGroups(events, '$1', cursor)}
      ORDER BY app_name, user_id, session_id
      LIMIT $2`,
    params: after === null ? [cutoff, limit] : [cutoff, limit, ...after],
  };
}

/**
 * Up to `limit` live events of the given session keys that were updated at or before `cutoff`
 * (see staleEventGroups). The keys
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
      WHERE e.deleted_at IS NULL AND e.updated_at <= $2::timestamp
      LIMIT $3 FOR UPDATE OF e SKIP LOCKED`;
  // Only the soft form writes `now`: an unused parameter would have no type, which the server refuses.
  return mode === 'soft'
    ? { text: change(mode, events, pick, '$4'), params: [json, cutoff, limit, now] }
    : { text: change(mode, events, pick), params: [json, cutoff, limit] };
}

/**
 * What one pass would change, one count per step, by the rules the pass itself selects with:
 * the live rows of a table that are expired at `now` (`expired`), or the live events of the
 * sessions whose newest event is at or before `cutoff` (`stale`). One statement, one snapshot;
 * count `i` is column `c<i>`.
 */
export function countSweepRows(
  steps: readonly { table: string; rule: 'expired' | 'stale' }[],
  now: string,
  cutoff: string,
): SqlQuery {
  // Only the parameters a statement uses are sent: an unused one would have no type.
  const params: string[] = [];
  const param = (value: string) => {
    const at = params.indexOf(value);
    if (at >= 0) return `$${at + 1}`;
    params.push(value);
    return `$${params.length}`;
  };
  const counts = steps.map(({ table, rule }) =>
    rule === 'expired'
      ? `(SELECT count(*) FROM ${table} WHERE ${expiredRow(param(now))})`
      : `(SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n ${staleEventGroups(table, param(cutoff))}) g)`,
  );
  const columns = counts.length ? counts.map((count, i) => `${count}::int AS c${i}`).join(', ') : '1 AS none';
  return { text: `SELECT ${columns}`, params };
}

/**
 * Up to `limit` rows, after the cursor by id, soft-deleted before `olderThan`. There is no index
 * on deleted_at; walking the primary key with a cursor reads the table once per purge. For the
 * app and user state tables, whose rows stand alone.
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

/**
 * A batch of a purge of removals: the rows each table lost, the rows the batch walked (`picked`;
 * the sessions, when it walked the session table) and the highest id among them (the cursor).
 */
export interface PurgeBatchRow {
  last: string | null;
  picked?: number;
  sessions: number;
  events: number;
  summaries: number;
  trackEvents: number;
}

/** Rows of `table` of the key of `g`, deleted at exactly `g.deleted_at`: one removal's rows. */
const sameRemoval = (alias: string, g: string) =>
  `${alias}.app_name = ${g}.app_name AND ${alias}.user_id = ${g}.user_id AND ${alias}.session_id = ${g}.session_id
        AND ${alias}.deleted_at = ${g}.deleted_at`;

/**
 * Deletes, in one statement, whole removals (`doomed`: rows of key and deleted_at) from the
 * event, summary and track-event tables, and the session rows `sessionIds` names; counts per
 * table, and `last` (the cursor) from `cursorOf`.
 */
function deleteRemovals(tables: SqlTableNames, doomed: string, sessionIds: string, cursorOf: string): string {
  const from = (table: string) =>
    `DELETE FROM ${table} r USING ${doomed} g WHERE ${sameRemoval('r', 'g')} RETURNING r.id`;
  return `events AS (${from(tables.sessionEvents)}),
      summaries AS (${from(tables.sessionSummaries)}),
      tracks AS (${from(tables.sessionTrackEvents)}),
      sessions AS (DELETE FROM ${tables.sessionStates} WHERE id IN (${sessionIds}) RETURNING id)
    SELECT (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM events)::int AS events,
      (SELECT count(*) FROM summaries)::int AS summaries, (SELECT count(*) FROM tracks)::int AS "trackEvents",
      ${cursorOf}`;
}

/**
 * Up to `limit` soft-deleted sessions (after the cursor by id, deleted before `olderThan`), each
 * with the events, summaries and track events its delete removed (those of its key carrying its
 * deleted_at), in one statement. The session rows are locked first, with SKIP LOCKED: restore
 * locks the row it brings back, so a purge and a restore of one session serialize, and a
 * session is either all gone or (restored, or left to the next purge) all there; a purge that
 * went table by table let a restore in between bring back a session without its events.
 */
export function purgeDeletedSessions(
  tables: SqlTableNames,
  olderThan: string,
  after: string,
  limit: number,
): SqlQuery {
  return {
    text: `WITH doomed AS (
        SELECT id, app_name, user_id, session_id, deleted_at FROM ${tables.sessionStates}
        WHERE id > $2::bigint AND deleted_at IS NOT NULL AND deleted_at < $1::timestamp
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
      ${deleteRemovals(tables, 'doomed', 'SELECT id FROM doomed', '(SELECT max(id) FROM sessions)::text AS last')}`,
    params: [olderThan, after, limit],
  };
}

/**
 * Rows of one of the event, summary and track-event tables (`table`) that no soft-deleted session
 * row claims (no session row of their key carries their deleted_at): what a sweep took from a
 * session that stayed live, or rows whose session row is gone. Up to `limit` of them after the
 * cursor by id pick the removals (key and deleted_at) to delete, and each removal goes whole, in
 * all three tables, in one statement. A restore of a live session locks its row and brings back
 * its latest removal; the purge locks that row too (SKIP LOCKED: a removal whose live session is
 * held waits for the next purge), so the restore finds such a removal all there or all gone.
 */
export function purgeDeletedRemovals(
  tables: SqlTableNames,
  table: string,
  olderThan: string,
  after: string,
  limit: number,
): SqlQuery {
  const s = tables.sessionStates;
  const ofKey = (alias: string, g: string) =>
    `${alias}.app_name = ${g}.app_name AND ${alias}.user_id = ${g}.user_id AND ${alias}.session_id = ${g}.session_id`;
  return {
    text: `WITH picked AS (
        SELECT id, app_name, user_id, session_id, deleted_at FROM ${table} r
        WHERE id > $2::bigint AND deleted_at IS NOT NULL AND deleted_at < $1::timestamp
          AND NOT EXISTS (SELECT 1 FROM ${s} s WHERE ${sameRemoval('s', 'r')})
        ORDER BY id LIMIT $3),
      removals AS (SELECT DISTINCT app_name, user_id, session_id, deleted_at FROM picked),
      held AS (
        SELECT s.app_name, s.user_id, s.session_id FROM ${s} s JOIN removals g ON ${ofKey('s', 'g')}
        WHERE s.deleted_at IS NULL FOR UPDATE OF s SKIP LOCKED),
      doomed AS (
        SELECT g.* FROM removals g
        WHERE EXISTS (SELECT 1 FROM held h WHERE ${ofKey('h', 'g')})
          OR NOT EXISTS (SELECT 1 FROM ${s} s WHERE ${ofKey('s', 'g')} AND s.deleted_at IS NULL)),
      ${deleteRemovals(tables, 'doomed', 'SELECT NULL::bigint WHERE false', '(SELECT count(*) FROM picked)::int AS picked, (SELECT max(id) FROM picked)::text AS last')}`,
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

/** The live row of the session key, if any, with its created_at as text; locked until commit. */
export function selectLiveSession(sessions: string, key: readonly [string, string, string]): SqlQuery {
  return {
    text: `SELECT created_at::text AS created_at FROM ${sessions}
      WHERE ${KEY} AND deleted_at IS NULL LIMIT 1 FOR UPDATE`,
    params: [...key],
  };
}

/**
 * The deleted_at of the latest removal (or of exactly `deletedAt`) of events, summaries or track
 * events of the live session created at `createdAt`: rows soft-deleted after the session was
 * created, by a removal that took no session row with them (a sweep taking them for their age
 * while the session stayed). An earlier incarnation's rows went with its session row, or when
 * the live session was created.
 */
export function selectDeletedOfLive(
  tables: SqlTableNames,
  key: readonly [string, string, string],
  createdAt: string,
  deletedAt?: string,
): SqlQuery {
  const exact = deletedAt === undefined ? '' : ' AND deleted_at = $5::timestamp';
  const from = (table: string) =>
    `SELECT deleted_at FROM ${table} d WHERE ${KEY} AND deleted_at > $4::timestamp${exact}
      AND NOT EXISTS (SELECT 1 FROM ${tables.sessionStates} s
        WHERE s.app_name = d.app_name AND s.user_id = d.user_id AND s.session_id = d.session_id
          AND s.deleted_at = d.deleted_at)`;
  return {
    text: `SELECT max(deleted_at)::text AS deleted_at FROM (
      ${from(tables.sessionEvents)} UNION ALL ${from(tables.sessionSummaries)} UNION ALL ${from(tables.sessionTrackEvents)}
    ) d`,
    params: deletedAt === undefined ? [...key, createdAt] : [...key, createdAt, deletedAt],
  };
}

/**
 * What makes a soft-deleted row (`r`) the same as a live one (`l`) of its session: an event of
 * the same id, a track event of the same track and document, a summary of the same filter key.
 */
export type SameRow = 'event id' | 'track event' | 'filter key';

const SAME_ROW: Record<SameRow, string> = {
  'event id': `l.event->>'id' = r.event->>'id'`,
  'track event': 'l.track = r.track AND l.event = r.event',
  'filter key': 'l.filter_key = r.filter_key',
};

/**
 * Clears deleted_at on the key's rows that were deleted at exactly `deletedAt`. With `same`, a
 * row the live session already holds again stays deleted: an import after a sweep, say, wrote
 * the swept events anew, and bringing the old copies back too would show each one twice.
 */
export function undeleteRows(
  table: string,
  key: readonly [string, string, string],
  deletedAt: string,
  same?: SameRow,
): SqlQuery {
  const held = same
    ? `\n  AND NOT EXISTS (SELECT 1 FROM ${table} l WHERE l.app_name = $1 AND l.user_id = $2 AND l.session_id = $3
    AND l.deleted_at IS NULL AND ${SAME_ROW[same]})`
    : '';
  return {
    text: `UPDATE ${table} r SET deleted_at = NULL
WHERE r.app_name = $1 AND r.user_id = $2 AND r.session_id = $3 AND r.deleted_at = $4::timestamp${held}`,
    params: [...key, deletedAt],
  };
}
