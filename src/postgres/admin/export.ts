/**
 * Export: sessions with everything stored with them, as export records: in a fixed order (by key
 * in byte order, then creation), a page of sessions at a time, with one query per table per page,
 * each page in one snapshot.
 */

import type { SqlExecutor } from '../../sql/client.js';
import { Params } from '../queries/sql.js';
import type { TableNames } from '../schema/index.js';
import { checkKeyArgs, countArg, optionsArg, timeArg } from './arguments.js';
import type { AdminDatabase } from './database.js';
import {
  EXPORT_FORMAT,
  type ExportedEvent,
  type ExportedSession,
  type ExportedState,
  type ExportedSummary,
  type ExportedTrackEvent,
} from './export-format.js';
import { exportedToSql, isoColumn } from './timestamps.js';

/** Which sessions to read. */
export interface SessionFilter {
  appName?: string | undefined;
  userId?: string | undefined;
  sessionId?: string | undefined;
  /** Sessions whose updated_at is at or after this instant. */
  updatedSince?: Date | undefined;
  /** Also soft-deleted sessions and rows (otherwise only rows with deleted_at IS NULL). */
  includeDeleted: boolean;
}

/**
 * Remembers which apps and users already had their state rows written, so an export carries each
 * app's and each user's state once, on the first line that needs it.
 */
export class StateTracker {
  readonly #apps = new Set<string>();
  readonly #users = new Set<string>();

