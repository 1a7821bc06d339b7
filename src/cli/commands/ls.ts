/**
 * `agent-sessions ls`: apps, the users of an app (`--app`), or the sessions of a user
 * (`--app --user`), with counts and the last update, as a table or JSON.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { TableNames } from '../../postgres/schema/index.js';
import type { SqlExecutor } from '../../sql/client.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { formatCount } from '../output/format.js';
import { type Column, renderTable } from '../output/table.js';
import { formatUtc, sqlNow } from '../timestamps.js';

interface LsFlags extends ConnectionFlags {
  app?: string;
  user?: string;
  all?: boolean;
  limit: number;
  json?: boolean;
}

/** Whether a stored event is a user message (Go's IsUserMessage), as a JSONB containment test. */
export const USER_MESSAGE_SQL = `(e.event @> '{"choices":[{"message":{"role":"user"}}]}'
  OR e.event @> '{"choices":[{"delta":{"role":"user"}}]}')`;

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface AppRow {
  app: string;
  users: number;
  sessions: number;
  events: number;
  lastUpdate: Date | null;
}

interface UserRow {
  user: string;
  sessions: number;
  events: number;
  lastUpdate: Date | null;
}

interface SessionRow {
  app: string;
  user: string;
  session: string;
  events: number;
  turns: number;
  created: Date;
  updated: Date;
  expires: Date | null;
  status: 'live' | 'expired' | 'deleted';
}

interface Listing<Row> {
  rows: Row[];
  total: number;
}

