/**
 * Reading a database of sessions a page at a time, for the inspector: a user's sessions (paged
 * by cursor, sorted by last update, filtered by id prefix and update time, with counts of events,
 * track events and summaries), and the app and user state beside them. Every query is bounded by
 * a page size, so a database with millions of rows answers each call in one small round trip.
 *
 * What a service would hide (soft-deleted rows, rows past their `expires_at`) is left out unless
 * `includeInactive` asks for it; then each row says which it is in `status`.
 */
import { InvalidArgumentError } from '../../session/errors.js';
import { isLive, Params } from '../queries/sql.js';
import { checkKeyArgs, checkTextArg, countArg, nowArg, optionsArg, timeArg } from './arguments.js';
import type { AdminDatabase } from './database.js';
import { isoColumn } from './timestamps.js';

/** Whether a row is what a service returns, or why it does not. */
export type RowStatus = 'live' | 'expired' | 'deleted';

/** The largest page any browse call returns. */
export const MAX_BROWSE_PAGE = 200;

/** SQL for a row's {@link RowStatus}; `$now` is the parameter holding the application's clock. */
export function statusSql(alias: string, now: string): string {
  return `CASE WHEN ${alias}.deleted_at IS NOT NULL THEN 'deleted'
    WHEN ${alias}.expires_at IS NOT NULL AND ${alias}.expires_at <= ${now} THEN 'expired' ELSE 'live' END`;
}

/** The page size asked for, within 1..max; the default when none was given. */
export function pageSize(limit: number | undefined, fallback: number, max = MAX_BROWSE_PAGE): number {
  return countArg('limit', limit, fallback, max);
}

/** What decides which rows a read returns. */
export interface VisibilityOptions {
  /** Also soft-deleted and expired rows, marked by their status. */
  includeInactive?: boolean | undefined;
  /** The time expiry is judged at (default: the current time). */
  now?: Date | undefined;
}

/** An app_states or user_states row: the key without its `app:`/`user:` prefix, the raw text value. */
export interface StateRow {
  key: string;
  value: string | null;
  updatedAt: Date;
  expiresAt: Date | null;
  status: RowStatus;
}

/** How many state keys one call returns at most: state is small by design; this keeps a mistake cheap. */
export const MAX_STATE_ROWS = 500;

async function readState(
  db: AdminDatabase,
  table: string,
  match: (p: Params) => string,
  options: VisibilityOptions,
): Promise<StateRow[]> {
  const p = new Params();
  const now = p.add(nowArg(options), 'timestamp');
  const hidden = options.includeInactive ? '' : `AND ${isLive(now, 't')}`;
  const { rows } = await db.client.query<StateRow>(
    `SELECT t.key, t.value, t.updated_at AS "updatedAt", t.expires_at AS "expiresAt", ${statusSql('t', now)} AS status
     FROM ${table} t WHERE ${match(p)} ${hidden}
     ORDER BY t.key COLLATE "C", t.deleted_at DESC NULLS FIRST, t.id LIMIT ${MAX_STATE_ROWS}`,
    p.values,
  );
  return rows;
}

/** The app's state rows, by key. */
export async function readAppState(
  db: AdminDatabase,
  appName: string,
  options: VisibilityOptions = {},
): Promise<StateRow[]> {
  options = optionsArg('options', options);
  checkTextArg('appName', appName);
  return readState(
    db,
    db.tables.appStates.qualified,
    (p) => `t.app_name = ${p.add(appName, 'text')}`,
    options,
  );
}

/** The user's state rows, by key. */
export async function readUserState(
  db: AdminDatabase,
  user: { appName: string; userId: string },
  options: VisibilityOptions = {},
): Promise<StateRow[]> {
  options = optionsArg('options', options);
  checkKeyArgs(user);
  return readState(
    db,
    db.tables.userStates.qualified,
    (p) => `t.app_name = ${p.add(user.appName, 'text')} AND t.user_id = ${p.add(user.userId, 'text')}`,
    options,
  );
}

/** Which sessions of a user to browse, in which order, from where. */
export interface BrowseSessionsOptions extends VisibilityOptions {
  /** Only sessions whose id starts with this. */
  idPrefix?: string | undefined;
  /** Only sessions updated at or after this instant. */
  updatedFrom?: Date | undefined;
  /** Only sessions updated before this instant. */
  updatedTo?: Date | undefined;
  /** By last update: newest first (default) or oldest first. */
  order?: 'newest' | 'oldest' | undefined;
  /** Where the previous page ended ({@link SessionPage.next}). */
  cursor?: string | undefined;
  /** At most this many sessions (1..200, default 50). */
  limit?: number | undefined;
}

/** One stored session row with what it holds. */
export interface BrowsedSession {
  sessionId: string;
  /** The row's id: tells a live session from earlier, deleted ones with the same key. */
  rowId: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  deletedAt: Date | null;
  status: RowStatus;
  events: number;
  trackEvents: number;
  tracks: number;
  summaries: number;
}