  /** Whether the app's state is still to be written; marks it written. */
  claimApp(appName: string): boolean {
    if (this.#apps.has(appName)) return false;
    this.#apps.add(appName);
    return true;
  }

  /** Whether the user's state is still to be written; marks it written. */
  claimUser(appName: string, userId: string): boolean {
    const key = JSON.stringify([appName, userId]);
    if (this.#users.has(key)) return false;
    this.#users.add(key);
    return true;
  }
}

// Byte order, so the order of an export is the same on every server whatever its collation.
const C = 'COLLATE "C"';

const TIMES = `${isoColumn('updated_at')} AS updated_at, ${isoColumn('expires_at')} AS expires_at,
  ${isoColumn('deleted_at')} AS deleted_at`;

interface TimeRow {
  updated_at: string;
  expires_at: string | null;
  deleted_at: string | null;
}

interface SessionRow extends TimeRow {
  id: string;
  app_name: string;
  user_id: string;
  session_id: string;
  state: string | null;
  created_at: string;
}

interface ChildRow extends TimeRow {
  app_name: string;
  user_id: string;
  session_id: string;
  name: string | null;
  body: string | null;
  created_at: string | null;
}

const times = (r: TimeRow) => ({ updatedAt: r.updated_at, expiresAt: r.expires_at, deletedAt: r.deleted_at });

function sessionWhere(filter: SessionFilter, p: Params): string[] {
  const where: string[] = [];
  if (!filter.includeDeleted) where.push('deleted_at IS NULL');
  checkKeyArgs(filter);
  if (filter.appName !== undefined) where.push(`app_name = ${p.add(filter.appName, 'text')}`);
  if (filter.userId !== undefined) where.push(`user_id = ${p.add(filter.userId, 'text')}`);
  if (filter.sessionId !== undefined) where.push(`session_id = ${p.add(filter.sessionId, 'text')}`);
  const since = timeArg('updatedSince', filter.updatedSince);
  if (since !== undefined) where.push(`updated_at >= ${p.add(since, 'timestamp')}`);
  return where;
}

/** How many sessions {@link exportSessions} will yield (for a progress bar). */
export async function countSessions(
  { client: db, tables }: AdminDatabase,
  filter: SessionFilter,
): Promise<number> {
  filter = optionsArg('filter', filter);
  const p = new Params();
  const where = sessionWhere(filter, p);
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${tables.sessionStates.qualified}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    p.values,
  );
  return rows[0]?.n ?? 0;
}

async function readPage(
  db: SqlExecutor,
  tables: TableNames,
  filter: SessionFilter,
  after: SessionRow | undefined,
  limit: number,
): Promise<SessionRow[]> {
  const page = await readRows(db, tables, filter, after, limit);
  const last = page[page.length - 1];
  if (page.length < limit || !filter.includeDeleted || !last) return page;
  // Rows are shared out among the sessions of one key within a page, so all sessions of a key
  // (a live one and earlier deleted ones) must land in the same page.
  const sameKey = { ...filter, appName: last.app_name, userId: last.user_id, sessionId: last.session_id };
  return [...page, ...(await readRows(db, tables, sameKey, last, Number.MAX_SAFE_INTEGER))];
}

async function readRows(
  db: SqlExecutor,
  tables: TableNames,
  filter: SessionFilter,
  after: SessionRow | undefined,
  limit: number,
): Promise<SessionRow[]> {
  const p = new Params();
  const where = sessionWhere(filter, p);
  if (after) {
    where.push(
      `(app_name ${C}, user_id ${C}, session_id ${C}, created_at, id) > (${p.add(after.app_name, 'text')}, ${p.add(after.user_id, 'text')}, ${p.add(after.session_id, 'text')}, ${p.add(exportedToSql(after.created_at), 'timestamp')}, ${p.add(after.id, 'bigint')})`,
    );
  }
  const { rows } = await db.query<SessionRow>(
    `SELECT id::text AS id, app_name, user_id, session_id, state::text AS state,
       ${isoColumn('created_at')} AS created_at, ${TIMES}
     FROM ${tables.sessionStates.qualified}
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY app_name ${C}, user_id ${C}, session_id ${C}, created_at, id
     LIMIT ${p.add(limit, 'bigint')}`,
    p.values,
  );
  return rows;
}

/** The rows of one child table belonging to the sessions of a page, oldest first. */
async function readChildren(
  db: SqlExecutor,
  table: string,
  columns: { name: string; body: string; created: string; order: string },
  keys: readonly SessionRow[],
  includeDeleted: boolean,
): Promise<ChildRow[]> {
  const unique = new Map(keys.map((k) => [keyOf(k), [k.app_name, k.user_id, k.session_id]]));
  const { rows } = await db.query<ChildRow>(
    `WITH k AS (SELECT x->>0 AS a, x->>1 AS u, x->>2 AS s FROM jsonb_array_elements($1::jsonb) x)
     SELECT t.app_name, t.user_id, t.session_id, ${columns.name} AS name, ${columns.body} AS body,
       ${columns.created} AS created_at, ${isoColumn('t.updated_at')} AS updated_at,
       ${isoColumn('t.expires_at')} AS expires_at, ${isoColumn('t.deleted_at')} AS deleted_at
     FROM ${table} t JOIN k ON t.app_name = k.a AND t.user_id = k.u AND t.session_id = k.s
     ${includeDeleted ? '' : 'WHERE t.deleted_at IS NULL'}
     ORDER BY ${columns.order}, t.id`,
    [JSON.stringify([...unique.values()])],
  );
  return rows;
}

const keyOf = (r: { app_name: string; user_id: string; session_id: string }) =>
  JSON.stringify([r.app_name, r.user_id, r.session_id]);

/**
 * Which stored incarnation of a session key a child row belongs to. A live session and earlier,
 * soft-deleted sessions may share a key; their rows are told apart by the deleted_at one delete
 * gave them all, and otherwise by time (a row belongs to the newest session created before it).
 */
function owner(sessions: readonly SessionRow[], deletedAt: string | null, at: string | null): SessionRow {
  if (sessions.length === 1) return sessions[0]!;
  if (deletedAt !== null) {
    const same = sessions.find((s) => s.deleted_at === deletedAt);
    if (same) return same;
  }
  let chosen = sessions[0]!;
  if (at !== null) for (const s of sessions) if (s.created_at <= at) chosen = s;
  return chosen;
}

function groupBySession<T>(
  page: readonly SessionRow[],
  rows: readonly ChildRow[],
  time: (row: ChildRow) => string | null,
  build: (row: ChildRow) => T,
): Map<SessionRow, T[]> {
  const byKey = new Map<string, SessionRow[]>();
  for (const s of page) {
    const list = byKey.get(keyOf(s)) ?? [];
    list.push(s);
    byKey.set(keyOf(s), list);
  }
  const out = new Map<SessionRow, T[]>(page.map((s) => [s, []]));
  for (const row of rows) {
    const sessions = byKey.get(keyOf(row));
    if (!sessions) continue;
    out.get(owner(sessions, row.deleted_at, time(row)))!.push(build(row));
  }
  return out;
}

interface StateRow extends TimeRow {
  app_name: string;
  user_id: string | null;
  key: string;
  value: string | null;
  created_at: string;
}

async function readState(
  db: SqlExecutor,
  tables: TableNames,
  scope: 'app' | 'user',
  owners: readonly (readonly string[])[],
  includeDeleted: boolean,
): Promise<StateRow[]> {
  if (owners.length === 0) return [];
  const table = scope === 'app' ? tables.appStates.qualified : tables.userStates.qualified;
  const match = scope === 'app' ? 't.app_name = k.x->>0' : 't.app_name = k.x->>0 AND t.user_id = k.x->>1';
  const { rows } = await db.query<StateRow>(
    `SELECT t.app_name, ${scope === 'app' ? 'NULL::text' : 't.user_id'} AS user_id, t.key, t.value,
       ${isoColumn('t.created_at')} AS created_at, ${isoColumn('t.updated_at')} AS updated_at,
       ${isoColumn('t.expires_at')} AS expires_at, ${isoColumn('t.deleted_at')} AS deleted_at
     FROM ${table} t JOIN jsonb_array_elements($1::jsonb) AS k(x) ON ${match}
     ${includeDeleted ? '' : 'WHERE t.deleted_at IS NULL'}
     ORDER BY t.key ${C}, t.created_at, t.id`,
    [JSON.stringify(owners)],
  );
  return rows;
}

const stateRecord = (r: StateRow): ExportedState => ({
  key: r.key,
  value: r.value,
  createdAt: r.created_at,
  ...times(r),
});

/** How one child table is read into the records of its sessions. */
interface ChildKind<T> {
  columns: { name: string; body: string; created: string; order: string };
  /** The row's time that tells which of a key's sessions it belongs to (see {@link owner}). */
  time: (row: ChildRow) => string | null;
  build: (row: ChildRow) => T;
}

const EVENTS: ChildKind<ExportedEvent> = {
  columns: {
    name: 'NULL::text',
    body: 't.event::text',
    created: isoColumn('t.created_at'),
    order: 't.created_at',
  },
  time: (r) => r.created_at,
  build: (r) => ({ event: r.body!, createdAt: r.created_at!, ...times(r) }),
};

const SUMMARIES: ChildKind<ExportedSummary> = {
  columns: {
    name: 't.filter_key',
    body: 't.summary::text',
    created: 'NULL::text',
    order: `t.filter_key ${C}, t.updated_at`,
  },
  time: (r) => r.updated_at,
  build: (r) => ({ filterKey: r.name!, summary: r.body, ...times(r) }),
};

const TRACK_EVENTS: ChildKind<ExportedTrackEvent> = {
  columns: {
    name: 't.track',
    body: 't.event::text',
    created: isoColumn('t.created_at'),
    order: `t.track ${C}, t.created_at`,
  },
  time: (r) => r.created_at,
  build: (r) => ({ track: r.name!, event: r.body!, createdAt: r.created_at!, ...times(r) }),
};

/** One child table's records of the sessions of a page, by session. */
async function childrenOf<T>(
  db: SqlExecutor,
  table: string,
  kind: ChildKind<T>,
  page: readonly SessionRow[],
  includeDeleted: boolean,
): Promise<Map<SessionRow, T[]>> {
  const rows = await readChildren(db, table, kind.columns, page, includeDeleted);
  return groupBySession(page, rows, kind.time, kind.build);
}

/** Loads the children and state of one page and assembles its records. */
async function assemble(
  db: SqlExecutor,
  tables: TableNames,
  page: readonly SessionRow[],
  filter: SessionFilter,
  tracker: StateTracker | undefined,
): Promise<ExportedSession[]> {
  const deleted = filter.includeDeleted;
  const eventsOf = await childrenOf(db, tables.sessionEvents.qualified, EVENTS, page, deleted);
  const summariesOf = await childrenOf(db, tables.sessionSummaries.qualified, SUMMARIES, page, deleted);
  const tracksOf = await childrenOf(db, tables.sessionTrackEvents.qualified, TRACK_EVENTS, page, deleted);

  // Which sessions carry their app's and user's state: every one, or the first of each in an export.
  const appOwners = new Map<SessionRow, string>();
  const userOwners = new Map<SessionRow, [string, string]>();
  for (const s of page) {
    if (!tracker || tracker.claimApp(s.app_name)) appOwners.set(s, s.app_name);
    if (!tracker || tracker.claimUser(s.app_name, s.user_id)) userOwners.set(s, [s.app_name, s.user_id]);
  }
  const apps = [...new Set(appOwners.values())].map((a) => [a]);
  const users = [...new Map([...userOwners.values()].map((u) => [JSON.stringify(u), u])).values()];
  const appRows = await readState(db, tables, 'app', apps, deleted);
  const userRows = await readState(db, tables, 'user', users, deleted);

  return page.map((s) => {
    const record: ExportedSession = {
      format: EXPORT_FORMAT,
      appName: s.app_name,
      userId: s.user_id,
      sessionId: s.session_id,
      state: s.state,
      createdAt: s.created_at,
      ...times(s),
      events: eventsOf.get(s)!,
      summaries: summariesOf.get(s)!,
      trackEvents: tracksOf.get(s)!,
    };
    if (appOwners.has(s)) {
      record.appState = appRows.filter((r) => r.app_name === s.app_name).map(stateRecord);
    }
    if (userOwners.has(s)) {
      record.userState = userRows
        .filter((r) => r.app_name === s.app_name && r.user_id === s.user_id)
        .map(stateRecord);
    }
    return record;
  });
}

/**
 * Yields the matching sessions as export records, `pageSize` sessions per round of queries (an
 * integer from 1 to 2,147,483,647, default 100).
 * With a tracker, each app's and user's state rows come once, on the first session that has them;
 * without one, every record carries its app's and user's state.
 */
export async function* exportSessions(
  { client: db, tables }: AdminDatabase,
  filter: SessionFilter,
  options: { pageSize?: number; tracker?: StateTracker } = {},
): AsyncGenerator<ExportedSession> {
  filter = optionsArg('filter', filter);
  options = optionsArg('options', options);
  const pageSize = countArg('pageSize', options.pageSize, 100);
  let after: SessionRow | undefined;
  for (;;) {
    const { page, records } = await db.transaction(async (tx) => {
      await tx.query(SNAPSHOT);
      const page = await readPage(tx, tables, filter, after, pageSize);
      return { page, records: await assemble(tx, tables, page, filter, options.tracker) };
    });
    yield* records;
    if (page.length < pageSize) return;
    after = page[page.length - 1];
  }
}

/**
 * A page's statements (its session rows, then their events, summaries, track events and state)
 * read one snapshot: read committed, an append landing between two of them showed the event and
 * not the state delta it wrote, and the line, imported, restored a session that never existed.
 * The transaction ends before the page's records are handed out, so no snapshot is held while
 * the caller writes them.
 */
const SNAPSHOT = 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY';