/** Sessions a service would return: not deleted, not expired (unless `all`). */
function sessionFilter(flags: LsFlags, params: unknown[], alias = 's'): string {
  const where: string[] = [];
  if (!flags.all) {
    params.push(sqlNow());
    where.push(
      `${alias}.deleted_at IS NULL AND (${alias}.expires_at IS NULL OR ${alias}.expires_at > $${params.length}::timestamp)`,
    );
  }
  if (flags.app !== undefined) {
    params.push(flags.app);
    where.push(`${alias}.app_name = $${params.length}::text`);
  }
  if (flags.user !== undefined) {
    params.push(flags.user);
    where.push(`${alias}.user_id = $${params.length}::text`);
  }
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

async function listApps(db: SqlExecutor, t: TableNames, flags: LsFlags): Promise<Listing<AppRow>> {
  const params: unknown[] = [];
  const where = sessionFilter(flags, params);
  params.push(flags.limit);
  const { rows } = await db.query<{
    app: string;
    users: number;
    sessions: number;
    events: number;
    last_update: Date | null;
    total: number;
  }>(
    `WITH a AS (
       SELECT s.app_name, count(DISTINCT s.user_id)::int AS users, count(*)::int AS sessions,
         max(s.updated_at) AS last_update
       FROM ${t.sessionStates.qualified} s ${where} GROUP BY s.app_name
     )
     SELECT a.app_name AS app, a.users, a.sessions, a.last_update, count(*) OVER ()::int AS total,
       (SELECT count(*)::int FROM ${t.sessionEvents.qualified} e
        WHERE e.app_name = a.app_name AND e.deleted_at IS NULL) AS events
     FROM a ORDER BY a.last_update DESC, a.app_name LIMIT $${params.length}::int`,
    params,
  );
  return {
    rows: rows.map((r) => ({ ...r, lastUpdate: r.last_update })),
    total: rows[0]?.total ?? 0,
  };
}

async function listUsers(db: SqlExecutor, t: TableNames, flags: LsFlags): Promise<Listing<UserRow>> {
  const params: unknown[] = [];
  const where = sessionFilter(flags, params);
  params.push(flags.limit);
  const { rows } = await db.query<{
    user: string;
    sessions: number;
    events: number;
    last_update: Date | null;
    total: number;
  }>(
    `WITH u AS (
       SELECT s.app_name, s.user_id, count(*)::int AS sessions, max(s.updated_at) AS last_update
       FROM ${t.sessionStates.qualified} s ${where} GROUP BY s.app_name, s.user_id
     )
     SELECT u.user_id AS "user", u.sessions, u.last_update, count(*) OVER ()::int AS total,
       (SELECT count(*)::int FROM ${t.sessionEvents.qualified} e
        WHERE e.app_name = u.app_name AND e.user_id = u.user_id AND e.deleted_at IS NULL) AS events
     FROM u ORDER BY u.last_update DESC, u.user_id LIMIT $${params.length}::int`,
    params,
  );
  return {
    rows: rows.map((r) => ({ ...r, lastUpdate: r.last_update })),
    total: rows[0]?.total ?? 0,
  };
}

async function listSessions(db: SqlExecutor, t: TableNames, flags: LsFlags): Promise<Listing<SessionRow>> {
  const params: unknown[] = [sqlNow()];
  const where = sessionFilter(flags, params);
  params.push(flags.limit);
  const { rows } = await db.query<{
    app: string;
    user: string;
    session: string;
    events: number;
    turns: number;
    created: Date;
    updated: Date;
    expires: Date | null;
    status: SessionRow['status'];
    total: number;
  }>(
    `SELECT s.app_name AS app, s.user_id AS "user", s.session_id AS session, ev.events, ev.turns,
       s.created_at AS created, s.updated_at AS updated, s.expires_at AS expires,
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
  return { rows, total: rows[0]?.total ?? 0 };
}

const count = (n: number) => formatCount(n);

async function output<Row>(
  flags: LsFlags,
  listing: Listing<Row>,
  columns: Column<Row>[],
  what: string,
  json: (row: Row) => Record<string, unknown>,
): Promise<void> {
  if (flags.json) {
    await print(JSON.stringify(listing.rows.map(json), null, 2));
    return;
  }
  const c = colorsFor(process.stdout);
  if (listing.rows.length === 0) {
    await print(c.dim(`No ${what} found.`));
    return;
  }
  await print(renderTable(columns, listing.rows, c));
  const shown =
    listing.total > listing.rows.length
      ? `${count(listing.rows.length)} of ${count(listing.total)} ${what} (raise --limit to see more)`
      : `${count(listing.total)} ${listing.total === 1 ? what.replace(/s$/, '') : what}`;
  await print(c.dim(shown));
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function ls(flags: LsFlags): Promise<void> {
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const c = colorsFor(process.stdout);
    if (flags.user !== undefined) {
      const listing = await listSessions(db.client, db.tables, flags);
      const columns: Column<SessionRow>[] = [
        ...(flags.app === undefined ? [{ header: 'APP', value: (r: SessionRow) => r.app }] : []),
        { header: 'SESSION', value: (r) => r.session, color: (t) => c.bold(t) },
        { header: 'TURNS', value: (r) => count(r.turns), align: 'right' },
        { header: 'EVENTS', value: (r) => count(r.events), align: 'right' },
        { header: 'CREATED', value: (r) => formatUtc(r.created) },
        { header: 'UPDATED', value: (r) => formatUtc(r.updated) },
        ...(flags.all
          ? [
              {
                header: 'STATUS',
                value: (r: SessionRow) => r.status,
                color: (t: string, r: SessionRow) => (r.status === 'live' ? c.green(t) : c.red(t)),
              },
            ]
          : []),
      ];
      await output(flags, listing, columns, 'sessions', (r) => ({
        appName: r.app,
        userId: r.user,
        sessionId: r.session,
        turns: r.turns,
        events: r.events,
        createdAt: iso(r.created),
        updatedAt: iso(r.updated),
        expiresAt: iso(r.expires),
        status: r.status,
      }));
    } else if (flags.app !== undefined) {
      const listing = await listUsers(db.client, db.tables, flags);
      await output(
        flags,
        listing,
        [
          { header: 'USER', value: (r) => r.user, color: (t) => c.bold(t) },
          { header: 'SESSIONS', value: (r) => count(r.sessions), align: 'right' },
          { header: 'EVENTS', value: (r) => count(r.events), align: 'right' },
          { header: 'LAST UPDATE', value: (r) => formatUtc(r.lastUpdate) },
        ],
        'users',
        (r) => ({ userId: r.user, sessions: r.sessions, events: r.events, lastUpdate: iso(r.lastUpdate) }),
      );
    } else {
      const listing = await listApps(db.client, db.tables, flags);
      await output(
        flags,
        listing,
        [
          { header: 'APP', value: (r) => r.app, color: (t) => c.bold(t) },
          { header: 'USERS', value: (r) => count(r.users), align: 'right' },
          { header: 'SESSIONS', value: (r) => count(r.sessions), align: 'right' },
          { header: 'EVENTS', value: (r) => count(r.events), align: 'right' },
          { header: 'LAST UPDATE', value: (r) => formatUtc(r.lastUpdate) },
        ],
        'apps',
        (r) => ({
          appName: r.app,
          users: r.users,
          sessions: r.sessions,
          events: r.events,
          lastUpdate: iso(r.lastUpdate),
        }),
      );
    }
  });
}

export function registerLs(program: Command): void {
  addConnectionOptions(
    program
      .command('ls')
      .summary('list apps, users of an app, or sessions of a user')
      .description(
        'List apps (no filter), the users of an app (--app), or the sessions of a user (--app and --user; --user alone lists that user id across apps), newest first, with counts and the last update.',
      )
      .option('--app <name>', 'list the users of this app')
      .option('--user <id>', 'list the sessions of this user')
      .option('--all', 'also count expired and soft-deleted sessions (sessions get a STATUS column)')
      .addOption(new Option('--limit <n>', 'at most this many rows').default(50).argParser(parseLimit))
      .option('--json', 'print JSON instead of a table'),
  ).action((flags: LsFlags) => ls(flags));
}
