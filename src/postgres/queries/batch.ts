/**
 * What the multi-row appends of asynchronous persistence share: grouping a batch's items by
 * session, the session arrays and the CTEs that update every session of a batch once (as the
 * same appends one by one would), the retry check, and the outcome of each item.
 *
 * Per session, a batch does what the same appends one by one would have done: the state deltas
 * are merged in order (later keys win) into the envelope's `state`, updated_at moves forward
 * (never back, see MONOTONIC_UPDATED_AT), expires_at is renewed, and the stored rows take their
 * ids from the sequence in append order, so the read order (created_at, id) is the append order.
 *
 * Retries: a batch whose earlier attempt failed may have committed anyway (the connection died
 * around COMMIT). With `retried`, rows such an attempt would have stored are recognised and not
 * inserted again. A session whose rows are found is not updated again either: its delta, the
 * envelope's updatedAt, updated_at and expires_at were written by that attempt, and another writer
 * may have appended since (say `last = e2` over the batch's `last = e1`); merging the old delta
 * again would put an older value over that newer one, leaving the state unlike the events read in
 * order, and would move updated_at on by the batch's spread once more (see `appliedSessionsCte`).
 * An event batch's retry runs after a statement of its own that locks its sessions (see
 * retryEventsBatch in append-batch.ts), so it sees what an attempt still running then committed.
 */
import { type SessionKey, sessionKeyId } from '../../session/keys.js';
import { formatRfc3339Nano, plusMicroseconds, toSqlTimestamp } from '../../session/time.js';
import type { TableNames } from '../schema/index.js';
import {
  MONOTONIC_UPDATED_AT,
  mergedEnvelope,
  RENEWED_EXPIRES_AT,
  type SqlQuery,
  sameIncarnation,
} from './sql.js';

/** What became of one item: written, or its session does not exist (nothing was written for it). */
export type BatchOutcome = 'stored' | 'missing';

export interface BatchOptions {
  /**
   * An earlier attempt at these same items failed and may have committed: skip event rows that
   * attempt would have stored. Leave unset on a first attempt (see `skipStored`).
   */
  retried?: boolean;
  /**
   * Event batches: up to this many characters of event JSON go to the server as one JSON array,
   * more as a `jsonb[]` literal (see append-batch.ts). Tests lower it to run the second form.
   */
  jsonArrayMaxChars?: number;
}

/**
 * Column names of the session list; none may be a column of session_states, which the UPDATE
 * reads unqualified.
 */
const SESSION_COLUMNS = 'app, usr, sid, delta, stamp, at, expires, spread, born, n';

export interface SessionGroup<Item> {
  key: SessionKey;
  /** The creation time of the session incarnation the items were accepted for (see `born`). */
  born: Date | undefined;
  items: { item: Item; index: number }[];
  /** 1-based position in the statement's session arrays. */
  n: number;
}

