/**
 * The multi-row append of events for asynchronous persistence: one statement writes a whole batch
 * of events for many sessions, instead of one statement per event (see batch.ts for what a batch
 * does per session, and for retries).
 *
 * Each stored event gets its own created_at, as if the appends had run one by one: the latest
 * append time so far in its session (never earlier than the session's updated_at before the
 * batch), plus one microsecond per event of the session stored before it in the batch; the last
 * one lands on the session's new updated_at. Giving the whole batch one created_at (as before)
 * made a read of the newest N events fetch and sort every tied row of a batch of hundreds.
 */

import type { SessionKey } from '../../session/keys.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlExecutor } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import {
  type BatchOptions,
  type BatchOutcome,
  combineDeltas,
  groupBySession,
  latest,
  outcomes,
  type SessionGroup,
  sessionArrays,
  sessionParams,
  skipStored,
  updateSessionsCtes,
} from './batch.js';
import type { SqlQuery } from './sql.js';

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

/**
 * Up to this many characters of event JSON, a batch's events go to the server as ONE JSON array
 * (`[e1,e2,...]`, built by joining the texts) rather than as a `jsonb[]` array literal. The driver
 * writes an array literal by escaping every quote and backslash of every element into a copy,
 * and that copying was the largest cost of an asynchronous append in the profile (its garbage
 * above all). Past the bound, the array literal is kept: a single jsonb value (the whole array)
 * may not exceed 255 MB, while each element of a `jsonb[]` is bounded on its own.
 */
const JSON_ARRAY_MAX_CHARS = 128 * 1024 * 1024;

/**
 * The events of a batch as the statement takes them: `rows` zips `$9` (session number), `$11`
 * (event) and `$10` (time) in order, and `param` is what goes in `$11`.
 *
 * The events are the last parameter because the driver writes parameters one after another into
 * a buffer that grows by copying: after half a megabyte of events, even the small array of times
 * made it allocate a larger buffer and copy the events into it (6% of the CPU of concurrent
 * asynchronous appends, most of it the page faults of touching the fresh memory).
 */
function eventsInput(
  eventJson: readonly string[],
  maxChars: number,
): { rows: string; param: string | readonly string[] } {
  let chars = 0;
  for (const text of eventJson) chars += text.length;
  if (chars > maxChars) {
    return { rows: 'unnest($9::int[], $11::jsonb[], $10::timestamp[])', param: eventJson };
  }
  return {
    rows: 'ROWS FROM (unnest($9::int[]), jsonb_array_elements($11::jsonb), unnest($10::timestamp[]))',
    param: jsonArray(eventJson),
  };
}

/**
 * `[a,b,...]` as one flat string. Wrapping the joined items in brackets afterwards (`[${...}]`)
 * leaves a rope around half a megabyte of text, which the driver then flattens and measures
 * before encoding it: that doubled the cost of handing a 500-event batch to the driver (4.9 ms
 * against 2.6 ms). The brackets go on the first and last items instead, and one join copies all.
 */
function jsonArray(items: readonly string[]): string {
  if (items.length === 0) return '[]';
  const parts = items.slice();
  parts[0] = `[${parts[0]}`;
  parts[parts.length - 1] = `${parts[parts.length - 1]}]`;
  return parts.join(',');
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
        stored: g.items.reduce((n, { item }) => (item.eventJson === null ? n : n + 1), 0),
      };
    }),
  );
  // Events in item order, each pointing at its session; unstored events only carried a delta.
  const sessionOf: number[] = new Array(items.length);
  for (const g of groups) for (const { index } of g.items) sessionOf[index] = g.n;
  const eventSession: number[] = [];
  const eventJson: string[] = [];
  const eventTime: string[] = [];
  // The latest append time so far, per session: what updated_at would be after each append.
  const latestSoFar = new Map<number, number>();
  for (const [index, item] of items.entries()) {
    const n = sessionOf[index]!;
    const time = Math.max(latestSoFar.get(n) ?? Number.NEGATIVE_INFINITY, item.now.getTime());
    latestSoFar.set(n, time);
    if (item.eventJson === null) continue;
    eventSession.push(n);
    eventJson.push(item.eventJson);
    eventTime.push(toSqlTimestamp(new Date(time)));
  }
  const input = eventsInput(eventJson, options.jsonArrayMaxChars ?? JSON_ARRAY_MAX_CHARS);
  const events = t.sessionEvents.qualified;
  // Rows an earlier attempt stored carry the same event id and a created_at at least the
  // session's first append time of the batch: the bound lets the lookup index
  // (app_name, user_id, session_id, created_at) confine the check to this batch's time.
  const dedupe = options.retried
    ? skipStored(
        events,
        'ev.rank',
        `x.created_at >= ev.first AND (x.event->>'id') IS NOT DISTINCT FROM (ev.event->>'id')`,
      )
    : '';
  const text = `WITH ${updateSessionsCtes(t)}, ev AS (
  SELECT e.sn, e.event, e.ord, e.at,
    row_number() OVER (PARTITION BY e.sn, e.event->>'id' ORDER BY e.ord) AS rank,
    row_number() OVER (PARTITION BY e.sn ORDER BY e.ord) - 1 AS k,
    min(e.at) OVER (PARTITION BY e.sn) AS first
  FROM ${input.rows} WITH ORDINALITY AS e(sn, event, at, ord)
), stamped AS (
  SELECT ev.*, GREATEST(ev.at, l.before) + ev.k * interval '1 microsecond' AS created
  FROM ev JOIN locked l ON l.n = ev.sn
), inserted AS (
  INSERT INTO ${events} (app_name, user_id, session_id, event, created_at, updated_at)
  SELECT s.app, s.usr, s.sid, ev.event, ev.created, ev.created
  FROM stamped ev JOIN updated u ON u.n = ev.sn JOIN s ON s.n = ev.sn${dedupe}
  ORDER BY ev.ord
  RETURNING 1
)
SELECT n::int AS n FROM updated`;
  // ORDER BY ev.ord: the INSERT takes its rows from the sorted SELECT one by one, so the ids the
  // sequence hands out follow the append order.
  return {
    query: { text, params: [...sessionParams(sessions), eventSession, eventTime, input.param] },
    groups,
  };
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
