/**
 * The read statements: one statement returns everything getSession or a page of listSessions
 * needs (session rows, app and user state, the newest events, summaries, track events), as
 * typed rows of a UNION ALL, so a read is one round trip whatever the session holds.
 */
import type { SessionKey, UserKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import { isLive, type KeyParams, keyParams, matchesKey, Params, type SqlQuery, sameText } from './sql.js';

/**
 * A row of a read as the database returns it: one text, `packed`, and in listSessions the session
 * id, `sid`. A read returns up to thousands of event rows, and every column of a row costs the
 * driver work of its own, a NULL one too: on PGlite, whose protocol reader copies each field into
 * a buffer of its own before decoding it, 1,000 packed events took 8.9 ms as one column of the
 * eight a typed union of every row kind had, 7.7 ms as the only column, and the floor's plain
 * `event::text` 7.2 ms (`bench/profile/pglite-columns.ts`). So every row kind is packed into the
 * one text, and the first character tells them apart (see unpackRow):
 *
 * - an event, `id TAB created_at TAB json` (an id is a number, never a kind letter);
 * - `s` a session, `s created_at TAB updated_at TAB ord [TAB state]`;
 * - `a` / `u` an app / user state value, `a name [TAB value]`;
 * - `m` a summary, `m name TAB updated_at [TAB summary]`;
 * - `t` a track event, `t name TAB created_at TAB id TAB json`.
 *
 * A name (a state key, a summary's filter key, a track) is a JSON string, which holds no raw tab
 * (`to_json` escapes it); timestamps are the database's text and ids and `ord` decimal, neither
 * holding a tab; the last field may hold anything. A nullable last field comes with its tab only
 * when it is not NULL, so an empty value and a NULL one stay apart.
 */
export interface PackedRow {
  /** The session id of the row (listSessions); getSession's rows have none. */
  sid?: string | null;
  packed: string;
}

/**
 * A row of a read other than an event, unpacked. `kind`: `s` session (body = envelope JSON,
 * created_at, updated_at, ord), `a`/`u` app/user state (name = key, body = TEXT value), `m`
 * summary (name = filter key, body = summary JSON, updated_at), `t` track event (name = track,
 * body = track event JSON, created_at, row_id). `sid` is the session id in listSessions, null in
 * getSession.
 */
export interface ReadRow {
  kind: 's' | 'a' | 'u' | 'm' | 't';
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

/** Splits a packed event row (`id TAB created_at TAB json`). */
export function unpackEvent(body: string): EventRow {
  const id = body.indexOf('\t');
  const time = body.indexOf('\t', id + 1);
  return { rowId: body.slice(0, id), createdAt: body.slice(id + 1, time), json: body.slice(time + 1) };
}

/** Whether a packed row is an event: it starts with its id, where other rows have a kind letter. */
export function isPackedEvent(packed: string): boolean {
  const c = packed.charCodeAt(0);
  return c < 97 || c > 122;
}

/**
 * The `count` tab-separated fields of `packed` from `start`, then the rest (the last field, which
 * may hold tabs), or null when the text ends with the last of the `count` (a NULL last field).
 */
function fields(packed: string, start: number, count: number): { head: string[]; rest: string | null } {
  const head: string[] = [];
  let from = start;
  for (let i = 0; i < count; i++) {
    const tab = packed.indexOf('\t', from);
    if (tab < 0) {
      head.push(packed.slice(from));
      return { head, rest: null };
    }
    head.push(packed.slice(from, tab));
    from = tab + 1;
  }
  return { head, rest: packed.slice(from) };
}

/** Unpacks a row other than an event (see PackedRow). */
export function unpackRow(sid: string | null, packed: string): ReadRow {
  const row: ReadRow = {
    kind: 's',
    sid,
    name: null,
    body: null,
    created_at: null,
    updated_at: null,
    row_id: null,
    ord: null,
  };
  const kind = packed[0];
  if (kind === 's') {
    const { head, rest } = fields(packed, 1, 3);
    row.created_at = head[0]!;
    row.updated_at = head[1]!;
    row.ord = head[2] ? Number(head[2]) : null;
    row.body = rest;
  } else if (kind === 'a' || kind === 'u') {
    const { head, rest } = fields(packed, 1, 1);
    row.kind = kind;
    row.name = JSON.parse(head[0]!) as string;
    row.body = rest;
  } else if (kind === 'm') {
    const { head, rest } = fields(packed, 1, 2);
    row.kind = kind;
    row.name = JSON.parse(head[0]!) as string;
    row.updated_at = head[1]!;
    row.body = rest;
  } else if (kind === 't') {
    const { head, rest } = fields(packed, 1, 3);
    row.kind = kind;
    row.name = JSON.parse(head[0]!) as string;
    row.created_at = head[1]!;
    row.row_id = head[2]!;
    row.body = rest;
  } else {
    throw new Error(`a read returned a row of unknown kind ${JSON.stringify(kind)}`);
  }
  return row;
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

const TAB = "E'\\t'";

/** A name packed as a JSON string, which holds no raw tab (see PackedRow). */
const packedName = (column: string) => `to_json(${column})::text`;

/** A nullable last field of a packed row: it comes with its tab only when not NULL. */
const nullableLast = (expression: string) => `coalesce(${TAB} || ${expression}, '')`;

/** An event row packed (see PackedRow). */
const PACKED_EVENT = (alias: string) =>
  `${alias}id::text || ${TAB} || ${alias}created_at::text || ${TAB} || ${alias}event::text`;

/** A session row packed (see PackedRow); `ord` is its place in the list as text, or `''`. */
const packedSession = (ord: string) =>
  `'s' || created_at::text || ${TAB} || updated_at::text || ${TAB} || ${ord} || ${nullableLast('state::text')}`;

/** A summary row packed (see PackedRow), its columns under `alias`. */
const packedSummary = (alias: string) =>
  `'m' || ${packedName(`${alias}filter_key`)} || ${TAB} || ${alias}updated_at::text || ${nullableLast(`${alias}summary::text`)}`;

/**
 * The live app and user state rows; with `gate`, only when that condition holds; with `sid`, a
 * (null) session id column before the packed one; with `sortKeys`, two more (null) columns after
 * it, for a union that sorts by the session rows' keys.
 */
function stateBranches(
  t: TableNames,
  k: Pick<KeyParams, 'app' | 'user'>,
  now: string,
  { gate, sid = false, sortKeys = false }: { gate?: string; sid?: boolean; sortKeys?: boolean } = {},
): string {
  const only = gate ? ` AND ${gate}` : '';
  const columns = (kind: string) =>
    `${sid ? 'NULL, ' : ''}'${kind}' || ${packedName('key')} || ${nullableLast('value')}${sortKeys ? ', NULL, NULL' : ''}`;
  return `SELECT ${columns('a')} FROM ${t.appStates.qualified}
WHERE app_name = ${k.app} AND ${isLive(now)}${only}
UNION ALL
SELECT ${columns('u')} FROM ${t.userStates.qualified}
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
  sid: string | undefined,
): string {
  const after = sel.after === undefined ? '' : ` AND x.created_at > ${p.add(sel.after, 'timestamp')}`;
  const packed = `'t' || ${packedName('tn.track')} || ${TAB} || y.created_at::text || ${TAB} || y.id::text || ${TAB} || y.event::text`;
  return `SELECT ${sid ? `${sid}, ` : ''}${packed} FROM tn CROSS JOIN LATERAL (
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
SELECT ${packedSession("''")} AS packed FROM s
UNION ALL
${stateBranches(t, k, now)}
UNION ALL
SELECT ${PACKED_EVENT('')} FROM e
UNION ALL
SELECT ${packedSummary('')} FROM ${t.sessionSummaries.qualified}
WHERE ${matchesKey(k)} AND ${isLive(now)}
UNION ALL
${trackBranch(t, k, now, a.tracks, p, undefined)}`;
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
  return `SELECT sid, packed FROM (
(SELECT session_id::text AS sid, ${packedSession("''")} AS packed,
  x.updated_at AS sort_at, x.session_id AS sort_id
FROM ${t.sessionStates.qualified} x
WHERE app_name = ${k.app} AND user_id = ${k.user} AND ${isLive(now)}${pageOrder})
UNION ALL
${stateBranches(t, k, now, { sid: true, sortKeys: true })}
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
  const head = `SELECT session_id::text AS sid, ${packedSession('ord::text')} AS packed FROM s
UNION ALL
${stateBranches(t, k, now, { gate: 'EXISTS (SELECT 1 FROM s)', sid: true })}`;
  // Track names are probed only for sessions whose state has a `tracks` index: the others have no
  // tracks to return (buildSession keeps only the names the index lists). Besides a probe per
  // session, this saves the planner's estimate: it assumes 10 rounds of the recursive probe per
  // seed row, which for 1,000 sessions put the statement past jit_optimize_above_cost, and the
  // server spent 1.5 s compiling a statement that runs in 0.1 s.
  const withTracks = `(SELECT session_id FROM s WHERE ${HAS_TRACKS}) ts`;
  const text = `WITH RECURSIVE ${sessions}, ${trackNamesCte(t, k, withTracks, 'ts.session_id')}
${head}
UNION ALL
SELECT s.session_id, ${PACKED_EVENT('y.')} FROM s CROSS JOIN LATERAL (
  ${newestEvents(
    'x.id, x.event, x.created_at',
    `${t.sessionEvents.qualified} x`,
    `x.app_name = ${k.app} AND x.user_id = ${k.user} AND x.session_id = s.session_id AND x.deleted_at IS NULL`,
    p.add(a.eventLimit, 'int'),
  )}
) y
UNION ALL
SELECT m.session_id, ${packedSummary('m.')}
FROM ${t.sessionSummaries.qualified} m JOIN s ON s.session_id = m.session_id
WHERE m.app_name = ${k.app} AND m.user_id = ${k.user} AND ${isLive(now, 'm')}
UNION ALL
${trackBranch(t, k, now, a.tracks, p, 'tn.session_id')}`;
  return {
    text: sameText(t, `sessions${page ? ' page' : ''}${afterShape(a.tracks)}`, text),
    params: p.values,
  };
}
