/**
 * Statements on the events table: the one-round-trip append, the keyset lookups the read path
 * needs in its rare cases, and the event window around an anchor.
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import {
  isLive,
  type KeyParams,
  keyParams,
  matchesKey,
  Params,
  type SqlQuery,
  sameText,
  touchLiveSession,
} from './sql.js';

/**
 * Appends an event in one statement (one round trip, no transaction): the UPDATE merges the
 * event's state delta into the live session row and moves updated_at/expires_at, and the INSERT
 * takes its row from the UPDATE's RETURNING, so nothing is inserted for a missing session.
 *
 * Order under concurrency: the UPDATE's row lock makes appends to one session take turns across
 * every process, and the event is stamped with the session's new updated_at, which never goes
 * back (see MONOTONIC_UPDATED_AT); its id comes from the sequence after the lock is held. So
 * (created_at, id), the read order, is the order in which appends committed.
 *
 * @param a.event the event JSON, or null for an event that is not stored (its delta still is).
 */
export function appendEvent(
  t: TableNames,
  a: {
    key: SessionKey;
    delta: string;
    event: string | null;
    now: string;
    updatedAtJson: string;
    expiresAt: string | null;
  },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const update = `${touchLiveSession(t, p, k, now, { ...a, delta: p.add(a.delta, 'jsonb') })}
  RETURNING updated_at`;
  if (a.event === null) return { text: sameText(t, 'append delta', update), params: p.values };
  const text = `WITH updated AS (
  ${update}
), inserted AS (
  INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
  SELECT ${k.app}, ${k.user}, ${k.session}, ${p.add(a.event, 'jsonb')}, updated_at, updated_at FROM updated
  RETURNING 1
)
SELECT updated_at FROM updated`;
  return { text: sameText(t, 'append', text), params: p.values };
}

/**
 * `e` is a live event of the session stored before the cursor row `c`, in read order.
 * The row-value comparison is exact (no timestamp leaves the database); the plain `<=` on
 * created_at lets the lookup index bound the scan.
 */
function storedBefore(k: KeyParams): string {
  return `${matchesKey(k, 'e')} AND e.deleted_at IS NULL
  AND e.created_at <= c.created_at AND (e.created_at, e.id) < (c.created_at, c.id)`;
}

function cursorRow(t: TableNames, cursor: string): string {
  return `(SELECT created_at, id FROM ${t.sessionEvents.qualified} WHERE id = ${cursor}) c`;
}

/** A row of {@link timestampsAtOrAfter}. */
export interface TimestampsAtOrAfterRow {
  /** Whether some event's timestamp is surely at or after the bound. */
  sure: boolean;
  /** The distinct timestamp texts within a microsecond of the bound, for the caller to compare. */
  near: string[] | null;
}

/**
 * Whether an event stored before the event row `cursor` has its own timestamp (the event JSON's)
 * at or after `bound`. PostgreSQL keeps microseconds while Go and the read filter compare
 * nanoseconds: an event a whole microsecond past the bound surely is (one EXISTS), and the
 * timestamps of those within a microsecond of it (however many events share them) come back as
 * text for the caller's exact comparison.
 */
export function timestampsAtOrAfter(t: TableNames, key: SessionKey, cursor: string, bound: string): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const c = p.add(cursor, 'text');
  const b = p.add(bound, 'timestamptz');
  const events = `${t.sessionEvents.qualified} e, ${cursorRow(t, `${c}::bigint`)}`;
  const at = `(e.event->>'timestamp')::timestamptz`;
  const text = `SELECT
  EXISTS (SELECT 1 FROM ${events} WHERE ${storedBefore(k)} AND ${at} >= ${b} + interval '1 microsecond') AS sure,
  ARRAY (SELECT DISTINCT e.event->>'timestamp' FROM ${events}
    WHERE ${storedBefore(k)} AND ${at} >= ${b} - interval '1 microsecond'
      AND ${at} < ${b} + interval '1 microsecond') AS near`;
  return { text, params: p.values };
}

/** JSON containment tests for "some choice is a user message", as isUserMessage reads it. */
const IS_USER_MESSAGE = `(e.event->'choices' @> '[{"message":{"role":"user"}}]'::jsonb
    OR e.event->'choices' @> '[{"delta":{"role":"user"}}]'::jsonb)`;

/** The newest user message stored before the event row `cursor`, if any. */
export function lastUserEventBefore(t: TableNames, key: SessionKey, cursor: string): SqlQuery {
  const p = new Params();
  const k = keyParams(p, key);
  const c = p.add(cursor, 'text');
  const text = `SELECT e.id::text AS row_id, e.event::text AS body
FROM ${t.sessionEvents.qualified} e, ${cursorRow(t, `${c}::bigint`)}
WHERE ${storedBefore(k)} AND ${IS_USER_MESSAGE}
ORDER BY e.created_at DESC, e.id DESC
LIMIT 1`;
  return { text, params: p.values };
}

