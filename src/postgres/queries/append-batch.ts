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
import type { SqlClient, SqlExecutor } from '../../sql/client.js';
import { JsonArrayParam } from '../../sql/json-array.js';
import type { TableNames } from '../schema/index.js';
import {
  appliedSessionsCte,
  type BatchOptions,
  type BatchOutcome,
  combineDeltas,
  groupBySession,
  latest,
  lockSessionRows,
  lockSessionsCtes,
  outcomes,
  type SessionGroup,
  sessionArrays,
  sessionParams,
  storedCount,
  updatedSessionsCte,
  updateSessionsCtes,
} from './batch.js';
import type { SqlQuery } from './sql.js';

/** The placeholder of the sessions' incarnations (SessionArrays.born); the events are $12. */
const BORN = '$11';

/** One appendEvent, as the asynchronous writer hands it over. */
export interface EventBatchItem {
  key: SessionKey;
  /**
   * With asynchronous persistence, the creation time of the session the append was accepted for:
   * written only to that incarnation of the key, never to one created after a delete (then the
   * item's session is missing). Undefined: whichever session lives under the key.
   */
  born?: Date | undefined;
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
 * (a {@link JsonArrayParam}) rather than as a `jsonb[]` array literal. The driver writes an array
 * literal by escaping every quote and backslash of every element into a copy, and that copying
 * was the largest cost of an asynchronous append in the profile (its garbage above all). Past the
 * bound, the array literal is kept: a single jsonb value (the whole array) may not exceed 255 MB,
 * while each element of a `jsonb[]` is bounded on its own. A character takes up to 3 bytes of
 * UTF-8, so the bound is a third of that, in characters.
 */
const JSON_ARRAY_MAX_CHARS = Math.floor((255 * 1024 * 1024) / 3);

/**
 * The events of a batch as the statement takes them: `element(ord)` is the event at 1-based
 * position `ord` of `$12`, and `param` is what goes in `$12`.
 *
 * The statement orders and numbers the batch's rows on narrow columns (session, time, position)
 * and takes each event out of `$12` only when it inserts the row: sorting rows that carried the
 * event took 2.4 of a 500-event batch's 13.6 ms of execution, the sort copying every event.
 * Element access is cheap on a jsonb array (offsets are stored); on a `jsonb[]` it walks the
 * array, but that form is only used past {@link JSON_ARRAY_MAX_CHARS}.
 *
 * The events are the last parameter because the driver writes parameters one after another into
 * a buffer that grows by copying: after half a megabyte of events, even the small array of times
 * made it allocate a larger buffer and copy the events into it (6% of the CPU of concurrent
 * asynchronous appends, most of it the page faults of touching the fresh memory).
 */
function eventsInput(
  eventJson: readonly string[],
  maxChars: number,
): { element: (ord: string) => string; param: JsonArrayParam | readonly string[] } {
  let chars = 0;
  for (const text of eventJson) chars += text.length;
  if (chars > maxChars) return { element: (ord) => `($12::jsonb[])[${ord}]`, param: eventJson };
  return { element: (ord) => `($12::jsonb -> (${ord}::int - 1))`, param: new JsonArrayParam(eventJson) };
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
        born: g.born,
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
  const event = input.element;
  const events = t.sessionEvents.qualified;
  const text = options.retried
    ? retryText(t, events, event)
    : `WITH ${updateSessionsCtes(t, BORN)}, ev AS (
  SELECT e.sn, e.ord, e.at,
    row_number() OVER (PARTITION BY e.sn ORDER BY e.ord) - 1 AS k
  FROM unnest($9::int[], $10::timestamp[]) WITH ORDINALITY AS e(sn, at, ord)
), stamped AS (
  SELECT ev.*, GREATEST(ev.at, l.before) + ev.k * interval '1 microsecond' AS created
  FROM ev JOIN locked l ON l.n = ev.sn
), ordered AS (
  SELECT s.app, s.usr, s.sid, ev.ord, ev.created
  FROM stamped ev JOIN updated u ON u.n = ev.sn JOIN s ON s.n = ev.sn
  ORDER BY ev.ord
  OFFSET 0
), ${insertedCte(events, event)}
SELECT n::int AS n FROM updated`;
  // ORDER BY ev.ord: the INSERT takes its rows from the sorted SELECT one by one, so the ids the
  // sequence hands out follow the append order. OFFSET 0 keeps that sort a step of its own, below
  // the event's extraction, so the sort does not carry the events.
  return {
    query: {
      text,
      params: [...sessionParams(sessions), eventSession, eventTime, sessions.born, input.param],
    },
    groups,
  };
}

/** The CTE `inserted`: the rows of `ordered`, inserted in its order. */
function insertedCte(events: string, event: (ord: string) => string): string {
  return `inserted AS (
  INSERT INTO ${events} (app_name, user_id, session_id, event, created_at, updated_at)
  SELECT o.app, o.usr, o.sid, ${event('o.ord')}, o.created, o.created
  FROM ordered o
  RETURNING 1
)`;
}

/**
 * The statement of a retry: the batch's rows are checked against the stored ones first (`known`),
 * then the sessions whose rows are found (`applied`, see appliedSessionsCte in batch.ts) are
 * left as they are, and only the rows not found are inserted. The sessions found are the live
 * ones (`locked`), updated or not.
 *
 * Rows an earlier attempt stored carry the same event id and a created_at at least the session's
 * first append time of the batch: the bound lets the lookup index (app_name, user_id, session_id,
 * created_at) confine the check to this batch's time. `rank` numbers the batch's identical events
 * of a session (see skipStored in batch.ts).
 */
function retryText(t: TableNames, events: string, event: (ord: string) => string): string {
  const match = `x.created_at >= ev.first AND (x.event->>'id') IS NOT DISTINCT FROM (${event('ev.ord')}->>'id')`;
  return `WITH ${lockSessionsCtes(t, BORN)}, ev AS (
  SELECT e.sn, e.ord, e.at,
    row_number() OVER (PARTITION BY e.sn ORDER BY e.ord) - 1 AS k,
    row_number() OVER (PARTITION BY e.sn, ${event('e.ord')}->>'id' ORDER BY e.ord) AS rank,
    min(e.at) OVER (PARTITION BY e.sn) AS first
  FROM unnest($9::int[], $10::timestamp[]) WITH ORDINALITY AS e(sn, at, ord)
), known AS (
  SELECT ev.*, ev.rank <= ${storedCount(events, match)} AS stored
  FROM ev JOIN s ON s.n = ev.sn
), ${appliedSessionsCte('known')}, ${updatedSessionsCte(t, 'applied')}, stamped AS (
  SELECT ev.*, GREATEST(ev.at, l.before) + ev.k * interval '1 microsecond' AS created
  FROM known ev JOIN locked l ON l.n = ev.sn
), ordered AS (
  SELECT s.app, s.usr, s.sid, ev.ord, ev.created
  FROM stamped ev JOIN s ON s.n = ev.sn
  WHERE NOT ev.stored
  ORDER BY ev.ord
  OFFSET 0
), ${insertedCte(events, event)}
SELECT n::int AS n FROM locked`;
}

/**
 * Appends a batch of events (any number of sessions) in ONE statement and one round trip. For
 * each item, in order: `stored` (its delta was merged and, if persistable, its event inserted;
 * on a retry, or found already written by an earlier attempt) or `missing` (its session does not exist or was deleted; nothing was written for it).
 * A retry of a batch whose earlier attempt may still be running goes through
 * {@link retryEventsBatch} instead, which `retried` here assumes.
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

/**
 * Appends a batch again after an attempt that failed on our side: its connection was cut, or its
 * answer did not come in time. That attempt may still be running on the server, waiting for a
 * session's row lock, and commit after we gave up on it. The retry statement looks for its rows
 * in the snapshot its statement starts with (READ COMMITTED), and a row lock it waits for does not
 * renew that snapshot: rows such an attempt commits while the retry waits would go unseen, and
 * every event of the batch would be stored twice. So the retry first locks the batch's session
 * rows in a statement of its own, in one transaction with the retry statement: an attempt that
 * holds or waits ahead for those locks has committed or rolled back by then, and the retry
 * statement, started after, sees what it stored.
 */
export async function retryEventsBatch(
  client: SqlClient,
  tables: TableNames,
  items: readonly EventBatchItem[],
  options: Omit<BatchOptions, 'retried'> = {},
): Promise<BatchOutcome[]> {
  if (items.length === 0) return [];
  const lock = lockSessionRows(tables, groupBySession(items));
  return client.transaction(async (tx) => {
    await tx.query(lock.text, lock.params);
    return appendEventsBatch(tx, tables, items, { ...options, retried: true });
  });
}
