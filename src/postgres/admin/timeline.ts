/**
 * One session's timeline for a reader: its row, a window of its events (the newest, the oldest,
 * or those before or after a cursor), the summaries and the track events of that window. Bounded
 * in rows and bytes, so a session of 100,000 events costs what a session of 200 does.
 */
import { InvalidArgumentError } from '../../session/errors.js';
import { isLive, Params } from '../queries/sql.js';
import { checkKeyArgs, nowArg, optionsArg } from './arguments.js';
import { parseCursor, type RowStatus, statusSql } from './browse.js';
import type { AdminDatabase } from './database.js';
import { isoColumn } from './timestamps.js';

/** The largest window of events one call returns. */
export const MAX_TIMELINE_EVENTS = 500;
/** Track events one call returns at most. */
export const MAX_TIMELINE_TRACK_EVENTS = 500;
/** Summaries one call returns at most (one per filter key; a session has a handful). */
export const MAX_TIMELINE_SUMMARIES = 100;
/**
 * Stored JSON one window carries at most (the first event always comes, whatever its size), so a
 * session of huge tool results pages instead of arriving at once.
 */
export const TIMELINE_BYTE_BUDGET = 4 * 1024 * 1024;

/** Which part of which session to read. */
export interface TimelineOptions {
  /** Also soft-deleted and expired rows, marked by their status. */
  includeInactive?: boolean;
  /** The stored row to read (a listing's `rowId`); default: the live session with the key. */
  rowId?: string;
  /** Events after this cursor, oldest first (following a live session, or reading on). */
  after?: string;
  /** Events before this cursor (reading back). */
  before?: string;
  /** With neither cursor: the newest events (`end`, default) or the oldest (`start`). */
  from?: 'start' | 'end';
  /** Events in the window, 1..500 (default 200). */
  limit?: number;
  /** Track events after this cursor, instead of those in the window's time span (following). */
  trackAfter?: string;
  /** The clock that decides what has expired (default: now). */
  now?: Date;
}

/** The session row. `state` is the stored session-state envelope JSON. */
export interface TimelineSession {
  appName: string;
  userId: string;
  sessionId: string;
  rowId: string;
  state: string | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  deletedAt: Date | null;
  status: RowStatus;
}

/** A stored event (its JSON as stored) with its place in the order. */
export interface TimelineEvent {
  /** Pass as `after`/`before` to continue from this event. */
  cursor: string;
  event: string;
  createdAt: Date;
  status: RowStatus;
}

/** A stored track event. */
export interface TimelineTrackEvent {
  cursor: string;
  track: string;
  event: string;
  createdAt: Date;
  status: RowStatus;
}

/** A stored summary (its JSON as stored, or null). */
export interface TimelineSummary {
  filterKey: string;
  summary: string | null;
  updatedAt: Date;
  status: RowStatus;
}

/** A window of a session's timeline. */
export interface Timeline {
  session: TimelineSession;
  events: TimelineEvent[];
  /** Whether events exist before the window / after it. */
  hasEarlier: boolean;
  hasLater: boolean;
  /** Events of the session in all (as the options count them). */
  totalEvents: number;
  summaries: TimelineSummary[];
  trackEvents: TimelineTrackEvent[];
  /** Whether the window's span held more track events than were returned. */
  trackEventsTruncated: boolean;
  /** Every track of the session with its number of events. */
  tracks: { track: string; events: number }[];
}

function windowSize(limit: number | undefined): number {
  if (limit === undefined) return 200;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TIMELINE_EVENTS) {
    throw new InvalidArgumentError(
      'limit',
      `must be an integer from 1 to ${MAX_TIMELINE_EVENTS}, got ${limit}`,
    );
  }
  return limit;
}

async function readSessionRow(
  db: AdminDatabase,
  key: { appName: string; userId: string; sessionId: string },
  options: TimelineOptions,
): Promise<TimelineSession | null> {
  const p = new Params();
  const now = p.add(nowArg(options), 'timestamp');
  const where = [
    `s.app_name = ${p.add(key.appName, 'text')}`,
    `s.user_id = ${p.add(key.userId, 'text')}`,
    `s.session_id = ${p.add(key.sessionId, 'text')}`,
  ];
  if (options.rowId !== undefined) {
    if (!/^\d{1,19}$/.test(options.rowId)) {
      throw new InvalidArgumentError(
        'rowId',
        `must be a row id from a session listing, got "${options.rowId}"`,
      );
    }
    where.push(`s.id = ${p.add(options.rowId, 'bigint')}`);
  }
  if (!options.includeInactive) where.push(isLive(now, 's'));
  const { rows } = await db.client.query<TimelineSession>(
    `SELECT s.app_name AS "appName", s.user_id AS "userId", s.session_id AS "sessionId", s.id::text AS "rowId",
       s.state::text AS state, s.created_at AS "createdAt", s.updated_at AS "updatedAt",
       s.expires_at AS "expiresAt", s.deleted_at AS "deletedAt",
       ${statusSql('s', now)} AS status
     FROM ${db.tables.sessionStates.qualified} s WHERE ${where.join(' AND ')}
     ORDER BY s.deleted_at DESC NULLS FIRST, s.id DESC LIMIT 1`,
    p.values,
  );
  return rows[0] ?? null;
}

