/**
 * `agent-sessions/postgres/admin`: the operator API of the PostgreSQL backend, the operations the
 * `agent-sessions` command runs, for code: list, show, export, import, restore, purge, stats,
 * sweeps with their reports, and migrate. Every function takes an {@link AdminDatabase} (a client
 * and the table names) first; the caller opens and closes the client.
 *
 * Conventions of this folder: one file per group of operations (list, stats, export, ...), each
 * function `(db: AdminDatabase, ...) => Promise<typed result>`; its SQL is plain text next to it,
 * parameterized, with table names from `db.tables`; results are plain objects with camelCase
 * fields and Dates (no formatting: that is the caller's, as the CLI's tables and JSON are); bad
 * input is a typed error from `session/errors.ts`. The CLI is one caller of these functions.
 *
 * @example
 * ```ts
 * import { pgClient } from 'agent-sessions/postgres';
 * import { adminDatabase, listSessions, purge } from 'agent-sessions/postgres/admin';
 *
 * const db = adminDatabase(pgClient(pool), { schema: 'agents' });
 * const { rows } = await listSessions(db, { appName: 'support', userId: 'u1' });
 * await purge(db, { olderThan: new Date(Date.now() - 30 * 86_400_000) });
 * ```
 */
export type { SweepCounts, SweepReport } from '../../session/observers.js';
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
  countExpired,
  countPurgeable,
  countSweepable,
  type PurgeOptions,
  purge,
  type RestoreCounts,
  type RestoreOptions,
  restore,
  type SweepOptions,
  sweepNow,
} from './cleanup.js';
export {
  type AdminDatabase,
  type AdminTableOptions,
  adminDatabase,
  findMissingTables,
  type MissingTables,
} from './database.js';
export { countSessions, exportSessions, type SessionFilter, StateTracker } from './export.js';
export {
  EXPORT_FORMAT,
  type ExportedEvent,
  type ExportedSession,
  type ExportedState,
  type ExportedSummary,
  type ExportedTrackEvent,
  ExportLineError,
  formatExportLine,
  parseExportLine,
  type RowTimes,
} from './export-format.js';
export { addImportCounts, emptyImportCounts, type ImportCounts, importSession } from './import.js';
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
export { type MigrationReport, migrate, migrationStatements } from './migrate.js';
export { findSession, lastDeletion } from './show.js';
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
