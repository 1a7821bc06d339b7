/**
 * The multi-row append of track events for asynchronous persistence: one short transaction writes
 * a whole batch of track events for many sessions and tracks (see batch.ts for what a batch does
 * per session, and for retries).
 */
import { encodeStateMap, encodeTrackNames, storedTrackNames } from '../../session/codec/index.js';
import type { StorageError } from '../../session/errors.js';
import type { SessionKey } from '../../session/keys.js';
import { TRACKS_STATE_KEY } from '../../session/state.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlClient } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import {
  type BatchOptions,
  type BatchOutcome,
  EXPIRY_TIMESTAMP,
  expiry,
  groupBySession,
  latest,
  lockSessionRows,
  outcomes,
  type SessionGroup,
  sessionArrays,
  sessionParams,
  skipStored,
  updateSessionsCtes,
} from './batch.js';
import type { SqlQuery } from './sql.js';

/** One appendTrackEvent, as the asynchronous writer hands it over. */
export interface TrackBatchItem {
  key: SessionKey;
  /**
   * With asynchronous persistence, the creation time of the session the append was accepted for:
   * written only to that incarnation of the key, never to one created after a delete (then the
   * item's session is missing). Undefined: whichever session lives under the key.
   */
  born?: Date | undefined;
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

/** The stored `tracks` index of each live session of the batch, locking the rows in id order. */
const lockTrackIndexes = (t: TableNames, groups: SessionGroup<TrackBatchItem>[]): SqlQuery =>
  lockSessionRows(t, groups, `x.state #>> '{state,tracks}' AS tracks`);

/** The stored index (base64 text) as bytes. */
const indexBytes = (base64: string | null) => (base64 === null ? null : Buffer.from(base64, 'base64'));

/**
 * The error of a session whose stored `tracks` index does not decode, as the synchronous append
 * throws it, or undefined. Its track events are not written: extending the index would replace
 * it, silently dropping what it listed.
 */
function unreadableIndex(key: SessionKey, base64: string | null): StorageError | undefined {
  try {
    storedTrackNames(indexBytes(base64), key.sessionId);
    return undefined;
  } catch (error) {
    return error as StorageError;
  }
}

/**
 * The delta that adds the batch's new tracks, in first-append order, to the stored index; `{}`
 * when every track is listed already.
 */
function trackIndexDelta(key: SessionKey, stored: string | null, tracks: readonly string[]): string {
  const names = storedTrackNames(indexBytes(stored), key.sessionId);
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
        g.key,
        storedIndex.get(g.n) ?? null,
        g.items.map((i) => i.item.track),
      );
      return {
        key: g.key,
        born: g.born,
        delta,
        now: last.now,
        latest: latest(g.items),
        ttlMs: last.sessionTtlMs,
      };
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
  // $13: the sessions' incarnations (SessionArrays.born); the track events are $14.
  const text = `WITH ${updateSessionsCtes(t, '$13')}, tr AS (
  SELECT e.sn, e.track, e.event, e.ts, ${EXPIRY_TIMESTAMP('e.expires')} AS expires, e.ord,
    row_number() OVER (PARTITION BY e.sn, e.track, e.ts, e.event ORDER BY e.ord) AS rank
  FROM unnest($9::int[], $10::text[], $14::jsonb[], $11::timestamp[], $12::text[])
    WITH ORDINALITY AS e(sn, track, event, ts, expires, ord)
), inserted AS (
  INSERT INTO ${tracks} (app_name, user_id, session_id, track, event, created_at, updated_at, expires_at)
  SELECT s.app, s.usr, s.sid, tr.track, tr.event, tr.ts, tr.ts, tr.expires
  FROM tr JOIN updated u ON u.n = tr.sn JOIN s ON s.n = tr.sn${dedupe}
  ORDER BY tr.ord
  RETURNING 1
)
SELECT n::int AS n FROM updated`;
  // The track events last: the largest parameter, so the driver's growing buffer never copies it
  // (see eventsInput in append-batch.ts).
  const params = [
    ...sessionParams(sessions),
    rows.map((r) => r.sn),
    rows.map((r) => r.item.track),
    rows.map((r) => toSqlTimestamp(r.item.timestamp)),
    rows.map((r) => expiry(r.item.now, r.item.trackTtlMs)),
    sessions.born,
    rows.map((r) => r.item.eventJson),
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
 * For each item: `stored`; `missing` when its session does not exist; or a StorageError when its
 * session's stored index does not decode (nothing written for it in either case).
 */
export async function appendTrackEventsBatch(
  client: SqlClient,
  tables: TableNames,
  items: readonly TrackBatchItem[],
  options: BatchOptions = {},
): Promise<(BatchOutcome | StorageError)[]> {
  if (items.length === 0) return [];
  const groups = groupBySession(items);
  const unreadable = new Map<number, StorageError>();
  const found = await client.transaction(async (tx) => {
    const lock = lockTrackIndexes(tables, groups);
    const locked = await tx.query<{ n: number; tracks: string | null }>(lock.text, lock.params);
    const storedIndex = new Map(locked.rows.map((r) => [Number(r.n), r.tracks]));
    for (const g of groups) {
      const error = storedIndex.has(g.n) ? unreadableIndex(g.key, storedIndex.get(g.n) ?? null) : undefined;
      if (error) unreadable.set(g.n, error);
    }
    const writable = new Map([...storedIndex].filter(([n]) => !unreadable.has(n)));
    if (writable.size === 0) return storedIndex;
    const write = appendTrackEventsBatchQuery(tables, groups, writable, options);
    await tx.query(write.text, write.params);
    return storedIndex;
  });
  const result: (BatchOutcome | StorageError)[] = outcomes(items.length, groups, new Set(found.keys()));
  for (const g of groups) {
    const error = unreadable.get(g.n);
    if (error) for (const { index } of g.items) result[index] = error;
  }
  return result;
}