/**
 * The rows of a child table that belong to the session row `$row` (as `c`): a deleted session's
 * are those its delete marked; a live one's are those not deleted and, when hidden rows are
 * asked for, the ones deleted since it was created (swept for their TTL). Rows of an earlier
 * session with the same key are older than this one.
 */
function childrenOf(
  p: Params,
  table: string,
  sessions: string,
  rowId: string,
  options: TimelineOptions,
  // Summaries have no created_at; their updated_at is when they were written.
  created = 'c.created_at',
): string {
  const owned = options.includeInactive
    ? `(c.deleted_at IS NOT DISTINCT FROM s.deleted_at
        OR (s.deleted_at IS NULL AND c.deleted_at IS NOT NULL AND ${created} >= s.created_at))`
    : `c.deleted_at IS NOT DISTINCT FROM s.deleted_at
        AND (c.expires_at IS NULL OR c.expires_at > ${p.add(nowArg(options), 'timestamp')})`;
  return `${table} c JOIN ${sessions} s ON s.id = ${p.add(rowId, 'bigint')} AND c.app_name = s.app_name
    AND c.user_id = s.user_id AND c.session_id = s.session_id AND ${owned}`;
}

const cursorOf = (createdAt: string, id: string) => `${createdAt}|${id}`;

interface ChildRow {
  id: string;
  /** ISO text with every microsecond: cursors and spans are made of it. */
  created_at: string;
  created: Date;
  body: string;
  status: RowStatus;
  track?: string;
}

/** Keeps the rows (in reading order from the anchor outwards) that fit the byte budget, at least one. */
function withinBudget<T extends { body: string }>(rows: T[]): { kept: T[]; cut: boolean } {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rows[i]!.body.length;
    if (bytes > TIMELINE_BYTE_BUDGET && i > 0) return { kept: rows.slice(0, i), cut: true };
  }
  return { kept: rows, cut: false };
}

/**
 * A window of one session's timeline, or null when no session row matches (none with the key,
 * or only hidden ones and `includeInactive` is not set).
 *
 * @throws InvalidArgumentError for a malformed cursor, row id or limit, or both cursors at once.
 */
