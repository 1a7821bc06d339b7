/**
 * Read queries for browsing a database of sessions: apps → users → sessions (paged, sortable,
 * filtered, with counts), and the app and user state beside them. Every query is bounded by a
 * page size, so a database with millions of rows answers each call in one small round trip.
 *
 * What a service would hide (soft-deleted rows, rows past their `expires_at`) is left out unless
 * `includeHidden` asks for it; then each row says which it is in `status`.
 */
import { InvalidArgumentError } from '../../session/errors.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlExecutor } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';

/** Whether a row is what a service returns, or why it does not. */
export type RowStatus = 'live' | 'expired' | 'deleted';

/** The largest page any browse call returns. */
export const MAX_BROWSE_PAGE = 200;

/** SQL rendering a TIMESTAMP column as ISO 8601 UTC text with every microsecond. */
export function isoSql(column: string): string {
  return `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** SQL for a row's {@link RowStatus}; `$now` is the parameter holding the application's clock. */
export function statusSql(alias: string, now: string): string {
  return `CASE WHEN ${alias}.deleted_at IS NOT NULL THEN 'deleted'
    WHEN ${alias}.expires_at IS NOT NULL AND ${alias}.expires_at <= ${now} THEN 'expired' ELSE 'live' END`;
}

/** SQL keeping only rows a service would return. */
export function visibleSql(alias: string, now: string): string {
  return `${alias}.deleted_at IS NULL AND (${alias}.expires_at IS NULL OR ${alias}.expires_at > ${now})`;
}

/** Positional parameters, added as they are used. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** The page size asked for, within 1..max; the default when none was given. */
export function pageSize(limit: number | undefined, fallback: number, max = MAX_BROWSE_PAGE): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw new InvalidArgumentError('limit', `must be an integer from 1 to ${max}, got ${limit}`);
  }
  return limit;
}

/** Options every listing takes. */
export interface ListOptions {
  /** Also soft-deleted and expired rows, marked by their status. */
  includeHidden?: boolean;
  /** At most this many rows (1..200). */
  limit?: number;
  /** Skip this many rows (apps and users are few; sessions page by cursor instead). */
  offset?: number;
  /** The clock that decides what has expired (default: now). */
  now?: Date;
}

/** One app and what it holds. */
export interface AppListing {
  appName: string;
  users: number;
  sessions: number;
  /** The newest session update, ISO 8601 UTC. */
  lastUpdate: string;
}

/** One user of an app and what they hold. */
export interface UserListing {
  userId: string;
  sessions: number;
  lastUpdate: string;
}

/** A page of a listing, and how many rows match in all. */
export interface Listing<T> {
  rows: T[];
  total: number;
}

/** The application's clock as a TIMESTAMP parameter: what decides expiry, never the server's zone. */
export function clockOf(options: { now?: Date | undefined }): string {
  return toSqlTimestamp(options.now ?? new Date());
}

function offsetOf(offset: number | undefined): number {
  if (offset === undefined) return 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidArgumentError('offset', `must be a non-negative integer, got ${offset}`);
  }
  return offset;
}

/** The apps that have sessions, most recently updated first. */
export async function listApps(
  db: SqlExecutor,
  tables: TableNames,
  options: ListOptions = {},
): Promise<Listing<AppListing>> {
  const p = new Params();
  const where = options.includeHidden ? '' : `WHERE ${visibleSql('s', p.add(clockOf(options), 'timestamp'))}`;
  const { rows } = await db.query<AppListing & { total: number }>(
    `SELECT s.app_name AS "appName", count(DISTINCT s.user_id)::int AS users, count(*)::int AS sessions,
       ${isoSql('max(s.updated_at)')} AS "lastUpdate", count(*) OVER ()::int AS total
     FROM ${tables.sessionStates.qualified} s ${where}
     GROUP BY s.app_name ORDER BY max(s.updated_at) DESC, s.app_name COLLATE "C"
     LIMIT ${p.add(pageSize(options.limit, 50), 'int')} OFFSET ${p.add(offsetOf(options.offset), 'int')}`,
    p.values,
  );
  return { rows: rows.map(({ total: _, ...row }) => row), total: rows[0]?.total ?? 0 };
}

/** The users of an app that have sessions, most recently updated first. */
export async function listUsers(
  db: SqlExecutor,
  tables: TableNames,
  appName: string,
  options: ListOptions = {},
): Promise<Listing<UserListing>> {
  const p = new Params();
  const app = p.add(appName, 'text');
  const hidden = options.includeHidden ? '' : `AND ${visibleSql('s', p.add(clockOf(options), 'timestamp'))}`;
  const { rows } = await db.query<UserListing & { total: number }>(
    `SELECT s.user_id AS "userId", count(*)::int AS sessions,
       ${isoSql('max(s.updated_at)')} AS "lastUpdate", count(*) OVER ()::int AS total
     FROM ${tables.sessionStates.qualified} s WHERE s.app_name = ${app} ${hidden}
     GROUP BY s.user_id ORDER BY max(s.updated_at) DESC, s.user_id COLLATE "C"
     LIMIT ${p.add(pageSize(options.limit, 50), 'int')} OFFSET ${p.add(offsetOf(options.offset), 'int')}`,
    p.values,
  );
  return { rows: rows.map(({ total: _, ...row }) => row), total: rows[0]?.total ?? 0 };
}

/** An app_states or user_states row: the key without its `app:`/`user:` prefix, the raw text value. */
export interface StateRow {
  key: string;
  value: string | null;
  updatedAt: string;
  expiresAt: string | null;
  status: RowStatus;
}

/** How many state keys one call returns at most: state is small by design; this keeps a mistake cheap. */
export const MAX_STATE_ROWS = 500;

async function readState(
  db: SqlExecutor,
  table: string,
  match: (p: Params) => string,
  options: { includeHidden?: boolean; now?: Date },
): Promise<StateRow[]> {
  const p = new Params();
  const now = p.add(clockOf(options), 'timestamp');
  const hidden = options.includeHidden ? '' : `AND ${visibleSql('t', now)}`;
  const { rows } = await db.query<StateRow>(
    `SELECT t.key, t.value, ${isoSql('t.updated_at')} AS "updatedAt", ${isoSql('t.expires_at')} AS "expiresAt",
       ${statusSql('t', now)} AS status
     FROM ${table} t WHERE ${match(p)} ${hidden}
     ORDER BY t.key COLLATE "C", t.deleted_at DESC NULLS FIRST, t.id LIMIT ${MAX_STATE_ROWS}`,
    p.values,
  );
  return rows;
}

/** The app's state rows, by key. */
export function readAppState(
  db: SqlExecutor,
  tables: TableNames,
  appName: string,
  options: { includeHidden?: boolean; now?: Date } = {},
): Promise<StateRow[]> {
  return readState(db, tables.appStates.qualified, (p) => `t.app_name = ${p.add(appName, 'text')}`, options);
}

/** The user's state rows, by key. */
export function readUserState(
  db: SqlExecutor,
  tables: TableNames,
  user: { appName: string; userId: string },
  options: { includeHidden?: boolean; now?: Date } = {},
): Promise<StateRow[]> {
  return readState(
    db,
    tables.userStates.qualified,
    (p) => `t.app_name = ${p.add(user.appName, 'text')} AND t.user_id = ${p.add(user.userId, 'text')}`,
    options,
  );
}

/** Which sessions of a user to list, in which order, from where. */
export interface SessionListOptions extends ListOptions {
  /** Only sessions whose id starts with this. */
  idPrefix?: string;
  /** Only sessions updated at or after this instant. */
  updatedFrom?: Date;
  /** Only sessions updated before this instant. */
  updatedTo?: Date;
  /** By last update: newest first (default) or oldest first. */
  order?: 'newest' | 'oldest';
  /** Where the previous page ended ({@link SessionPage.next}). */
  cursor?: string;
}

/** One stored session row with what it holds. */
export interface SessionListing {
  sessionId: string;
  /** The row's id: tells a live session from earlier, deleted ones with the same key. */
  rowId: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  deletedAt: string | null;
  status: RowStatus;
  events: number;
  trackEvents: number;
  tracks: number;
  summaries: number;
}

/** A page of sessions; `next` continues it, null at the end. */
export interface SessionPage extends Listing<SessionListing> {
  next: string | null;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(\d{1,19})$/;

/** A cursor made of a row's time and id: `2026-01-02T03:04:05.123456Z|42`. */
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

/** The conditions selecting a user's sessions by the listing's filters. */
function sessionConditions(
  p: Params,
  clock: string,
  user: { appName: string; userId: string },
  options: SessionListOptions,
): string[] {
  const where = [`s.app_name = ${p.add(user.appName, 'text')}`, `s.user_id = ${p.add(user.userId, 'text')}`];
  if (!options.includeHidden) where.push(visibleSql('s', p.add(clock, 'timestamp')));
  if (options.idPrefix) {
    const prefix = p.add(options.idPrefix, 'text');
    where.push(`left(s.session_id, length(${prefix})) = ${prefix}`);
  }
  if (options.updatedFrom) {
    where.push(`s.updated_at >= ${p.add(toSqlTimestamp(options.updatedFrom), 'timestamp')}`);
  }
  if (options.updatedTo) {
    where.push(`s.updated_at < ${p.add(toSqlTimestamp(options.updatedTo), 'timestamp')}`);
  }
  return where;
}

/** The sessions of a user, a page at a time, with counts of their events, tracks and summaries. */
export async function listSessions(
  db: SqlExecutor,
  tables: TableNames,
  user: { appName: string; userId: string },
  options: SessionListOptions = {},
): Promise<SessionPage> {
  const limit = pageSize(options.limit, 50);
  const clock = clockOf(options);
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
  // A live session's counts leave out its expired rows unless hidden rows are asked for.
  const fresh = options.includeHidden ? '' : `AND (c.expires_at IS NULL OR c.expires_at > ${now})`;
  const count = (table: string, what = 'count(*)') =>
    `(SELECT ${what}::int FROM ${table} c WHERE ${ownedBySql('c', 'page')} ${fresh})`;
  // The page first, then the counts: four index lookups per listed session, never per stored one.
  const { rows } = await db.query<SessionListing>(
    `WITH page AS (
       SELECT s.* FROM ${tables.sessionStates.qualified} s WHERE ${where.join(' AND ')}
       ORDER BY s.updated_at ${dir}, s.id ${dir} LIMIT ${p.add(limit, 'int')}
     )
     SELECT page.session_id AS "sessionId", page.id::text AS "rowId", ${isoSql('page.created_at')} AS "createdAt",
       ${isoSql('page.updated_at')} AS "updatedAt", ${isoSql('page.expires_at')} AS "expiresAt",
       ${isoSql('page.deleted_at')} AS "deletedAt", ${statusSql('page', now)} AS status,
       ${count(tables.sessionEvents.qualified)} AS events,
       ${count(tables.sessionTrackEvents.qualified)} AS "trackEvents",
       ${count(tables.sessionTrackEvents.qualified, 'count(DISTINCT c.track)')} AS tracks,
       ${count(tables.sessionSummaries.qualified)} AS summaries
     FROM page ORDER BY page.updated_at ${dir}, page.id ${dir}`,
    p.values,
  );
  const q = new Params();
  const totalWhere = sessionConditions(q, clock, user, options);
  const { rows: totals } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${tables.sessionStates.qualified} s WHERE ${totalWhere.join(' AND ')}`,
    q.values,
  );
  const last = rows[rows.length - 1];
  return {
    rows,
    total: totals[0]?.n ?? 0,
    next: rows.length === limit && last ? `${last.updatedAt}|${last.rowId}` : null,
  };
}
