/**
 * The raw-SQL floor: for each workload, the fewest statements plain `pg` (or PGlite called
 * directly) needs for the same durable result on the same tables. It is handed event JSON that
 * is already encoded, and returns rows as the driver gives them (event JSON as text, unparsed).
 *
 * What the floor does not do, and our service does: validate keys and events, encode the event
 * as Go writes it, merge the event's state delta into the session row and move its updated_at
 * and expires_at (append); decode Go JSON into Event objects, apply the user-message anchor,
 * merge app and user state, read summaries and tracks (reads).
 */

import type { TableNames } from '../src/postgres/schema/index.js';
import { encodeSessionState } from '../src/session/codec/index.js';
import type { SessionKey, UserKey } from '../src/session/keys.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../src/session/time.js';
import type { RawDb } from './backends.js';

/** One INSERT into session_events: the append floor (sync and async alike). */
export function floorAppend(db: RawDb, t: TableNames, key: SessionKey, eventJson: string): Promise<unknown> {
  const now = toSqlTimestamp(new Date());
  return db.query(
    `INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
    [key.appName, key.userId, key.sessionId, eventJson, now],
  );
}

/** A session row for {@link floorAppendWithSessionUpdate}, inserted as plain SQL. */
export async function floorCreateSession(db: RawDb, t: TableNames, key: SessionKey): Promise<void> {
  const now = new Date();
  const envelope = encodeSessionState({ id: key.sessionId, state: {}, createdAt: now, updatedAt: now });
  await db.query(
    `INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
    [key.appName, key.userId, key.sessionId, envelope, toSqlTimestamp(now)],
  );
}

/**
 * The least an append must do on Go's tables, in one statement: besides the INSERT, move the
 * session row's updated_at and expires_at and rewrite its envelope's `updatedAt`, as Go's
 * addEvent does (in a transaction of three statements). Compared with ours, this says how much
 * of the distance to {@link floorAppend} is that update, which Go's readers rely on.
 */
export function floorAppendWithSessionUpdate(
  db: RawDb,
  t: TableNames,
  key: SessionKey,
  eventJson: string,
): Promise<unknown> {
  const now = new Date();
  return db.query(
    `WITH s AS (
  UPDATE ${t.sessionStates.qualified}
  SET state = jsonb_set(state, '{updatedAt}', to_jsonb($5::text)), updated_at = $4, expires_at = NULL
  WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL
  RETURNING 1
)
INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
SELECT $1, $2, $3, $6, $4, $4 FROM s`,
    [key.appName, key.userId, key.sessionId, toSqlTimestamp(now), formatRfc3339Nano(now), eventJson],
  );
}

/** One SELECT of the newest `limit` live events' JSON: the getSession floor. */
export async function floorRead(
  db: RawDb,
  t: TableNames,
  key: SessionKey,
  limit: number,
): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT event::text AS event FROM ${t.sessionEvents.qualified}
WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL
ORDER BY created_at DESC, id DESC LIMIT $4`,
    [key.appName, key.userId, key.sessionId, limit],
  );
  return rows;
}

/** The user's sessions that are neither deleted nor expired ($1 app, $2 user, $3 now). */
const LIVE_SESSIONS = `s.app_name = $1 AND s.user_id = $2 AND s.deleted_at IS NULL
  AND (s.expires_at IS NULL OR s.expires_at > $3)`;

/** One SELECT of the user's live session rows, newest first: the listSessions(onlyMeta) floor. */
export async function floorList(db: RawDb, t: TableNames, user: UserKey): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT s.session_id, s.state::text AS state, s.created_at, s.updated_at FROM ${t.sessionStates.qualified} s
WHERE ${LIVE_SESSIONS}
ORDER BY s.updated_at DESC, s.session_id DESC`,
    [user.appName, user.userId, toSqlTimestamp(new Date())],
  );
  return rows;
}

/** The same, with each session's newest `events` live events by a LATERAL join. */
export async function floorListWithEvents(
  db: RawDb,
  t: TableNames,
  user: UserKey,
  events: number,
): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT s.session_id, s.state::text AS state, s.created_at, s.updated_at, e.event
FROM ${t.sessionStates.qualified} s
LEFT JOIN LATERAL (
  SELECT x.event::text AS event FROM ${t.sessionEvents.qualified} x
  WHERE x.app_name = s.app_name AND x.user_id = s.user_id AND x.session_id = s.session_id AND x.deleted_at IS NULL
  ORDER BY x.created_at DESC, x.id DESC LIMIT $4
) e ON true
WHERE ${LIVE_SESSIONS}
ORDER BY s.updated_at DESC, s.session_id DESC`,
    [user.appName, user.userId, toSqlTimestamp(new Date()), events],
  );
  return rows;
}
