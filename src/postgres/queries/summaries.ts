/**
 * Statements on session summaries (session_summaries).
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import { isLive, keyParams, matchesKey, Params, type SqlQuery } from './sql.js';

/** A row of {@link selectLiveSessionCreated}. */
export interface SessionCreatedRow {
  /** The session state envelope, whose `createdAt` is the session's creation time when set. */
  body: string | null;
  /** The created_at column as the database stores it, for {@link upsertSummary}. */
  created_at: string;
}

/**
 * The creation time of the key's live session, for telling which incarnation of a session id is
 * live: the envelope's `createdAt` (what reads take as the session's, see read/session-rows.ts)
 * and the created_at column.
 */
export function selectLiveSessionCreated(t: TableNames, a: { key: SessionKey; now: string }): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const text = `SELECT state::text AS body, created_at::text AS created_at FROM ${t.sessionStates.qualified}
WHERE ${matchesKey(k)} AND ${isLive(p.add(a.now, 'timestamp'))}`;
  return { text, params: p.values };
}

/**
 * Upserts the summary of one filter key, as trpc-agent-go does (updated_at = the summary's own
 * updated_at, the cutoff of what it covers; expires_at NULL: summaries go with their session).
 * Only while the session the summary was made from is live: a background job that finishes after
 * the session was deleted must not leave a summary behind for a later session with the same id.
 * `sessionCreatedAt` is that session's created_at exactly as {@link selectLiveSessionCreated} read
 * it (the column's text, so no precision is lost): a session deleted and created again since has
 * another created_at, and the statement stores nothing. The session row is share-locked: a
 * concurrent deleteSession (which locks it first) either waits for this summary and takes it with
 * the session, or this statement waits for the delete and finds no live row.
 */
export function upsertSummary(
  t: TableNames,
  a: {
    key: SessionKey;
    filterKey: string;
    summary: string;
    updatedAt: string;
    sessionCreatedAt: string;
    now: string;
  },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const text = `INSERT INTO ${t.sessionSummaries.qualified}
  (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at, deleted_at)
SELECT ${k.app}, ${k.user}, ${k.session}, ${p.add(a.filterKey, 'text')}, ${p.add(a.summary, 'jsonb')},
  ${p.add(a.updatedAt, 'timestamp')}, NULL, NULL
WHERE EXISTS (
  SELECT 1 FROM ${t.sessionStates.qualified} WHERE ${matchesKey(k)} AND ${isLive(p.add(a.now, 'timestamp'))}
    AND created_at = ${p.add(a.sessionCreatedAt, 'timestamp')}
  FOR SHARE
)
ON CONFLICT (app_name, user_id, session_id, filter_key) WHERE deleted_at IS NULL
DO UPDATE SET summary = EXCLUDED.summary, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at`;
  return { text, params: p.values };
}

/** A row of {@link selectSummaries}. */
export interface SummaryRow {
  filter_key: string;
  body: string | null;
}

/** The live summaries of `filterKey` and of the full session (`''`), in one query. */
export function selectSummaries(
  t: TableNames,
  a: { key: SessionKey; filterKey: string; now: string },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const text = `SELECT filter_key, summary::text AS body FROM ${t.sessionSummaries.qualified}
WHERE ${matchesKey(k)} AND filter_key IN (${p.add(a.filterKey, 'text')}, '') AND ${isLive(p.add(a.now, 'timestamp'))}`;
  return { text, params: p.values };
}
