/**
 * Statements on track events (session_track_events) and the session's `tracks` index.
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import { isLive, keyParams, matchesKey, Params, type SqlQuery, touchLiveSession } from './sql.js';

/**
 * Appends a track event in one statement, provided the session's stored `tracks` index (the
 * base64 text inside the envelope, or null when absent) is still `expectedIndex`: then `delta`
 * (the new index, or `{}` when the track is already listed) is merged, the session's
 * updated_at/expires_at move, and the track event row is inserted from the UPDATE's RETURNING.
 * No row returned: the session is missing, or its index changed since the caller read it (another
 * writer added a track) — the caller then reads the index under a row lock and retries.
 *
 * The row's created_at and updated_at are the track event's own timestamp, as Go writes them.
 */
export function appendTrackEvent(
  t: TableNames,
  a: {
    key: SessionKey;
    expectedIndex: string | null;
    delta: string;
    track: string;
    event: string;
    timestamp: string;
    now: string;
    updatedAtJson: string;
    sessionExpiresAt: string | null;
    trackExpiresAt: string | null;
  },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const text = `WITH updated AS (
  ${touchLiveSession(
    t,
    p,
    k,
    now,
    { delta: p.add(a.delta, 'jsonb'), updatedAtJson: a.updatedAtJson, expiresAt: a.sessionExpiresAt },
    // Compare-and-swap on the tracks index: a concurrent writer of another track got in first.
    `(state #>> '{state,tracks}') IS NOT DISTINCT FROM ${p.add(a.expectedIndex, 'text')}`,
  )}
  RETURNING 1
), inserted AS (
  INSERT INTO ${t.sessionTrackEvents.qualified}
    (app_name, user_id, session_id, track, event, created_at, updated_at, expires_at)
  SELECT ${k.app}, ${k.user}, ${k.session}, ${p.add(a.track, 'text')}, ${p.add(a.event, 'jsonb')},
    ${p.add(a.timestamp, 'timestamp')}, ${p.add(a.timestamp, 'timestamp')}, ${p.add(a.trackExpiresAt, 'timestamp')}
  FROM updated
  RETURNING 1
)
SELECT count(*)::int AS appended FROM updated`;
  return { text, params: p.values };
}

/** The stored `tracks` index of a live session, locking its row until the transaction ends. */
export function lockTrackIndex(t: TableNames, key: SessionKey): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const text = `SELECT state #>> '{state,tracks}' AS tracks FROM ${t.sessionStates.qualified}
WHERE ${matchesKey(k)} AND deleted_at IS NULL
FOR UPDATE`;
  return { text, params: p.values };
}

/** A row of {@link selectTrackEvents}. */
export interface TrackEventRow {
  body: string;
}

/**
 * The live events of one track, strictly after `after` when given, the newest `limit` (null:
 * all), oldest first. No session check, as in trpc-agent-go: a missing session has no events.
 */
export function selectTrackEvents(
  t: TableNames,
  a: { key: SessionKey; track: string; now: string; after: string | undefined; limit: number | null },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const after = a.after === undefined ? '' : ` AND created_at > ${p.add(a.after, 'timestamp')}`;
  const text = `SELECT body FROM (
  SELECT event::text AS body, created_at, id FROM ${t.sessionTrackEvents.qualified}
  WHERE ${matchesKey(k)} AND track = ${p.add(a.track, 'text')} AND ${isLive(p.add(a.now, 'timestamp'))}${after}
  ORDER BY created_at DESC, id DESC
  LIMIT ${p.add(a.limit, 'int')}
) newest
ORDER BY created_at, id`;
  return { text, params: p.values };
}