/** A row of {@link eventWindow} and {@link eventWindowPage}. */
export interface EventWindowRow {
  /** The anchor `a`, or a row before (`b`) or after (`f`) it; the anchor comes first. */
  part: 'a' | 'b' | 'f';
  row_id: string;
  body: string;
  /** As the database wrote it (see compareStored). */
  created_at: string;
  /**
   * The session row's created_at, which a page pins: a session deleted and created again with
   * its id between two pages has another, so a later page reads nothing of the new one.
   */
  session_created: string;
}

/** The live session row, and the events stored since it was created (not those of an earlier session with its id). */
function windowScope(t: TableNames, k: KeyParams, now: string, createdAt?: string) {
  const same = createdAt === undefined ? '' : ` AND created_at = ${createdAt}`;
  return {
    session: `SELECT created_at FROM ${t.sessionStates.qualified} WHERE ${matchesKey(k)} AND ${isLive(now)}${same}`,
    inSession: `${matchesKey(k, 'e')} AND e.deleted_at IS NULL AND e.created_at >= s.created_at`,
  };
}

/** Stored events strictly before (`b`) or after (`f`) the place `(c.created_at, c.id)`, nearest first. */
function neighbours(events: string, inSession: string, side: 'b' | 'f', limit: string, from: string): string {
  const [cmp, order] = side === 'b' ? ['<', 'DESC'] : ['>', 'ASC'];
  return `SELECT '${side}', e.id::text, e.event::text, e.created_at::text, s.created_at::text FROM ${events} e, s, ${from} c
 WHERE ${inSession} AND e.created_at ${cmp}= c.created_at AND (e.created_at, e.id) ${cmp} (c.created_at, c.id)
 ORDER BY e.created_at ${order}, e.id ${order}
 LIMIT ${limit}`;
}

/**
 * The anchor event (the first live event whose JSON `id` is `anchorId`) with the first page of
 * the live events stored before it (`before` rows at most, nearest first) and after it (`after`),
 * in one statement. A window counts only the events it shows (see session/window.ts), which SQL
 * cannot tell, so the caller reads further pages with {@link eventWindowPage} while a side is
 * short. No rows: the session is missing or expired, or has no such event.
 */
export function eventWindow(
  t: TableNames,
  a: { key: SessionKey; anchorId: string; before: number; after: number; now: string },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const events = t.sessionEvents.qualified;
  const { session, inSession } = windowScope(t, k, now);
  const text = `WITH s AS (${session}), a AS (
  SELECT e.id, e.created_at FROM ${events} e, s
  WHERE ${inSession} AND e.event->>'id' = ${p.add(a.anchorId, 'text')}
  ORDER BY e.created_at, e.id
  LIMIT 1
)
SELECT 'a' AS part, e.id::text AS row_id, e.event::text AS body, e.created_at::text AS created_at,
  s.created_at::text AS session_created
 FROM ${events} e JOIN a ON e.id = a.id, s
UNION ALL
(${neighbours(events, inSession, 'b', p.add(a.before, 'int'), 'a')})
UNION ALL
(${neighbours(events, inSession, 'f', p.add(a.after, 'int'), 'a')})`;
  return { text, params: p.values };
}

/**
 * The next page of one side of a window: up to `limit` live events of the session stored before
 * (`b`) or after (`f`) the event at `(createdAt, rowId)`, nearest first. No rows once the side
 * is exhausted, or the session is gone or no longer the one the window began in (another
 * `sessionCreated`).
 */
export function eventWindowPage(
  t: TableNames,
  a: {
    key: SessionKey;
    sessionCreated: string;
    side: 'b' | 'f';
    createdAt: string;
    rowId: string;
    limit: number;
    now: string;
  },
): SqlQuery {
  const p = new Params();
  const k = keyParams(p, a.key);
  const now = p.add(a.now, 'timestamp');
  const { session, inSession } = windowScope(t, k, now, p.add(a.sessionCreated, 'timestamp'));
  const text = `WITH s AS (${session}), c AS (
  SELECT ${p.add(a.createdAt, 'timestamp')} AS created_at, ${p.add(a.rowId, 'bigint')} AS id
)
SELECT part, row_id, body, created_at, session_created FROM (
${neighbours(t.sessionEvents.qualified, inSession, a.side, p.add(a.limit, 'int'), 'c')}
) AS page(part, row_id, body, created_at, session_created)`;
  return { text, params: p.values };
}
