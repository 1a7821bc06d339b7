/**
 * Statements on whole sessions: create, delete, and the merge of session state.
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import { isLive, keyParams, matchesKey, Params, type SqlQuery, touchLiveSession } from './sql.js';

/** How rows go: `soft` sets deleted_at (they stay, hidden), `hard` deletes them. */
export type DeleteMode = 'soft' | 'hard';

function remove(mode: DeleteMode, table: string, where: string, now: string): string {
  return mode === 'soft'
    ? `UPDATE ${table} SET deleted_at = ${now} WHERE ${where} AND deleted_at IS NULL`
    : `DELETE FROM ${table} WHERE ${where}`;
}

/**
 * Clears the way for a new session with this key, before {@link insertSession} in the same
 * transaction: removes a live session row whose TTL has passed, and, unless an unexpired live
 * session holds the key, every live event, summary and track event left under it (an expired or
 * deleted earlier session's, or rows whose session row a sweep already took). Without this, a new
 * session would show the old one's history. When an unexpired session holds the key nothing
 * changes, and the insert then reports the conflict.
 */
export function sweepBeforeCreate(t: TableNames, mode: DeleteMode, key: SessionKey, now: string): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const at = p.add(now, 'timestamp');
  const held = `NOT EXISTS (SELECT 1 FROM held)`;
  const removeChildren = (table: string) => remove(mode, table, `${matchesKey(k)} AND ${held}`, at);
  const text = `WITH held AS (
  SELECT 1 FROM ${t.sessionStates.qualified}
  WHERE ${matchesKey(k)} AND ${isLive(at)}
), expired AS (
  ${remove(mode, t.sessionStates.qualified, `${matchesKey(k)} AND expires_at IS NOT NULL AND expires_at <= ${at}`, at)}
  RETURNING 1
), events AS (
  ${removeChildren(t.sessionEvents.qualified)}
  RETURNING 1
), summaries AS (
  ${removeChildren(t.sessionSummaries.qualified)}
  RETURNING 1
), tracks AS (
  ${removeChildren(t.sessionTrackEvents.qualified)}
  RETURNING 1
)
SELECT (SELECT count(*) FROM expired)::int AS sessions, (SELECT count(*) FROM events)::int AS events`;
  return { text, params: p.values };
}

/** A row of {@link insertSession}: the `i` row when the session was inserted, then app and user state. */
export interface InsertSessionRow {
  kind: 'i' | 'a' | 'u';
  name: string | null;
  value: string | null;
}

/**
 * Inserts a session unless a live one holds the key, deciding the race in the database: of two
 * concurrent creates, the second waits on the partial unique index and then inserts nothing.
 * In the same round trip it reads the live app and user state the new session shows. No `i` row
 * means the key was taken.
 */
export function insertSession(
  t: TableNames,
  a: { key: SessionKey; envelope: string; now: string; expiresAt: string | null },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const text = `WITH inserted AS (
  INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at, expires_at)
  VALUES (${k.app}, ${k.user}, ${k.session}, ${p.add(a.envelope, 'jsonb')}, ${now}, ${now}, ${p.add(a.expiresAt, 'timestamp')})
  ON CONFLICT (app_name, user_id, session_id) WHERE deleted_at IS NULL DO NOTHING
  RETURNING 1
)
SELECT 'i' AS kind, NULL::text AS name, NULL::text AS value FROM inserted
UNION ALL
SELECT 'a', key, value FROM ${t.appStates.qualified}
WHERE app_name = ${k.app} AND ${isLive(now)} AND EXISTS (SELECT 1 FROM inserted)
UNION ALL
SELECT 'u', key, value FROM ${t.userStates.qualified}
WHERE app_name = ${k.app} AND user_id = ${k.user} AND ${isLive(now)} AND EXISTS (SELECT 1 FROM inserted)`;
  return { text, params: p.values };
}

/** The row of {@link lockLiveSession} with `withState`: the state envelope (JSON text, or null). */
export interface LockedStateRow {
  body: string | null;
}

/**
 * Locks the key's live session row until the transaction ends, the first statement of a delete
 * (see {@link deleteSession}), a pop or clear, and a replaceEvents. Every append, state write and
 * removal of the session takes this lock too, so what the transaction reads next cannot change
 * before it commits; no row means there is no such session. With `withState` it also returns the
 * session's state envelope (a {@link LockedStateRow}), which only replaceEvents needs.
 */
export function lockLiveSession(t: TableNames, key: SessionKey, withState = false): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const what = withState ? 'state::text AS body' : '1 AS locked';
  return {
    text: `SELECT ${what} FROM ${t.sessionStates.qualified} WHERE ${matchesKey(k)} AND deleted_at IS NULL FOR UPDATE`,
    params: p.values,
  };
}

/**
 * Deletes a session with its events, summaries and track events in one statement: data-modifying
 * CTEs run as one atomic statement, so a reader never sees the session half deleted.
 *
 * It must run after {@link lockLiveSession} in the same transaction. The statement reads the
 * dependent tables in the snapshot it starts with; an append that committed while the statement
 * waited for the session row would be missing from it and its event left live under a deleted
 * session. Locking first waits for such appends to commit, so the statement's snapshot (taken
 * after the lock) holds them; and every append, track, summary or state write that comes later
 * waits for the lock, then finds the session gone and writes nothing (NOT_FOUND).
 */
export function deleteSession(t: TableNames, mode: DeleteMode, key: SessionKey, now: string): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const at = mode === 'soft' ? p.add(now, 'timestamp') : '';
  const step = (name: string, table: string) =>
    `${name} AS (${remove(mode, table, matchesKey(k), at)} RETURNING 1)`;
  const text = `WITH ${[
    step('sessions', t.sessionStates.qualified),
    step('summaries', t.sessionSummaries.qualified),
    step('events', t.sessionEvents.qualified),
    step('tracks', t.sessionTrackEvents.qualified),
  ].join(',\n')}
SELECT (SELECT count(*) FROM sessions)::int AS sessions`;
  return { text, params: p.values };
}

/**
 * Merges `delta` (a jsonb state map) into a live session's state and moves its updated_at and
 * expires_at. No row returned means there is no such session. An expired session that a sweep
 * has not removed yet is written to (and so revived), as trpc-agent-go's row-locking writes do.
 */
export function updateSessionState(
  t: TableNames,
  a: { key: SessionKey; delta: string; now: string; updatedAtJson: string; expiresAt: string | null },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const text = `${touchLiveSession(t, p, k, now, { ...a, delta: p.add(a.delta, 'jsonb') })}
RETURNING 1 AS found`;
  return { text, params: p.values };
}