/** Groups items by session, sessions in order of first appearance. */
export function groupBySession<Item extends { key: SessionKey; born?: Date | undefined }>(
  items: readonly Item[],
): SessionGroup<Item>[] {
  const groups = new Map<string, SessionGroup<Item>>();
  items.forEach((item, index) => {
    // Appends accepted for two incarnations of one key (a delete and a create between them) are
    // two groups: each goes to its own incarnation, or nowhere.
    const born = item.born;
    const id = born ? `${sessionKeyId(item.key)}@${formatRfc3339Nano(born)}` : sessionKeyId(item.key);
    let group = groups.get(id);
    if (!group) {
      group = { key: item.key, born, items: [], n: 0 };
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
export const latest = (items: readonly { item: { now: Date } }[]): Date =>
  items.reduce((max, { item }) => (item.now.getTime() > max.getTime() ? item.now : max), items[0]!.item.now);

/**
 * The expiry of an append as an element of a `text[]` parameter: its UTC timestamp text, or `''`
 * for none, which the statement turns into NULL (see {@link EXPIRY_TIMESTAMP}).
 *
 * Not a NULL element: node-postgres writes one as `NULL` in the array literal, which the server
 * reads as the string "NULL" when an operator has set `array_nulls = off` (a timestamp[] then
 * fails to parse, and a text[] would silently hold the word).
 */
export const expiry = (now: Date, ttlMs: number): string =>
  ttlMs > 0 ? toSqlTimestamp(new Date(now.getTime() + ttlMs)) : '';

/** The SQL that reads an element made by {@link expiry} back as a nullable timestamp. */
export const EXPIRY_TIMESTAMP = (element: string) => `NULLIF(${element}, '')::timestamp`;

/**
 * The session arrays of a batch: key, combined delta, the last append's expiry, and the latest
 * time of any append (updated_at and the envelope's updatedAt), which is what the same appends
 * one by one would leave in updated_at even if the clock stepped back between them.
 */
interface SessionArrays {
  app: string[];
  usr: string[];
  sid: string[];
  delta: string[];
  stamp: string[];
  at: string[];
  expires: string[];
  /** Microseconds the session's updated_at moves past its latest append time: see below. */
  spread: number[];
  /** The incarnation each session's appends were accepted for (RFC 3339), or '' for any. */
  born: string[];
}

export function sessionArrays(
  rows: {
    key: SessionKey;
    born: Date | undefined;
    delta: string;
    now: Date;
    latest: Date;
    ttlMs: number;
    stored?: number;
  }[],
): SessionArrays {
  const a: SessionArrays = {
    app: [],
    usr: [],
    sid: [],
    delta: [],
    stamp: [],
    at: [],
    expires: [],
    spread: [],
    born: [],
  };
  for (const r of rows) {
    // A batch stores its events one microsecond apart (see append-batch.ts), the last one at the
    // session's new updated_at, which therefore moves (stored - 1) microseconds past the latest
    // append time, as many appends one by one within a microsecond each would have left it.
    const spread = Math.max(0, (r.stored ?? 0) - 1);
    a.app.push(r.key.appName);
    a.usr.push(r.key.userId);
    a.sid.push(r.key.sessionId);
    a.delta.push(r.delta);
    // The envelope's updatedAt is that same instant, as a Go writer keeps the two: Go's reader
    // takes the column, ours the envelope, and both must tell one time (and a list, ordered by
    // the column, must not show its times out of order). They part only where the column stays
    // at a later time another writer left (MONOTONIC_UPDATED_AT), as after a synchronous append.
    a.stamp.push(formatRfc3339Nano(plusMicroseconds(r.latest, spread)));
    a.at.push(toSqlTimestamp(r.latest));
    a.expires.push(expiry(r.now, r.ttlMs));
    a.spread.push(spread);
    a.born.push(r.born ? formatRfc3339Nano(r.born) : '');
  }
  return a;
}

/**
 * The CTEs `s` (the batch's sessions, $1..$8 and `born`), `locked` (with each live session's
 * updated_at `before` the batch) and `updated` (see {@link updatedSessionsCte}). An expired
 * session that no sweep has removed yet is written to, and so revived, as the synchronous append
 * does.
 */
export function updateSessionsCtes(t: TableNames, born: string): string {
  return `${lockSessionsCtes(t, born)}, ${updatedSessionsCte(t)}`;
}

/**
 * The CTEs `s` (the batch's sessions, $1..$8, and `born`, the placeholder of their
 * {@link SessionArrays.born}) and `locked` (each live session's id and `n`, with its updated_at
 * `before` the batch), the rows locked. A session whose appends name the incarnation they were
 * accepted for is locked only while that incarnation is the live one: appends accepted before a
 * delete are not written into a session created under the same key after it (they are missing).
 *
 * The rows are locked in id order first. An UPDATE joined to a list locks rows in whatever order
 * its plan visits them, so the event and track workers, which share sessions, would lock the same
 * rows in different orders and deadlock (each deadlock then costs deadlock_timeout, 1 s by
 * default, before a retry). Every multi-row lock here goes by id, so no cycle can form.
 */
export function lockSessionsCtes(t: TableNames, born: string): string {
  const states = t.sessionStates.qualified;
  return `s AS (
  SELECT app, usr, sid, delta, stamp, at, ${EXPIRY_TIMESTAMP('expires')} AS expires, spread, born, n
  FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamp[], $7::text[],
    $8::int[], ${born}::text[]) WITH ORDINALITY AS u(${SESSION_COLUMNS})
), locked AS (
  SELECT x.id, s.n, x.updated_at AS before FROM ${states} x
  JOIN s ON x.app_name = s.app AND x.user_id = s.usr AND x.session_id = s.sid
  WHERE x.deleted_at IS NULL AND (s.born = '' OR ${sameIncarnation('x.state', 's.born')})
  ORDER BY x.id
  FOR UPDATE OF x
)`;
}

/**
 * The CTE `updated`: the locked sessions updated as one append would (delta merged into the
 * envelope, updated_at monotonic and moved by the batch's spread, expires_at renewed), returning
 * each one's `n` and new updated_at. With `applied` (the name of a CTE of `n`s, see
 * {@link appliedSessionsCte}), the sessions it lists are left as they are.
 */
export function updatedSessionsCte(t: TableNames, applied?: string): string {
  const states = t.sessionStates.qualified;
  const skip = applied ? `\n    AND NOT EXISTS (SELECT 1 FROM ${applied} a WHERE a.n = l.n)` : '';
  return `updated AS (
  UPDATE ${states} AS t
  SET state = ${mergedEnvelope('s.delta', 's.stamp', 's.at', 's.spread')},
      updated_at = ${MONOTONIC_UPDATED_AT('s.at')} + s.spread * interval '1 microsecond',
      expires_at = ${RENEWED_EXPIRES_AT('s.expires')}
  FROM locked l JOIN s ON s.n = l.n
  WHERE t.id = l.id${skip}
  RETURNING s.n, updated_at
)`;
}

/**
 * On a retry, the CTE `applied`: the sessions (`n`) an earlier attempt of the batch already wrote,
 * from `known`, a CTE with one row per row the batch stores (`sn`, its session, and `stored`,
 * whether that row is already there, see {@link storedCount}).
 *
 * An attempt is one transaction: it stored all of its rows and updated all of its sessions, or
 * did nothing. So a session with rows in the batch counts as written when any of them is found
 * (a row alone cannot be there without its session update), and not when none is. A session with
 * no rows in the batch (only deltas of events that are not stored) has nothing of its own to be
 * found by; it follows the rest of the batch: written when any row of the batch is found. A batch
 * of such sessions only cannot tell, and merges its deltas again, as every retry did before.
 */
export function appliedSessionsCte(known: string): string {
  return `applied AS (
  SELECT s.n FROM s LEFT JOIN ${known} k ON k.sn = s.n
  GROUP BY s.n
  HAVING coalesce(bool_or(k.stored), (SELECT bool_or(stored) FROM ${known}), false)
)`;
}

/**
 * Locks the live session rows of a batch's groups in id order (the order every batch statement
 * locks in, so two batches never deadlock), returning each one's `n` and the `columns` given (SQL
 * expressions over the row `x`, each with its alias). A group that names its incarnation (`born`)
 * finds its row only while that incarnation is the live one, as in {@link lockSessionsCtes}.
 */
export function lockSessionRows(
  t: TableNames,
  groups: readonly SessionGroup<unknown>[],
  columns = '',
): SqlQuery {
  const text = `SELECT s.n::int AS n${columns ? `, ${columns}` : ''}
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS s(app, usr, sid, born, n)
JOIN ${t.sessionStates.qualified} x
  ON x.app_name = s.app AND x.user_id = s.usr AND x.session_id = s.sid AND x.deleted_at IS NULL
  AND (s.born = '' OR ${sameIncarnation('x.state', 's.born')})
ORDER BY x.id
FOR UPDATE OF x`;
  return {
    text,
    params: [
      groups.map((g) => g.key.appName),
      groups.map((g) => g.key.userId),
      groups.map((g) => g.key.sessionId),
      groups.map((g) => (g.born ? formatRfc3339Nano(g.born) : '')),
    ],
  };
}

export function sessionParams(a: SessionArrays): unknown[] {
  return [a.app, a.usr, a.sid, a.delta, a.stamp, a.at, a.expires, a.spread];
}

/**
 * On a retry, an item is inserted only when fewer rows matching it (`match`, a condition on the
 * stored row `x`) are already stored than the item's rank among the batch's identical items: if
 * the earlier attempt committed, every item finds its own row and is skipped; if it did not,
 * nothing of the batch is there and every item is inserted. Counting, rather than "skip if any
 * exists", keeps two identical items of one batch (an event appended twice) as two rows.
 */
export function skipStored(table: string, rank: string, match: string): string {
  return `\n  WHERE ${rank} > ${storedCount(table, match)}`;
}

/** The count {@link skipStored} compares an item's rank with: the stored rows matching it. */
export function storedCount(table: string, match: string): string {
  return `(SELECT count(*) FROM ${table} x
    WHERE x.app_name = s.app AND x.user_id = s.usr AND x.session_id = s.sid AND ${match})`;
}

export function outcomes<Item>(
  count: number,
  groups: SessionGroup<Item>[],
  found: Set<number>,
): BatchOutcome[] {
  const result: BatchOutcome[] = new Array(count);
  for (const g of groups) {
    const outcome = found.has(g.n) ? 'stored' : 'missing';
    for (const { index } of g.items) result[index] = outcome;
  }
  return result;
}
