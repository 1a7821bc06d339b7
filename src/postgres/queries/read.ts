/**
 * The read statements: one statement returns everything getSession or a page of listSessions
 * needs (session rows, app and user state, the newest events, summaries, track events), as
 * typed rows of a UNION ALL, so a read is one round trip whatever the session holds.
 */
import type { SessionKey, UserKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import { isLive, type KeyParams, keyParams, matchesKey, Params, type SqlQuery, sameText } from './sql.js';

/**
 * One row of a read. `kind`: `s` session (body = envelope JSON, created_at, updated_at, ord),
 * `a`/`u` app/user state (name = key, body = TEXT value), null: an event (body = the event
 * packed with its row id and created_at, see PACKED_EVENT; sorted by the caller, see newestFirst),
 * `m` summary (name = filter key, body = summary JSON, updated_at), `t` track event (name =
 * track, body = track event JSON, created_at, row_id). `sid` is the session id in listSessions,
 * null in getSession.
 */
export interface ReadRow {
  kind: 's' | 'a' | 'u' | 'm' | 't' | null;
  sid: string | null;
  name: string | null;
  body: string | null;
  /**
   * Timestamps as the database's text (DateStyle ISO: `YYYY-MM-DD HH:MM:SS[.ffffff]`, as the
   * driver seam reads every timestamp), parsed by the caller when it needs them: a session's
   * envelope holds its own times, so the columns are only a fallback, and parsing two per session
   * was a tenth of listSessions({ onlyMeta: true }). Events are ordered by this text, unparsed.
   */
  created_at: string | null;
  updated_at: string | null;
  row_id: string | null;
  /**
   * A session row's place in the list (listSessions with events); null where the rows already
   * come in list order (listSessions with onlyMeta) and in getSession.
   */
  ord: number | null;
}

/** An event row of a read, unpacked: its row id, its created_at as the database wrote it, its JSON. */
export interface EventRow {
  rowId: string;
  createdAt: string;
  json: string;
}

/** Splits the body of an event row (see PACKED_EVENT). */
export function unpackEvent(body: string): EventRow {
  const id = body.indexOf('\t');
  const time = body.indexOf('\t', id + 1);
  return { rowId: body.slice(0, id), createdAt: body.slice(id + 1, time), json: body.slice(time + 1) };
}

/** Which events a read fetches. */
export type EventSelection =
  /** The newest `limit` events (null: all); the user anchor is applied by the caller. */
  | { kind: 'window'; limit: number | null }
  /** A page counted from the newest, stored at or after `since` when given. */
  | { kind: 'page'; limit: number; offset: number; since: string | undefined };

/** Which track events a read fetches, per track: strictly after `after`, the newest `limit`. */
export interface TrackSelection {
  after: string | undefined;
  limit: number | null;
}

const COLUMNS = 'kind, sid, name, body, created_at, updated_at, row_id, ord';

/**
 * An event row's id, created_at and JSON in one text, `id TAB created_at TAB json` (neither an id,
 * a timestamp nor jsonb's text output holds a tab; see unpackEvent), and its `kind` is null. A
 * read returns up to thousands of event rows, and each non-null column of a row costs the driver
 * a string of its own: on PGlite, whose protocol reader copies every field into a buffer of its
 * own before decoding it, selecting 1,000 events as the four non-null columns an event row had
 * took 10.4 ms, packed 8.2 ms, and as the floor's one column 6.6 ms
 * (`bench/profile/pglite-columns.ts`).
 */
const PACKED_EVENT = (alias: string) =>
  `${alias}id::text || E'\\t' || ${alias}created_at::text || E'\\t' || ${alias}event::text`;

/**
 * The live app and user state rows; with `gate`, only when that condition holds; with
 * `sortKeys`, two more (null) columns for a union that sorts by the session rows' keys.
 */
function stateBranches(
  t: TableNames,
  k: Pick<KeyParams, 'app' | 'user'>,
  now: string,
  { gate, sortKeys = false }: { gate?: string; sortKeys?: boolean } = {},
): string {
  const only = gate ? ` AND ${gate}` : '';
  const nulls = `NULL, NULL, NULL, NULL${sortKeys ? ', NULL, NULL' : ''}`;
  return `SELECT 'a', NULL, key, value, ${nulls} FROM ${t.appStates.qualified}
WHERE app_name = ${k.app} AND ${isLive(now)}${only}
UNION ALL
SELECT 'u', NULL, key, value, ${nulls} FROM ${t.userStates.qualified}
WHERE app_name = ${k.app} AND user_id = ${k.user} AND ${isLive(now)}${only}`;
}

/** The session row `s` has a `tracks` index in its state: only then does a read return tracks. */
const HAS_TRACKS = `(state -> 'state') ? 'tracks'`;

/**
 * The distinct track names with live rows, per session in `from` (a relation with `session_id`),
 * found by a loose index scan: one probe of the (app, user, session, track, created_at) index per
 * name, instead of reading every track event. The caller keeps the names the session's `tracks`
 * index lists (the track list lives base64-encoded in the state JSON, which SQL cannot decode
 * without failing the whole read on a malformed value).
 */
function trackNamesCte(
  t: TableNames,
  k: Pick<KeyParams, 'app' | 'user'>,
  from: string,
  sessionId: string,
): string {
  const tracks = t.sessionTrackEvents.qualified;
  const probe = (session: string, after: string) =>
    `(SELECT min(x.track) FROM ${tracks} x WHERE x.app_name = ${k.app} AND x.user_id = ${k.user}
      AND x.session_id = ${session} AND x.deleted_at IS NULL${after})`;
  return `tn AS (
  SELECT ${sessionId} AS session_id, ${probe(sessionId, '')} AS track FROM ${from}
  UNION ALL
  SELECT tn.session_id, ${probe('tn.session_id', ' AND x.track > tn.track')} FROM tn WHERE tn.track IS NOT NULL
)`;
}

function trackBranch(
  t: TableNames,
  k: Pick<KeyParams, 'app' | 'user'>,
  now: string,
  sel: TrackSelection,
  p: Params,
  sid: string,
): string {
  const after = sel.after === undefined ? '' : ` AND x.created_at > ${p.add(sel.after, 'timestamp')}`;
  return `SELECT 't', ${sid}, tn.track, y.event::text, y.created_at::text, NULL, y.id::text, NULL FROM tn CROSS JOIN LATERAL (
  SELECT x.id, x.event, x.created_at FROM ${t.sessionTrackEvents.qualified} x
  WHERE x.app_name = ${k.app} AND x.user_id = ${k.user} AND x.session_id = tn.session_id AND x.track = tn.track
    AND ${isLive(now, 'x')}${after}
  ORDER BY x.created_at DESC, x.id DESC
  LIMIT ${p.add(sel.limit, 'int')}
) y WHERE tn.track IS NOT NULL`;
}

/**
 * The newest `limit` rows of one session's events in read order (created_at DESC, id DESC),
 * skipping `offset`; `where` must pin the session. The lookup index orders a session's events by
 * created_at alone, so `ORDER BY created_at DESC, id DESC LIMIT n` needs a sort step, and for any
 * session the planner's statistics do not single out (they guess a few rows) it sorted the whole
 * session: every row of a 1,000-event session read for 20. Taking the newest rows by created_at
 * alone, WITH TIES so that every row sharing the boundary time comes too, lets the index scan
 * stop there whatever the estimate; the outer sort then orders that handful by id as well.
 * The sum of a page's limit and offset is a bigint: each may be up to 2^31 - 1.
 * The caller still puts the rows in order (newestFirst): a UNION ALL promises no order. Leaving
 * the sort to the caller was tried: the plan cache then found the generic plan too costly (it
 * guesses a tenth of the session for a parameter limit) and planned every call anew, which
 * doubled a limit-20 read on a server and on PGlite.
 */
function newestEvents(select: string, from: string, where: string, limit: string, offset?: string): string {
  return `SELECT * FROM (
    SELECT ${select} FROM ${from}
    WHERE ${where}
    ORDER BY created_at DESC
    FETCH FIRST (${offset ? `${limit}::bigint + ${offset}` : limit}) ROWS WITH TIES
  ) newest
  ORDER BY created_at DESC, id DESC
  LIMIT ${limit}${offset ? ` OFFSET ${offset}` : ''}`;
}

/**
 * Everything getSession returns, in one statement: the live session row, the live app and user
 * state, the selected events (newest first, at most the limit, so the cost does not grow with
 * the session's length), the live summaries, and the live track events of each track (probed
 * only when the session's state has a `tracks` index). When the session is missing or expired,
 * its events are not read; the few rows of the small lookups that still come are ignored. Those
 * lookups are not gated: each gate is one more plan node to start on every call, which cost more
 * than the index probe it saves.
 */
export function selectSession(
  t: TableNames,
  a: {
    key: SessionKey;
    now: string;
    events: EventSelection;
    tracks: TrackSelection;
  },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const exists = 'EXISTS (SELECT 1 FROM s)';
  const ev = a.events;
  const since =
    ev.kind === 'page' && ev.since !== undefined ? ` AND created_at >= ${p.add(ev.since, 'timestamp')}` : '';
  const limit = p.add(ev.limit, 'int');
  const offset = ev.kind === 'page' ? p.add(ev.offset, 'int') : undefined;
  const events = newestEvents(
    'id, event, created_at',
    t.sessionEvents.qualified,
    `${matchesKey(k)} AND deleted_at IS NULL AND ${exists}${since}`,
    limit,
    offset,
  );
  const text = `WITH RECURSIVE s AS (
  SELECT state, created_at, updated_at FROM ${t.sessionStates.qualified}
  WHERE ${matchesKey(k)} AND ${isLive(now)}
), e AS (
  ${events}
), ${trackNamesCte(t, k, `(SELECT ${k.session} AS session_id FROM s WHERE ${HAS_TRACKS}) one`, 'one.session_id')}
SELECT ${COLUMNS} FROM (
SELECT 's' AS kind, NULL::text AS sid, NULL::text AS name, state::text AS body, created_at::text AS created_at,
  updated_at::text AS updated_at, NULL::text AS row_id, NULL::int AS ord FROM s
UNION ALL
${stateBranches(t, k, now)}
UNION ALL
SELECT NULL, NULL, NULL, ${PACKED_EVENT('')}, NULL, NULL, NULL, NULL FROM e
UNION ALL
SELECT 'm', NULL, filter_key, summary::text, NULL, updated_at::text, NULL, NULL FROM ${t.sessionSummaries.qualified}
WHERE ${matchesKey(k)} AND ${isLive(now)}
UNION ALL
${trackBranch(t, k, now, a.tracks, p, 'NULL')}
) r`;
  const shape = `session ${ev.kind}${since ? ' since' : ''}${offset ? ' offset' : ''}${afterShape(a.tracks)}`;
  return { text: sameText(t, shape, text), params: p.values };
}

/** The part of a read's shape its track selection gives. */
const afterShape = (tracks: TrackSelection) => (tracks.after === undefined ? '' : ' after');

/**
 * The session rows of a page and the app and user state, without a CTE: a CTE read by several
 * branches is materialized, and writing 1,000 envelopes to it and reading them back was a third
 * of the statement's time. The app and user state come even for an empty page (and are ignored).
 *
 * The rows come in list order (updated_at DESC, session_id DESC, session ids by the database's
 * collation) by the statement's outer ORDER BY, which sorts the union (the state rows, whose sort
 * keys are NULL, come first); `ord` is NULL and the caller keeps the rows' order. Numbering the
 * rows with row_number() instead, as the list with events does, cost a WindowAgg step of 1.9 of
 * the statement's 5.8 ms on PGlite for 1,000 sessions, more than sorting them once more. Without
 * a page the session rows are not sorted below the union; with one, the page is taken from sorted
 * rows there. The inner ORDER BY names the table's columns (`x.`): a bare `updated_at` would be
 * the text output column of that name, sorted as text.
 */
function sessionsMeta(t: TableNames, k: Pick<KeyParams, 'app' | 'user'>, now: string, page: string): string {
  const pageOrder = page ? `\n  ORDER BY x.updated_at DESC, x.session_id DESC${page}` : '';
  return `SELECT ${COLUMNS} FROM (
(SELECT 's' AS kind, session_id::text AS sid, NULL::text AS name, state::text AS body,
  created_at::text AS created_at, updated_at::text AS updated_at, NULL::text AS row_id,
  NULL::int AS ord, x.updated_at AS sort_at, x.session_id AS sort_id
FROM ${t.sessionStates.qualified} x
WHERE app_name = ${k.app} AND user_id = ${k.user} AND ${isLive(now)}${pageOrder})
UNION ALL
${stateBranches(t, k, now, { sortKeys: true })}
) r
ORDER BY r.sort_at DESC, r.sort_id DESC`;
}

/**
 * A page of the user's live sessions (updated_at DESC, session_id DESC) with, per session and in
 * the same statement, the newest `eventLimit` events (a LATERAL join using the lookup index),
 * the live summaries and track events; with `onlyMeta`, the session rows and the app and user
 * state only. `ord` numbers the session rows in the database's order, which the caller keeps
 * (session ids compare by the database's collation, not JavaScript's).
 */
export function selectSessions(
  t: TableNames,
  a: {
    key: UserKey;
    now: string;
    page: { offset: number; limit: number } | undefined;
    onlyMeta: boolean;
    eventLimit: number | null;
    tracks: TrackSelection;
  },
): SqlQuery {
  const p = new Params();
  const k = { app: p.add(a.key.appName, 'text'), user: p.add(a.key.userId, 'text') };
  const now = p.add(a.now, 'timestamp');
  const page = a.page ? `\n  LIMIT ${p.add(a.page.limit, 'int')} OFFSET ${p.add(a.page.offset, 'int')}` : '';
  if (a.onlyMeta)
    return {
      text: sameText(t, `meta${page ? ' page' : ''}`, sessionsMeta(t, k, now, page)),
      params: p.values,
    };
  const sessions = `s AS (
  SELECT session_id, state, created_at, updated_at,
    row_number() OVER (ORDER BY updated_at DESC, session_id DESC)::int AS ord
  FROM (
    SELECT session_id, state, created_at, updated_at FROM ${t.sessionStates.qualified}
    WHERE app_name = ${k.app} AND user_id = ${k.user} AND ${isLive(now)}
    ORDER BY updated_at DESC, session_id DESC${page}
  ) page
)`;
  const head = `SELECT 's' AS kind, session_id::text AS sid, NULL::text AS name, state::text AS body,
  created_at::text AS created_at, updated_at::text AS updated_at, NULL::text AS row_id, ord FROM s
UNION ALL
${stateBranches(t, k, now, { gate: 'EXISTS (SELECT 1 FROM s)' })}`;
  // Track names are probed only for sessions whose state has a `tracks` index: the others have no
  // tracks to return (buildSession keeps only the names the index lists). Besides a probe per
  // session, this saves the planner's estimate: it assumes 10 rounds of the recursive probe per
  // seed row, which for 1,000 sessions put the statement past jit_optimize_above_cost, and the
  // server spent 1.5 s compiling a statement that runs in 0.1 s.
  const withTracks = `(SELECT session_id FROM s WHERE ${HAS_TRACKS}) ts`;
  const text = `WITH RECURSIVE ${sessions}, ${trackNamesCte(t, k, withTracks, 'ts.session_id')}
SELECT ${COLUMNS} FROM (
${head}
UNION ALL
SELECT NULL, s.session_id, NULL, ${PACKED_EVENT('y.')}, NULL, NULL, NULL, NULL FROM s CROSS JOIN LATERAL (
  ${newestEvents(
    'x.id, x.event, x.created_at',
    `${t.sessionEvents.qualified} x`,
    `x.app_name = ${k.app} AND x.user_id = ${k.user} AND x.session_id = s.session_id AND x.deleted_at IS NULL`,
    p.add(a.eventLimit, 'int'),
  )}
) y
UNION ALL
SELECT 'm', m.session_id, m.filter_key, m.summary::text, NULL, m.updated_at::text, NULL, NULL
FROM ${t.sessionSummaries.qualified} m JOIN s ON s.session_id = m.session_id
WHERE m.app_name = ${k.app} AND m.user_id = ${k.user} AND ${isLive(now, 'm')}
UNION ALL
${trackBranch(t, k, now, a.tracks, p, 'tn.session_id')}
) r`;
  return {
    text: sameText(t, `sessions${page ? ' page' : ''}${afterShape(a.tracks)}`, text),
    params: p.values,
  };
}
