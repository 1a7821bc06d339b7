/**
 * Multi-row appends for asynchronous persistence: one statement writes a whole batch of events
 * (or track events) for many sessions, instead of one statement per event.
 *
 * Per session, the batch does what the same appends one by one would have done: the state deltas
 * are merged in order (later keys win) into the envelope's `state`, updated_at moves forward
 * (never back, see MONOTONIC_UPDATED_AT), expires_at is renewed, and the stored events take the
 * session's new updated_at as their created_at with ids from the sequence in append order, so the
 * read order (created_at, id) is the append order.
 *
 * Retries: a batch whose earlier attempt failed may have committed anyway (the connection died
 * around COMMIT). With `retried`, rows such an attempt would have stored are recognised and not
 * inserted again; re-merging the same delta is harmless.
 */
import { decodeTrackNames, encodeStateMap, encodeTrackNames } from '../../session/codec/index.js';
import type { SessionKey } from '../../session/keys.js';
import { TRACKS_STATE_KEY } from '../../session/state.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../../session/time.js';
import type { SqlClient, SqlExecutor } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import { MONOTONIC_UPDATED_AT, mergedEnvelope, RENEWED_EXPIRES_AT, type SqlQuery } from './sql.js';

/** One appendEvent, as the asynchronous writer hands it over. */
export interface EventBatchItem {
  key: SessionKey;
  /** The event JSON (encodeEvent), or null for an event that is not stored (its delta still is). */
  eventJson: string | null;
  /**
   * The event's state delta as encodeStateMap wrote it (a JSON object of base64 values), or
   * undefined when it has none. Text rather than a StateMap: it is a snapshot taken when the
   * append was accepted, so a caller changing the map (or its byte arrays) afterwards cannot
   * change what is written, the race trpc-agent-go's queue of event pointers has.
   */
  delta: string | undefined;
  /** When the append was made: updated_at, the envelope's updatedAt and the TTL count from it. */
  now: Date;
  /** The session TTL: expires_at = now + ttlMs, or NULL when 0. */
  ttlMs: number;
}

/** One appendTrackEvent, as the asynchronous writer hands it over. */
export interface TrackBatchItem {
  key: SessionKey;
  track: string;
  /** The track event JSON (encodeTrackEvent). */
  eventJson: string;
  /** The track event's own timestamp: its row's created_at and updated_at, as Go writes them. */
  timestamp: Date;
  now: Date;
  /** The session TTL: the session's expires_at = now + sessionTtlMs, or NULL when 0. */
  sessionTtlMs: number;
  /** The track TTL: the row's expires_at = now + trackTtlMs, or NULL when 0. */
  trackTtlMs: number;
}

/** What became of one item: written, or its session does not exist (nothing was written for it). */
export type BatchOutcome = 'stored' | 'missing';

export interface BatchOptions {
  /**
   * An earlier attempt at these same items failed and may have committed: skip event rows that
   * attempt would have stored. Leave unset on a first attempt (see `skipStored`).
   */
  retried?: boolean;
}

/**
 * Column names of the session list; none may be a column of session_states, which the UPDATE
 * reads unqualified.
 */
const SESSION_COLUMNS = 'app, usr, sid, delta, stamp, at, expires, n';

interface SessionGroup<Item> {
  key: SessionKey;
  items: { item: Item; index: number }[];
  /** 1-based position in the statement's session arrays. */
  n: number;
}

/** Groups items by session, sessions in order of first appearance. */
function groupBySession<Item extends { key: SessionKey }>(items: readonly Item[]): SessionGroup<Item>[] {
  const groups = new Map<string, SessionGroup<Item>>();
  items.forEach((item, index) => {
    const id = JSON.stringify([item.key.appName, item.key.userId, item.key.sessionId]);
    let group = groups.get(id);
    if (!group) {
      group = { key: item.key, items: [], n: 0 };
      groups.set(id, group);
    }
    group.items.push({ item, index });
  });
  const list = [...groups.values()];
  list.forEach((g, i) => {
    g.n = i + 1;
  });
  return list;
}

/**
 * The deltas of one session merged in order into one JSON object, later keys winning. A Map,
 * not an object: a key such as `__proto__` must stay an ordinary key.
 */