/** A page of sessions, how many match in all, and the cursor of the next page (null at the end). */
export interface SessionPage {
  rows: BrowsedSession[];
  total: number;
  next: string | null;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(\d{1,19})$/;

/** SQL for a cursor made of a row's time and id: `2026-01-02T03:04:05.123456Z|42`. */
export function cursorSql(time: string, id: string): string {
  return `${isoColumn(time)} || '|' || ${id}::text`;
}

/** Reads a cursor made by {@link cursorSql}: its time as a TIMESTAMP parameter, and its id. */
export function parseCursor(cursor: string, field = 'cursor'): { at: string; id: string } {
  const m = CURSOR.exec(cursor);
  if (!m)
    throw new InvalidArgumentError(field, `must be a cursor returned by an earlier page, got "${cursor}"`);
  return { at: m[1]!.replace('T', ' ').slice(0, -1), id: m[2]! };
}

/**
 * Which child rows belong to a session row: a live session owns its rows that are not deleted;
 * a deleted one, the rows its delete marked with the same `deleted_at`.
 */
export function ownedBySql(child: string, session: string): string {
  return `${child}.app_name = ${session}.app_name AND ${child}.user_id = ${session}.user_id
    AND ${child}.session_id = ${session}.session_id
    AND ${child}.deleted_at IS NOT DISTINCT FROM ${session}.deleted_at`;
}

/** The conditions selecting a user's sessions by the filters. */
function sessionConditions(
  p: Params,
  clock: string,
  user: { appName: string; userId: string },
  options: BrowseSessionsOptions,
): string[] {
  const where = [`s.app_name = ${p.add(user.appName, 'text')}`, `s.user_id = ${p.add(user.userId, 'text')}`];
  if (!options.includeInactive) where.push(isLive(p.add(clock, 'timestamp'), 's'));
  if (options.idPrefix) {
    const prefix = p.add(options.idPrefix, 'text');
    where.push(`left(s.session_id, length(${prefix})) = ${prefix}`);
  }
  const from = timeArg('updatedFrom', options.updatedFrom);
  if (from !== undefined) where.push(`s.updated_at >= ${p.add(from, 'timestamp')}`);
  const to = timeArg('updatedTo', options.updatedTo);
  if (to !== undefined) where.push(`s.updated_at < ${p.add(to, 'timestamp')}`);
  return where;
}

/**
 * The sessions of a user, a page at a time, with counts of their events, track events, tracks
 * and summaries.
 *
 * @throws InvalidArgumentError for a malformed cursor or a limit outside 1..200.
 */
export async function browseSessions(
  db: AdminDatabase,
  user: { appName: string; userId: string },
  options: BrowseSessionsOptions = {},
): Promise<SessionPage> {
  options = optionsArg('options', options);
  const t = db.tables;
  checkKeyArgs(user);
  checkTextArg('idPrefix', options.idPrefix);
  const limit = pageSize(options.limit, 50);
  const clock = nowArg(options);
  const p = new Params();
  const now = p.add(clock, 'timestamp');
  const where = sessionConditions(p, clock, user, options);
  const desc = options.order !== 'oldest';
  if (options.cursor) {
    const c = parseCursor(options.cursor);
    where.push(
      `(s.updated_at, s.id) ${desc ? '<' : '>'} (${p.add(c.at, 'timestamp')}, ${p.add(c.id, 'bigint')})`,
    );
  }
  const dir = desc ? 'DESC' : 'ASC';
  // A live session's counts leave out its expired rows unless inactive rows are asked for.
  const fresh = options.includeInactive ? '' : `AND (c.expires_at IS NULL OR c.expires_at > ${now})`;
  const count = (table: string, what = 'count(*)') =>
    `(SELECT ${what}::int FROM ${table} c WHERE ${ownedBySql('c', 'page')} ${fresh})`;
  // The page first, then the counts: four index lookups per listed session, never per stored one.
  const { rows } = await db.client.query<BrowsedSession & { cursor: string }>(
    `WITH page AS (
       SELECT s.* FROM ${t.sessionStates.qualified} s WHERE ${where.join(' AND ')}
       ORDER BY s.updated_at ${dir}, s.id ${dir} LIMIT ${p.add(limit, 'int')}
     )
     SELECT page.session_id AS "sessionId", page.id::text AS "rowId", page.created_at AS "createdAt",
       page.updated_at AS "updatedAt", page.expires_at AS "expiresAt", page.deleted_at AS "deletedAt",
       ${statusSql('page', now)} AS status, ${cursorSql('page.updated_at', 'page.id')} AS cursor,
       ${count(t.sessionEvents.qualified)} AS events,
       ${count(t.sessionTrackEvents.qualified)} AS "trackEvents",
       ${count(t.sessionTrackEvents.qualified, 'count(DISTINCT c.track)')} AS tracks,
       ${count(t.sessionSummaries.qualified)} AS summaries
     FROM page ORDER BY page.updated_at ${dir}, page.id ${dir}`,
    p.values,
  );
  const q = new Params();
  const totalWhere = sessionConditions(q, clock, user, options);
  const { rows: totals } = await db.client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${t.sessionStates.qualified} s WHERE ${totalWhere.join(' AND ')}`,
    q.values,
  );
  const last = rows[rows.length - 1];
  return {
    rows: rows.map(({ cursor: _, ...row }) => row),
    total: totals[0]?.n ?? 0,
    next: rows.length === limit && last ? last.cursor : null,
  };
}
