/**
 * Listing what a database holds, for people: its apps, the users of an app, the sessions of a
 * user, newest first, with counts. One statement each.
 */
import { checkTextArg, countArg, nowArg, optionsArg } from './arguments.js';
import type { AdminDatabase } from './database.js';

/** Which sessions a listing counts. */
export interface ListFilter {
  /** Only this app. */
  appName?: string | undefined;
  /** Only this user id (across apps unless `appName` is set too). */
  userId?: string | undefined;
  /**
   * Also expired and soft-deleted sessions. Without it a listing counts only what a service
   * would return: sessions not deleted and not expired at `now`.
   */
  includeInactive?: boolean | undefined;
  /** At most this many rows: an integer from 1 to 2,147,483,647 (default 50); `total` still counts them all. */
  limit?: number | undefined;
  /** The time expiry is judged at (default: the current time). */
  now?: Date | undefined;
}

/** Some rows of a listing, and how many there are in all. */
export interface Listing<Row> {
  rows: Row[];
  total: number;
}

/** One app: its users, sessions and their events (not deleted), and its newest update. */
export interface AppListing {
  appName: string;
  users: number;
  sessions: number;
  events: number;
  lastUpdate: Date | null;
}

/** One user of an app. */
export interface UserListing {
  userId: string;
  sessions: number;
  events: number;
  lastUpdate: Date | null;
}

/** One session: its events, the user messages among them (turns), its times and status. */
export interface SessionListing {
  appName: string;
  userId: string;
  sessionId: string;
  events: number;
  /** Events that are user messages (trpc-agent-go's IsUserMessage). */
  turns: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  status: 'live' | 'expired' | 'deleted';
}

const DEFAULT_LIMIT = 50;

/** Whether a stored event (`e.event`) is a user message (Go's IsUserMessage), as JSONB containment. */
const USER_MESSAGE_SQL = `(e.event @> '{"choices":[{"message":{"role":"user"}}]}'
  OR e.event @> '{"choices":[{"delta":{"role":"user"}}]}')`;

/** The WHERE clause of the sessions a listing counts, its parameters pushed onto `params`. */
function sessionWhere(filter: ListFilter, params: unknown[], now: string): string {
  const where: string[] = [];
  if (!filter.includeInactive) {
    params.push(now);
    where.push(
      `s.deleted_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $${params.length}::timestamp)`,
    );
  }
  if (filter.appName !== undefined) {
    params.push(filter.appName);
    where.push(`s.app_name = $${params.length}::text`);
  }
  if (filter.userId !== undefined) {
    params.push(filter.userId);
    where.push(`s.user_id = $${params.length}::text`);
  }
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

/** The filter's time as a parameter, its text fields checked first (every listing calls this). */
function nowOf(filter: ListFilter): string {
  checkTextArg('appName', filter.appName);
  checkTextArg('userId', filter.userId);
  return nowArg(filter);
}

/** The apps that have sessions, most recently updated first. */
export async function listApps(db: AdminDatabase, filter: ListFilter = {}): Promise<Listing<AppListing>> {
  filter = optionsArg('filter', filter);
  const t = db.tables;
  const params: unknown[] = [];
  const where = sessionWhere(filter, params, nowOf(filter));
  params.push(countArg('limit', filter.limit, DEFAULT_LIMIT));
  const { rows } = await db.client.query<AppListing & { total: number }>(
    `WITH a AS (
       SELECT s.app_name, count(DISTINCT s.user_id)::int AS users, count(*)::int AS sessions,
         max(s.updated_at) AS last_update
       FROM ${t.sessionStates.qualified} s ${where} GROUP BY s.app_name
     )
     SELECT a.app_name AS "appName", a.users, a.sessions, a.last_update AS "lastUpdate",
       count(*) OVER ()::int AS total,
       (SELECT count(*)::int FROM ${t.sessionEvents.qualified} e
        WHERE e.app_name = a.app_name AND e.deleted_at IS NULL) AS events
     FROM a ORDER BY a.last_update DESC, a.app_name LIMIT $${params.length}::int`,
    params,
  );
  return { rows: rows.map(({ total: _, ...row }) => row), total: rows[0]?.total ?? 0 };
}

/** The users with sessions (of `filter.appName`, when set), most recently updated first. */
export async function listUsers(db: AdminDatabase, filter: ListFilter = {}): Promise<Listing<UserListing>> {
  filter = optionsArg('filter', filter);
  const t = db.tables;
  const params: unknown[] = [];
  const where = sessionWhere(filter, params, nowOf(filter));
  params.push(countArg('limit', filter.limit, DEFAULT_LIMIT));
  const { rows } = await db.client.query<UserListing & { total: number }>(
    `WITH u AS (
       SELECT s.app_name, s.user_id, count(*)::int AS sessions, max(s.updated_at) AS last_update
       FROM ${t.sessionStates.qualified} s ${where} GROUP BY s.app_name, s.user_id
     )
     SELECT u.user_id AS "userId", u.sessions, u.last_update AS "lastUpdate", count(*) OVER ()::int AS total,
       (SELECT count(*)::int FROM ${t.sessionEvents.qualified} e
        WHERE e.app_name = u.app_name AND e.user_id = u.user_id AND e.deleted_at IS NULL) AS events
     FROM u ORDER BY u.last_update DESC, u.user_id LIMIT $${params.length}::int`,
    params,
  );
  return { rows: rows.map(({ total: _, ...row }) => row), total: rows[0]?.total ?? 0 };
}

/** The sessions matching `filter`, most recently updated first, with their event counts. */
export async function listSessions(
  db: AdminDatabase,
  filter: ListFilter = {},
): Promise<Listing<SessionListing>> {
  filter = optionsArg('filter', filter);
  const t = db.tables;
  const now = nowOf(filter);
  const params: unknown[] = [now];
  const where = sessionWhere(filter, params, now);
  params.push(countArg('limit', filter.limit, DEFAULT_LIMIT));
  const { rows } = await db.client.query<SessionListing & { total: number }>(
    `SELECT s.app_name AS "appName", s.user_id AS "userId", s.session_id AS "sessionId", ev.events, ev.turns,
       s.created_at AS "createdAt", s.updated_at AS "updatedAt", s.expires_at AS "expiresAt",
       CASE WHEN s.deleted_at IS NOT NULL THEN 'deleted'
            WHEN s.expires_at IS NOT NULL AND s.expires_at <= $1::timestamp THEN 'expired'
            ELSE 'live' END AS status,
       count(*) OVER ()::int AS total
     FROM ${t.sessionStates.qualified} s
     CROSS JOIN LATERAL (
       -- A deleted session's events carry the deleted_at its delete gave them all.
       SELECT count(*)::int AS events, count(*) FILTER (WHERE ${USER_MESSAGE_SQL})::int AS turns
       FROM ${t.sessionEvents.qualified} e
       WHERE e.app_name = s.app_name AND e.user_id = s.user_id AND e.session_id = s.session_id
         AND e.deleted_at IS NOT DISTINCT FROM s.deleted_at
     ) ev
     ${where}
     ORDER BY s.updated_at DESC, s.session_id
     LIMIT $${params.length}::int`,
    params,
  );
  return { rows: rows.map(({ total: _, ...row }) => row), total: rows[0]?.total ?? 0 };
}
