/**
 * `agent-sessions ls`: apps, the users of an app (`--app`), or the sessions of a user
 * (`--app --user`), with counts and the last update, as a table or JSON.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ListFilter,
  type Listing,
  listApps,
  listSessions,
  listUsers,
  type SessionListing,
} from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { formatCount } from '../output/format.js';
import { safeJson } from '../output/safe-text.js';
import { type Column, renderTable } from '../output/table.js';
import { formatUtc } from '../timestamps.js';

interface LsFlags extends ConnectionFlags {
  app?: string;
  user?: string;
  all?: boolean;
  limit: number;
  json?: boolean;
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** The listing filter of the flags: `--all` counts expired and soft-deleted sessions too. */
function filterOf(flags: LsFlags): ListFilter {
  return { appName: flags.app, userId: flags.user, includeInactive: flags.all === true, limit: flags.limit };
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
    // Stored names may hold DEL, C1 and bidi controls, which JSON.stringify leaves raw. (The table
    // escapes its cells itself.)
    await print(safeJson(JSON.stringify(listing.rows.map(json), null, 2)));
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
      const listing = await listSessions(db, filterOf(flags));
      const columns: Column<SessionListing>[] = [
        ...(flags.app === undefined ? [{ header: 'APP', value: (r: SessionListing) => r.appName }] : []),
        { header: 'SESSION', value: (r) => r.sessionId, color: (t) => c.bold(t) },
        { header: 'TURNS', value: (r) => count(r.turns), align: 'right' },
        { header: 'EVENTS', value: (r) => count(r.events), align: 'right' },
        { header: 'CREATED', value: (r) => formatUtc(r.createdAt) },
        { header: 'UPDATED', value: (r) => formatUtc(r.updatedAt) },
        ...(flags.all
          ? [
              {
                header: 'STATUS',
                value: (r: SessionListing) => r.status,
                color: (t: string, r: SessionListing) => (r.status === 'live' ? c.green(t) : c.red(t)),
              },
            ]
          : []),
      ];
      await output(flags, listing, columns, 'sessions', (r) => ({
        appName: r.appName,
        userId: r.userId,
        sessionId: r.sessionId,
        turns: r.turns,
        events: r.events,
        createdAt: iso(r.createdAt),
        updatedAt: iso(r.updatedAt),
        expiresAt: iso(r.expiresAt),
        status: r.status,
      }));
    } else if (flags.app !== undefined) {
      const listing = await listUsers(db, filterOf(flags));
      await output(
        flags,
        listing,
        [
          { header: 'USER', value: (r) => r.userId, color: (t) => c.bold(t) },
          { header: 'SESSIONS', value: (r) => count(r.sessions), align: 'right' },
          { header: 'EVENTS', value: (r) => count(r.events), align: 'right' },
          { header: 'LAST UPDATE', value: (r) => formatUtc(r.lastUpdate) },
        ],
        'users',
        (r) => ({ userId: r.userId, sessions: r.sessions, events: r.events, lastUpdate: iso(r.lastUpdate) }),
      );
    } else {
      const listing = await listApps(db, filterOf(flags));
      await output(
        flags,
        listing,
        [
          { header: 'APP', value: (r) => r.appName, color: (t) => c.bold(t) },
          { header: 'USERS', value: (r) => count(r.users), align: 'right' },
          { header: 'SESSIONS', value: (r) => count(r.sessions), align: 'right' },
          { header: 'EVENTS', value: (r) => count(r.events), align: 'right' },
          { header: 'LAST UPDATE', value: (r) => formatUtc(r.lastUpdate) },
        ],
        'apps',
        (r) => ({
          appName: r.appName,
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
