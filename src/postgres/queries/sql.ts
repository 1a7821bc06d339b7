/**
 * The building blocks every statement shares: the statement type, a parameter list that hands out
 * typed placeholders, and the few predicates that appear in almost every query.
 *
 * Table names come from `tableNames()` (validated and quoted once); every value is a parameter,
 * and every placeholder carries its type, so the server never has to guess (an untyped parameter
 * that appears only in `$n IS NULL` is an error) and node-postgres and PGlite plan alike.
 */
import type { SessionKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';

/** A statement and its parameters. */
export interface SqlQuery {
  text: string;
  params: unknown[];
}

/** The statement texts handed out so far, per table set, by statement and shape. */
const TEXTS = new WeakMap<TableNames, Map<string, string>>();

/**
 * The first text built for this table set, statement and shape, so a statement run on every call
 * has one string object. A text built anew is a new string, which the statement-name lookup
 * (statement-names.ts) hashed whole and node-postgres compared whole with the text it prepared,
 * each call: 7 µs a read, against 0.3 µs for the same object, whose hash is kept and which
 * compares by identity. `shape` must name everything but the table names that changes the text
 * (test/postgres/statement-texts.property.test.ts builds every shape against fresh texts).
 */
export function sameText(t: TableNames, shape: string, text: string): string {
  let texts = TEXTS.get(t);
  if (texts === undefined) {
    texts = new Map();
    TEXTS.set(t, texts);
  }
  const known = texts.get(shape);
  if (known !== undefined) return known;
  texts.set(shape, text);
  return text;
}

/** Collects parameter values and returns their `$n::type` placeholders. */
export class Params {
  readonly values: unknown[] = [];

  /** Adds a value; the placeholder may be used any number of times in the statement. */
  add(
    value: unknown,
    type: 'text' | 'text[]' | 'int' | 'bigint' | 'jsonb' | 'timestamp' | 'timestamptz',
  ): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** Placeholders of a session key, added in the order appName, userId, sessionId. */
export interface KeyParams {
  app: string;
  user: string;
  session: string;
}

export function keyParams(p: Params, key: SessionKey): KeyParams {
  return {
    app: p.add(key.appName, 'text'),
    user: p.add(key.userId, 'text'),
    session: p.add(key.sessionId, 'text'),
  };
}

/** `app_name = $a AND user_id = $u AND session_id = $s`, optionally on a table alias. */
export function matchesKey(k: KeyParams, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}app_name = ${k.app} AND ${a}user_id = ${k.user} AND ${a}session_id = ${k.session}`;
}

/** Rows that are neither soft-deleted nor expired at `now` (a timestamp placeholder). */
export function isLive(now: string, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}deleted_at IS NULL AND (${a}expires_at IS NULL OR ${a}expires_at > ${now})`;
}

/**
 * The session-state envelope `{id, state, createdAt, updatedAt}` with `delta` (a jsonb state map
 * of base64 values) merged into its `state` and `updatedAt` moved to the writer's `now` (a
 * timestamp expression; see monotonicUpdatedAtJson), computed from the row's
 * current value inside the UPDATE. Merging in SQL, under the row lock the UPDATE takes, is what
 * lets concurrent writers of one session each keep their keys: a read-modify-write in the client
 * would let the later writer overwrite the earlier one's delta.
 *
 * A NULL, JSON-null or non-object envelope (rows written by hand, or by an older writer) counts as
 * `{}`, and so does a missing or non-object `state`, as Go's decoder treats them.
 */
export function mergedEnvelope(delta: string, updatedAt: string, now: string, spread?: string): string {
  const envelope = `(CASE WHEN jsonb_typeof(state) = 'object' THEN state ELSE '{}'::jsonb END)`;
  const inner = `(CASE WHEN jsonb_typeof(state->'state') = 'object' THEN state->'state' ELSE '{}'::jsonb END)`;
  return `${envelope} || jsonb_build_object('state', ${inner} || ${delta}, 'updatedAt', ${monotonicUpdatedAtJson(updatedAt, now, spread)})`;
}

/**
 * The envelope's new `updatedAt`: the writer's (RFC 3339 text, at `now`, a UTC timestamp
 * expression), unless the envelope holds a later instant, which it keeps. Reads take a session's
 * updatedAt from the envelope: written unconditionally, a writer whose clock ran behind another's
 * moved it back in time, and listSessions (ordered by the column, which MONOTONIC_UPDATED_AT keeps)
 * returned sessions out of their newest-first order. The envelope is compared as an instant, not
 * with the column: Go in another time zone writes the column in its local wall-clock time. A value
 * that is not an RFC 3339 timestamp is replaced, as before.
 */
function monotonicUpdatedAtJson(updatedAt: string, now: string, spread?: string): string {
  const stored = `state->>'updatedAt'`;
  const instant = `((${stored})::timestamptz AT TIME ZONE 'UTC')`;
  return `(CASE WHEN jsonb_typeof(state->'updatedAt') = 'string' AND ${stored} ~ '${RFC3339}'
      AND ${now} < ${instant}
    THEN ${spread ? keptMovedBy(instant, spread) : `state->'updatedAt'`} ELSE to_jsonb(${updatedAt}::text) END)`;
}

/**
 * A kept envelope `updatedAt` (`instant`, UTC) moved on by a batch's `spread` microseconds, as
 * the updated_at column is (see updatedSessionsCte): kept as it was, it would tell an earlier
 * time than the column, and listSessions, ordered by the column, would show sessions out of the
 * order of the times it returns. Written as Go's RFC 3339 in UTC (trailing zeros of the fraction
 * trimmed); the stored instant's nanoseconds below the microsecond are rounded, which only a
 * batch landing while the writer's clock is behind the session's time sees. A spread of 0 keeps
 * the stored text as it is. No backslash: the regular expression must read the same with
 * standard_conforming_strings off.
 */
function keptMovedBy(instant: string, spread: string): string {
  const moved = `to_char(${instant} + ${spread} * interval '1 microsecond', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
  return `(CASE WHEN ${spread} = 0 THEN state->'updatedAt'
      ELSE to_jsonb(regexp_replace(${moved}, '[.]?0+$', '') || 'Z') END)`;
}

/** RFC 3339 as Go writes it (nanoseconds at most), as a POSIX regular expression without backslashes. */
const RFC3339 =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$';

/**
 * The session row's new `updated_at`: the writer's clock, but never earlier than the current
 * value. Events take this value as their created_at, so a service whose clock runs behind another
 * one's cannot insert an event that sorts before one already stored (reads order by created_at).
 */
export const MONOTONIC_UPDATED_AT = (now: string) => `GREATEST(${now}, updated_at)`;

/**
 * The session row's new `expires_at`: `expires` (now + TTL, or NULL when the TTL is off), but
 * never earlier than the current value. Event and track writes of one session run on different
 * workers (and services on different clocks), so the later-landing write may carry the earlier
 * `now`; without this it would shorten a lifetime another write had just extended.
 */
export const RENEWED_EXPIRES_AT = (expires: string) =>
  `CASE WHEN ${expires} IS NULL THEN NULL ELSE GREATEST(${expires}, expires_at) END`;

/** What a write to one session changes on its live row besides its own rows. */
export interface SessionTouch {
  /** The state delta merged into the envelope: a jsonb SQL expression (a parameter, or `'{}'`). */
  delta: string;
  /** The writer's time as the envelope's RFC 3339 `updatedAt` (text). */
  updatedAtJson: string;
  /** The session's new expiry (now + TTL), or null when the TTL is off. */
  expiresAt: string | null;
}

/**
 * The UPDATE every write to one session makes to its live row: the delta merged into the state
 * envelope, updated_at moved forward (never back), expires_at renewed (never shortened). Its row
 * lock makes the session's writers take turns across processes, and no row updated means there is
 * no such live session. `now` is the write's time (a timestamp SQL expression); `also` narrows the
 * WHERE clause (a compare-and-swap). The caller adds the RETURNING clause.
 */
export function touchLiveSession(
  t: TableNames,
  p: Params,
  k: KeyParams,
  now: string,
  touch: SessionTouch,
  also = '',
): string {
  return `UPDATE ${t.sessionStates.qualified}
  SET state = ${mergedEnvelope(touch.delta, p.add(touch.updatedAtJson, 'text'), now)},
      updated_at = ${MONOTONIC_UPDATED_AT(now)},
      expires_at = ${RENEWED_EXPIRES_AT(p.add(touch.expiresAt, 'timestamp'))}
  WHERE ${matchesKey(k)} AND deleted_at IS NULL${also ? `\n    AND ${also}` : ''}`;
}

/**
 * Whether the session row whose envelope is `state` is the incarnation created at `born` (RFC 3339
 * text): its envelope's `createdAt` names the same millisecond. A caller's session object holds
 * its creation time as read from that envelope (or as written to it), at the precision of the
 * format it came through, so the millisecond is what both sides always carry. An envelope without
 * a readable `createdAt` (written by hand) matches any.
 */
export function sameIncarnation(state: string, born: string): string {
  return `(NOT (jsonb_typeof(${state}->'createdAt') = 'string' AND ${state}->>'createdAt' ~ '${RFC3339}')
    OR date_trunc('milliseconds', (${state}->>'createdAt')::timestamptz)
      = date_trunc('milliseconds', ${born}::timestamptz))`;
}