export function combineDeltas(deltas: readonly (string | undefined)[]): string {
  const merged = new Map<string, unknown>();
  for (const delta of deltas) {
    if (delta === undefined || delta === '{}') continue;
    const parsed: unknown = JSON.parse(delta);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TypeError('a state delta must be a JSON object');
    }
    for (const [k, v] of Object.entries(parsed)) merged.set(k, v);
  }
  return `{${[...merged].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

/** The latest of the items' append times. */
const latest = (items: readonly { item: { now: Date } }[]): Date =>
  items.reduce((max, { item }) => (item.now.getTime() > max.getTime() ? item.now : max), items[0]!.item.now);

const expiry = (now: Date, ttlMs: number): string | null =>
  ttlMs > 0 ? toSqlTimestamp(new Date(now.getTime() + ttlMs)) : null;

/**
 * The session arrays of a batch: key, combined delta, the last append's time (the envelope's
 * updatedAt) and expiry, and the latest time of any append (updated_at), which is what the same
 * appends one by one would leave even if the clock stepped back between them.
 */
interface SessionArrays {
  app: string[];
  usr: string[];
  sid: string[];
  delta: string[];
  stamp: string[];
  at: string[];
  expires: (string | null)[];
}

function sessionArrays(
  rows: { key: SessionKey; delta: string; now: Date; latest: Date; ttlMs: number }[],
): SessionArrays {
  const a: SessionArrays = { app: [], usr: [], sid: [], delta: [], stamp: [], at: [], expires: [] };
  for (const r of rows) {
    a.app.push(r.key.appName);
    a.usr.push(r.key.userId);
    a.sid.push(r.key.sessionId);
    a.delta.push(r.delta);
    a.stamp.push(formatRfc3339Nano(r.now));
    a.at.push(toSqlTimestamp(r.latest));
    a.expires.push(expiry(r.now, r.ttlMs));
  }
  return a;
}

/**
 * The CTEs `s` (the batch's sessions, $1..$7), `locked` and `updated` (the live ones among them,
 * updated as one append would: delta merged into the envelope, updated_at monotonic, expires_at
 * renewed), which returns each found session's `n` and new updated_at. An expired session that
 * no sweep has removed yet is written to, and so revived, as the synchronous append does.
 *
 * The rows are locked in id order first. An UPDATE joined to a list locks rows in whatever order
 * its plan visits them, so the event and track workers, which share sessions, would lock the same
 * rows in different orders and deadlock (each deadlock then costs deadlock_timeout, 1 s by
 * default, before a retry). Every multi-row lock here goes by id, so no cycle can form.
 */
function updateSessionsCtes(t: TableNames): string {
  const states = t.sessionStates.qualified;
  return `s AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamp[], $7::timestamp[])
    WITH ORDINALITY AS s(${SESSION_COLUMNS})
), locked AS (
  SELECT x.id, s.n FROM ${states} x
  JOIN s ON x.app_name = s.app AND x.user_id = s.usr AND x.session_id = s.sid
  WHERE x.deleted_at IS NULL
  ORDER BY x.id
  FOR UPDATE OF x
), updated AS (
  UPDATE ${states} AS t
  SET state = ${mergedEnvelope('s.delta', 's.stamp')},
      updated_at = ${MONOTONIC_UPDATED_AT('s.at')},
      expires_at = ${RENEWED_EXPIRES_AT('s.expires')}
  FROM locked l JOIN s ON s.n = l.n
  WHERE t.id = l.id
  RETURNING s.n, updated_at
)`;
}

function sessionParams(a: SessionArrays): unknown[] {
  return [a.app, a.usr, a.sid, a.delta, a.stamp, a.at, a.expires];
}

/**
 * On a retry, an item is inserted only when fewer rows matching it (`match`, a condition on the
 * stored row `x`) are already stored than the item's rank among the batch's identical items: if
 * the earlier attempt committed, every item finds its own row and is skipped; if it did not,
 * nothing of the batch is there and every item is inserted. Counting, rather than "skip if any
 * exists", keeps two identical items of one batch (an event appended twice) as two rows.
 */
function skipStored(table: string, rank: string, match: string): string {
  return `\n  WHERE ${rank} > (SELECT count(*) FROM ${table} x
    WHERE x.app_name = s.app AND x.user_id = s.usr AND x.session_id = s.sid AND ${match})`;
}

/**
 * The statement that appends a batch of events for any number of sessions. Returns one row
 * (`n`) per session that exists.
 */
function appendEventsBatchQuery(
  t: TableNames,
  items: readonly EventBatchItem[],
  options: BatchOptions = {},
): { query: SqlQuery; groups: SessionGroup<EventBatchItem>[] } {
  const groups = groupBySession(items);
  const sessions = sessionArrays(
    groups.map((g) => {
      const last = g.items[g.items.length - 1]!.item;
      return {
        key: g.key,
        delta: combineDeltas(g.items.map((i) => i.item.delta)),
        now: last.now,
        latest: latest(g.items),
        ttlMs: last.ttlMs,
      };
    }),
  );
  // Events in item order, each pointing at its session; unstored events only carried a delta.
  const sessionOf: number[] = new Array(items.length);
  for (const g of groups) for (const { index } of g.items) sessionOf[index] = g.n;
  const eventSession: number[] = [];
  const eventJson: string[] = [];
  for (const [index, item] of items.entries()) {
    if (item.eventJson === null) continue;
    eventSession.push(sessionOf[index]!);
    eventJson.push(item.eventJson);
  }
  const events = t.sessionEvents.qualified;
  // Rows an earlier attempt stored carry the same event id and were stamped with the session's
  // new updated_at, which is at least s.at: the created_at bound lets the lookup index
  // (app_name, user_id, session_id, created_at) confine the check to this batch's time.
  const dedupe = options.retried
    ? skipStored(
        events,
        'ev.rank',
        `x.created_at >= s.at AND (x.event->>'id') IS NOT DISTINCT FROM (ev.event->>'id')`,
      )
    : '';
  const text = `WITH ${updateSessionsCtes(t)}, ev AS (
  SELECT e.sn, e.event, e.ord,
    row_number() OVER (PARTITION BY e.sn, e.event->>'id' ORDER BY e.ord) AS rank
  FROM unnest($8::int[], $9::jsonb[]) WITH ORDINALITY AS e(sn, event, ord)
), inserted AS (
  INSERT INTO ${events} (app_name, user_id, session_id, event, created_at, updated_at)
  SELECT s.app, s.usr, s.sid, ev.event, u.updated_at, u.updated_at
  FROM ev JOIN updated u ON u.n = ev.sn JOIN s ON s.n = ev.sn${dedupe}
  ORDER BY ev.ord
  RETURNING 1
)
SELECT n::int AS n FROM updated`;
  // ORDER BY ev.ord: the INSERT takes its rows from the sorted SELECT one by one, so the ids the
  // sequence hands out follow the append order.
  return { query: { text, params: [...sessionParams(sessions), eventSession, eventJson] }, groups };
}

function outcomes<Item>(count: number, groups: SessionGroup<Item>[], found: Set<number>): BatchOutcome[] {
  const result: BatchOutcome[] = new Array(count);
  for (const g of groups) {
    const outcome = found.has(g.n) ? 'stored' : 'missing';
    for (const { index } of g.items) result[index] = outcome;
  }
  return result;
}

/**
 * Appends a batch of events (any number of sessions) in ONE statement and one round trip. For
 * each item, in order: `stored` (its delta was merged and, if persistable, its event inserted)
 * or `missing` (its session does not exist or was deleted; nothing was written for it).
 */
export async function appendEventsBatch(
  exec: SqlExecutor,
  tables: TableNames,
  items: readonly EventBatchItem[],
  options: BatchOptions = {},
): Promise<BatchOutcome[]> {
  if (items.length === 0) return [];
  const { query, groups } = appendEventsBatchQuery(tables, items, options);
  const { rows } = await exec.query<{ n: number }>(query.text, query.params);
  return outcomes(items.length, groups, new Set(rows.map((r) => Number(r.n))));
}

/** The stored `tracks` index of each live session of the batch, locking the rows in id order. */
function lockTrackIndexes(t: TableNames, groups: SessionGroup<TrackBatchItem>[]): SqlQuery {
  const text = `SELECT s.n::int AS n, x.state #>> '{state,tracks}' AS tracks
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS s(app, usr, sid, n)
JOIN ${t.sessionStates.qualified} x
  ON x.app_name = s.app AND x.user_id = s.usr AND x.session_id = s.sid AND x.deleted_at IS NULL
