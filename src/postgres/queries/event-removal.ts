/**
 * Statements that take events out of a live session while keeping the session: popEvent (the
 * newest event) and clearEvents (every event, with the summaries made of them).
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import type { DeleteMode } from './sessions.js';
import { type KeyParams, keyParams, matchesKey, Params, type SqlQuery, touchLiveSession } from './sql.js';

/** What both statements need besides the key: the write's time, as the other writes take it. */
export interface EventRemovalArgs {
  key: SessionKey;
  now: string;
  updatedAtJson: string;
  expiresAt: string | null;
}

/**
 * The CTE `s`: the write to the live session row (updated_at and expires_at move, as for any
 * write). Its row lock makes removals take turns with appends to the session across processes,
 * and no `s` row means there is no such session.
 */
function touchSession(t: TableNames, p: Params, k: KeyParams, a: EventRemovalArgs): string {
  const now = p.add(a.now, 'timestamp');
  return `s AS (
  ${touchLiveSession(t, p, k, now, { delta: "'{}'::jsonb", updatedAtJson: a.updatedAtJson, expiresAt: a.expiresAt })}
  RETURNING 1
)`;
}

/** Removes the rows of `table` whose id is in the CTE `from`, returning id and event. */
function removeRows(mode: DeleteMode, table: string, from: string, at: string): string {
  return mode === 'soft'
    ? `UPDATE ${table} e SET deleted_at = ${at} FROM ${from} WHERE e.id = ${from}.id`
    : `DELETE FROM ${table} e USING ${from} WHERE e.id = ${from}.id`;
}

/** A row of {@link popEvent}: `s` when the session exists, `e` with the removed event. */
export interface PopEventRow {
  kind: 's' | 'e';
  row_id: string | null;
  body: string | null;
}

/**
 * Removes the session's newest live event (in read order: created_at, then id) and returns it,
 * in one statement. The event row is locked (`FOR UPDATE`): a concurrent pop that read the same
 * newest row waits, finds it gone when it may go on, and takes the next one instead, so two pops
 * never return the same event.
 */
export function popEvent(t: TableNames, mode: DeleteMode, a: EventRemovalArgs): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const events = t.sessionEvents.qualified;
  const text = `WITH ${touchSession(t, p, k, a)}, newest AS (
  SELECT id FROM ${events}
  WHERE ${matchesKey(k)} AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM s)
  ORDER BY created_at DESC, id DESC
  LIMIT 1
  FOR UPDATE
), removed AS (
  ${removeRows(mode, events, 'newest', mode === 'soft' ? p.add(a.now, 'timestamp') : '')}
  RETURNING e.id, e.event
)
SELECT 's' AS kind, NULL::text AS row_id, NULL::text AS body FROM s
UNION ALL
SELECT 'e', id::text, event::text FROM removed`;
  return { text, params: p.values };
}

/**
 * Removes every live event and summary of the session, keeping the session row, its state and
 * its track events, in one statement. No row means there is no such session.
 */
export function clearEvents(t: TableNames, mode: DeleteMode, a: EventRemovalArgs): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const at = mode === 'soft' ? p.add(a.now, 'timestamp') : '';
  const remove = (table: string) =>
    mode === 'soft'
      ? `UPDATE ${table} SET deleted_at = ${at} WHERE ${matchesKey(k)} AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM s)`
      : `DELETE FROM ${table} WHERE ${matchesKey(k)} AND EXISTS (SELECT 1 FROM s)`;
  const text = `WITH ${touchSession(t, p, k, a)}, events AS (
  ${remove(t.sessionEvents.qualified)}
  RETURNING 1
), summaries AS (
  ${remove(t.sessionSummaries.qualified)}
  RETURNING 1
)
SELECT 1 AS found FROM s`;
  return { text, params: p.values };
}
