/**
 * The statements of replaceEvents, run in one transaction after the session row is locked (by
 * {@link lockLiveSession} with its state): read the newest events, remove some of them; the replacement events
 * are then written by the multi-row append (append-batch.ts).
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import type { DeleteMode } from './sessions.js';
import { keyParams, matchesKey, Params, type SqlQuery } from './sql.js';

/** A row of {@link newestEvents}: the row id and the event's own id. */
export interface NewestEventRow {
  row_id: string;
  event_id: string | null;
}

/**
 * The session's newest `limit` live events (all of them when `limit` is null), newest first, in
 * read order (created_at, then id), as popEvent picks the newest.
 */
export function newestEvents(t: TableNames, key: SessionKey, limit: number | null): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const bound = limit === null ? '' : `LIMIT ${p.add(limit, 'int')}`;
  return {
    text: `SELECT id::text AS row_id, event->>'id' AS event_id FROM ${t.sessionEvents.qualified}
WHERE ${matchesKey(k)} AND deleted_at IS NULL
ORDER BY created_at DESC, id DESC ${bound}`,
    params: p.values,
  };
}

/**
 * Removes the session's event rows with these ids (soft delete marks them, at `now`). The key is
 * matched as well as the ids: every statement names the session it touches, so it stays on one
 * shard when the tables are distributed by user id (docs/scaling.md).
 */
export function removeEventRows(
  t: TableNames,
  mode: DeleteMode,
  key: SessionKey,
  rowIds: readonly string[],
  now: string,
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const ids = p.add(rowIds, 'text[]');
  const events = t.sessionEvents.qualified;
  const text =
    mode === 'soft'
      ? `UPDATE ${events} SET deleted_at = ${p.add(now, 'timestamp')} WHERE ${matchesKey(k)} AND id = ANY(${ids}::bigint[]) AND deleted_at IS NULL`
      : `DELETE FROM ${events} WHERE ${matchesKey(k)} AND id = ANY(${ids}::bigint[])`;
  return { text, params: p.values };
}

/** Removes the session's live summaries (they describe events that were all replaced). */
export function removeSummaries(t: TableNames, mode: DeleteMode, key: SessionKey, now: string): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const summaries = t.sessionSummaries.qualified;
  const text =
    mode === 'soft'
      ? `UPDATE ${summaries} SET deleted_at = ${p.add(now, 'timestamp')} WHERE ${matchesKey(k)} AND deleted_at IS NULL`
      : `DELETE FROM ${summaries} WHERE ${matchesKey(k)}`;
  return { text, params: p.values };
}