ORDER BY x.id
FOR UPDATE OF x`;
  return {
    text,
    params: [
      groups.map((g) => g.key.appName),
      groups.map((g) => g.key.userId),
      groups.map((g) => g.key.sessionId),
    ],
  };
}

/** The track names of a stored index (base64 text); one that does not decode counts as none. */
function storedTrackNames(base64: string | null): string[] {
  if (base64 === null) return [];
  try {
    return decodeTrackNames(Buffer.from(base64, 'base64'));
  } catch {
    return [];
  }
}

/**
 * The delta that adds the batch's new tracks, in first-append order, to the stored index; `{}`
 * when every track is listed already.
 */
function trackIndexDelta(stored: string | null, tracks: readonly string[]): string {
  const names = storedTrackNames(stored);
  let changed = false;
  for (const track of tracks) {
    if (names.includes(track)) continue;
    names.push(track);
    changed = true;
  }
  return changed ? encodeStateMap({ [TRACKS_STATE_KEY]: encodeTrackNames(names) }, 'tracks') : '{}';
}

/**
 * The statement that updates the (locked, live) sessions of a track batch and inserts their
 * track events in item order.
 */
function appendTrackEventsBatchQuery(
  t: TableNames,
  groups: SessionGroup<TrackBatchItem>[],
  storedIndex: Map<number, string | null>,
  options: BatchOptions = {},
): SqlQuery {
  const live = groups.filter((g) => storedIndex.has(g.n));
  const sessions = sessionArrays(
    live.map((g) => {
      const last = g.items[g.items.length - 1]!.item;
      const delta = trackIndexDelta(
        storedIndex.get(g.n) ?? null,
        g.items.map((i) => i.item.track),
      );
      return { key: g.key, delta, now: last.now, latest: latest(g.items), ttlMs: last.sessionTtlMs };
    }),
  );
  // The statement numbers the live sessions 1..k in the order passed; map the rows to that.
  const position = new Map(live.map((g, i) => [g.n, i + 1]));
  const rows = live
    .flatMap((g) => g.items.map((i) => ({ ...i, sn: position.get(g.n)! })))
    .sort((a, b) => a.index - b.index);
  const tracks = t.sessionTrackEvents.qualified;
  // A track row's created_at is its event's own timestamp, so an earlier attempt's row is found
  // exactly by (track, created_at) on the lookup index, and told apart by its JSON.
  const dedupe = options.retried
    ? skipStored(tracks, 'tr.rank', 'x.track = tr.track AND x.created_at = tr.ts AND x.event = tr.event')
    : '';
  const text = `WITH ${updateSessionsCtes(t)}, tr AS (
  SELECT e.*, row_number() OVER (PARTITION BY e.sn, e.track, e.ts, e.event ORDER BY e.ord) AS rank
  FROM unnest($8::int[], $9::text[], $10::jsonb[], $11::timestamp[], $12::timestamp[])
    WITH ORDINALITY AS e(sn, track, event, ts, expires, ord)
), inserted AS (
  INSERT INTO ${tracks} (app_name, user_id, session_id, track, event, created_at, updated_at, expires_at)
  SELECT s.app, s.usr, s.sid, tr.track, tr.event, tr.ts, tr.ts, tr.expires
  FROM tr JOIN updated u ON u.n = tr.sn JOIN s ON s.n = tr.sn${dedupe}
  ORDER BY tr.ord
  RETURNING 1
)
SELECT n::int AS n FROM updated`;
  const params = [
    ...sessionParams(sessions),
    rows.map((r) => r.sn),
    rows.map((r) => r.item.track),
    rows.map((r) => r.item.eventJson),
    rows.map((r) => toSqlTimestamp(r.item.timestamp)),
    rows.map((r) => expiry(r.item.now, r.item.trackTtlMs)),
  ];
  return { text, params };
}

/**
 * Appends a batch of track events (any number of sessions and tracks) in one transaction of two
 * statements: the first locks the sessions' rows and reads their `tracks` index, the second
 * updates each session once (the index extended by the batch's new tracks, updated_at,
 * expires_at) and inserts every track event in item order. The index is computed here from the
 * locked row, not from the caller's copy, so a track another writer added is never dropped.
 *
 * For each item: `stored`, or `missing` when its session does not exist (nothing written for it).
 */
export async function appendTrackEventsBatch(
  client: SqlClient,
  tables: TableNames,
  items: readonly TrackBatchItem[],
  options: BatchOptions = {},
): Promise<BatchOutcome[]> {
  if (items.length === 0) return [];
  const groups = groupBySession(items);
  const found = await client.transaction(async (tx) => {
    const lock = lockTrackIndexes(tables, groups);
    const locked = await tx.query<{ n: number; tracks: string | null }>(lock.text, lock.params);
    const storedIndex = new Map(locked.rows.map((r) => [Number(r.n), r.tracks]));
    if (storedIndex.size === 0) return storedIndex;
    const write = appendTrackEventsBatchQuery(tables, groups, storedIndex, options);
    await tx.query(write.text, write.params);
    return storedIndex;
  });
  return outcomes(items.length, groups, new Set(found.keys()));
}
