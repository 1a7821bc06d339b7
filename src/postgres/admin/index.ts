/**
 * `agent-sessions/postgres/admin`: the operator API of the PostgreSQL backend, the operations the
 * `agent-sessions` command runs, for code: list, show, export, import, restore, purge, stats and
 * sweep reports. Every function takes an {@link AdminDatabase} (a client and the table names)
 * first; the caller opens and closes the client.
 *
 * Conventions of this folder: one file per group of operations (list, stats, ...), each function
 * `(db: AdminDatabase, options?) => Promise<typed result>`; its SQL is plain text next to it,
 * parameterized, with table names from `db.tables`; results are plain objects with camelCase
 * fields and Dates (no formatting: that is the caller's, as the CLI's tables and JSON are); bad
 * input is a typed error from `session/errors.ts`. The CLI is one caller of these functions.
 */
export {
  type BrowsedSession,
  type BrowseSessionsOptions,
  browseSessions,
  type RowStatus,
  readAppState,
  readUserState,
  type SessionPage,
  type StateRow,
  type VisibilityOptions,
} from './browse.js';
export {
  type AdminDatabase,
  type AdminTableOptions,
  adminDatabase,
  findMissingTables,
  type MissingTables,
} from './database.js';
export {
  type AppListing,
  type ListFilter,
  type Listing,
  listApps,
  listSessions,
  listUsers,
  type SessionListing,
  type UserListing,
} from './list.js';
export { type TableStats, tableStats } from './stats.js';
export {
  readTimeline,
  type Timeline,
  type TimelineEvent,
  type TimelineOptions,
  type TimelineSession,
  type TimelineSummary,
  type TimelineTrackEvent,
} from './timeline.js';