export async function readTimeline(
  db: AdminDatabase,
  key: { appName: string; userId: string; sessionId: string },
  options: TimelineOptions = {},
): Promise<Timeline | null> {
  options = optionsArg('options', options);
  checkKeyArgs(key);
  if (options.after !== undefined && options.before !== undefined) {
    throw new InvalidArgumentError('before', 'cannot be combined with after: a window reads one way');
  }
  const limit = windowSize(options.limit);
  const after = options.after === undefined ? undefined : parseCursor(options.after, 'after');
  const before = options.before === undefined ? undefined : parseCursor(options.before, 'before');
  const trackAfter =
    options.trackAfter === undefined ? undefined : parseCursor(options.trackAfter, 'trackAfter');
  const session = await readSessionRow(db, key, options);
  if (!session) return null;
  const tables = db.tables;
  const S = tables.sessionStates.qualified;

  // Events: read from the anchor outwards (ascending after a cursor or from the start, otherwise
  // descending), one more than the window to learn whether more exist that way.
  const ascending = after !== undefined || (before === undefined && options.from === 'start');
  const p = new Params();
  const now = p.add(nowArg(options), 'timestamp');
  const from = childrenOf(p, tables.sessionEvents.qualified, S, session.rowId, options);
  const bound = after ?? before;
  const cursorCondition = bound
    ? `AND (c.created_at, c.id) ${after ? '>' : '<'} (${p.add(bound.at, 'timestamp')}, ${p.add(bound.id, 'bigint')})`
    : '';
  const dir = ascending ? 'ASC' : 'DESC';
  const { rows: fetched } = await db.client.query<ChildRow>(
    `SELECT c.id::text AS id, ${isoColumn('c.created_at')} AS created_at, c.created_at AS created, c.event::text AS body,
       ${statusSql('c', now)} AS status
     FROM ${from}
     WHERE true ${cursorCondition}
     ORDER BY c.created_at ${dir}, c.id ${dir} LIMIT ${p.add(limit + 1, 'int')}`,
    p.values,
  );
  const more = fetched.length > limit;
  const { kept, cut } = withinBudget(fetched.slice(0, limit));
  const outward = more || cut;
  const inOrder = ascending ? kept : kept.reverse();
  const hasEarlier = ascending ? after !== undefined : outward;
  const hasLater = ascending ? outward : before !== undefined;

  const children = (p: Params, table: string, created?: string) =>
    childrenOf(p, table, S, session.rowId, options, created);
  const c = new Params();
  const { rows: counted } = await db.client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${children(c, tables.sessionEvents.qualified)}`,
    c.values,
  );
  const m = new Params();
  const { rows: summaries } = await db.client.query<TimelineSummary>(
    `SELECT c.filter_key AS "filterKey", c.summary::text AS summary, c.updated_at AS "updatedAt",
       ${statusSql('c', m.add(nowArg(options), 'timestamp'))} AS status
     FROM ${children(m, tables.sessionSummaries.qualified, 'c.updated_at')}
     ORDER BY c.filter_key COLLATE "C", c.updated_at, c.id LIMIT ${MAX_TIMELINE_SUMMARIES}`,
    m.values,
  );
  const k = new Params();
  const { rows: tracks } = await db.client.query<{ track: string; events: number }>(
    `SELECT c.track, count(*)::int AS events FROM ${children(k, tables.sessionTrackEvents.qualified)}
     GROUP BY c.track ORDER BY c.track COLLATE "C" LIMIT 100`,
    k.values,
  );
  const track = await readTrackWindow(db, session.rowId, options, {
    from:
      trackAfter ?? (hasEarlier && inOrder[0] ? { at: sqlTime(inOrder[0].created_at), id: '0' } : undefined),
    to: hasLater ? inOrder[inOrder.length - 1]?.created_at : undefined,
  });

  return {
    session,
    events: inOrder.map((e) => ({
      cursor: cursorOf(e.created_at, e.id),
      event: e.body,
      createdAt: e.created,
      status: e.status,
    })),
    hasEarlier,
    hasLater,
    totalEvents: counted[0]?.n ?? 0,
    summaries,
    trackEvents: track.rows,
    trackEventsTruncated: track.truncated,
    tracks,
  };
}

/** ISO text (as the queries return it) as a TIMESTAMP parameter. */
const sqlTime = (iso: string) => iso.replace('T', ' ').replace('Z', '');

/** The track events after `from` (exclusive) up to `to` (inclusive), the newest ones when there are too many. */
async function readTrackWindow(
  db: AdminDatabase,
  rowId: string,
  options: TimelineOptions,
  span: { from: { at: string; id: string } | undefined; to: string | undefined },
): Promise<{ rows: TimelineTrackEvent[]; truncated: boolean }> {
  const p = new Params();
  const now = p.add(nowArg(options), 'timestamp');
  const from = childrenOf(
    p,
    db.tables.sessionTrackEvents.qualified,
    db.tables.sessionStates.qualified,
    rowId,
    options,
  );
  const where: string[] = [];
  if (span.from) {
    where.push(
      `(c.created_at, c.id) > (${p.add(span.from.at, 'timestamp')}, ${p.add(span.from.id, 'bigint')})`,
    );
  }
  if (span.to) where.push(`c.created_at <= ${p.add(sqlTime(span.to), 'timestamp')}`);
  const { rows } = await db.client.query<ChildRow & { track: string }>(
    `SELECT c.id::text AS id, c.track, ${isoColumn('c.created_at')} AS created_at, c.created_at AS created,
       c.event::text AS body,
       ${statusSql('c', now)} AS status
     FROM ${from}
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY c.created_at DESC, c.id DESC LIMIT ${MAX_TIMELINE_TRACK_EVENTS + 1}`,
    p.values,
  );
  const truncated = rows.length > MAX_TIMELINE_TRACK_EVENTS;
  return {
    rows: rows
      .slice(0, MAX_TIMELINE_TRACK_EVENTS)
      .reverse()
      .map((r) => ({
        cursor: cursorOf(r.created_at, r.id),
        track: r.track,
        event: r.body,
        createdAt: r.created,
        status: r.status,
      })),
    truncated,
  };
}
