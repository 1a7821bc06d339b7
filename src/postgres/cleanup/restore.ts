/**
 * Undoing a soft delete of a session.
 */
import { ConflictError, isAgentSessionsError, NotFoundError, StorageError } from '../../session/errors.js';
import { checkSessionKey, type SessionKey } from '../../session/keys.js';
import { checkTimeOption } from '../../session/options.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlClient } from '../../sql/client.js';
import { isUniqueViolation, SqlConfigError } from '../../sql/errors.js';
import { asConfigError } from '../connection/connection-string.js';
import type { TableNames } from '../schema/index.js';
import {
  type SameRow,
  selectDeletedIncarnation,
  selectDeletedOfLive,
  selectLiveSession,
  sqlTableNames,
  undeleteRows,
} from './sql.js';

/** Options of `restoreSession` (the admin API's `restore`). */
export interface RestoreOptions {
  /**
   * Which soft-deleted incarnation of the key to restore, by its deleted_at (the most recent one
   * when absent).
   */
  deletedAt?: Date;
}

/** Rows brought back by `restoreSession` (the admin API's `restore`), per table. */
export interface RestoreCounts {
  sessions: number;
  events: number;
  summaries: number;
  trackEvents: number;
}

/**
 * Undoes a soft delete: clears deleted_at on the rows of the key's most recently soft-deleted
 * session (or the one deleted at `deletedAt`) in the session, event, summary and track-event
 * tables, in one transaction.
 *
 * One deleteSession (or one sweep) marks everything it removes with the same deleted_at, so
 * "rows with exactly that deleted_at" is exactly what that one call removed: events swept earlier
 * for their age, or an older incarnation of the same key, stay deleted.
 *
 * While a live session holds the key, what a sweep took from that session (events whose newest
 * was older than the TTL, expired track events) is restored instead, by the same rule: the rows
 * of its latest removal (or the one at `deletedAt`); each call undoes one pass. Of those, a row
 * the live session holds again (an event of the same id, the same track event, a summary of the
 * same filter key, written anew by an import, say) stays deleted.
 *
 * The restored session keeps its expires_at: one that was swept for its TTL is swept again by the
 * next sweep unless it is written to first.
 *
 * @throws NotFoundError when no such soft-deleted session exists (nothing was changed).
 * @throws ConflictError when a live session with the key exists and nothing of it was
 *   soft-deleted (nothing was changed).
 */
export async function restoreSession(
  client: SqlClient,
  tables: TableNames,
  key: SessionKey,
  options: RestoreOptions = {},
): Promise<RestoreCounts> {
  checkSessionKey(key);
  const { deletedAt } = options;
  checkTimeOption('deletedAt', deletedAt);
  const names = sqlTableNames(tables);
  const k = [key.appName, key.userId, key.sessionId] as const;
  const name = `${key.appName}/${key.userId}/${key.sessionId}`;
  try {
    return await client.transaction(async (tx) => {
      const wanted = deletedAt === undefined ? undefined : toSqlTimestamp(deletedAt);
      const undelete = async (table: string, at: string, same?: SameRow) => {
        const query = undeleteRows(table, k, at, same);
        return (await tx.query(query.text, query.params)).rowCount;
      };
      const live = selectLiveSession(names.sessionStates, k);
      const createdAt = (await tx.query<{ created_at: string }>(live.text, live.params)).rows[0]?.created_at;
      if (createdAt !== undefined) {
        // A live session: what a sweep took from it for its age (its events, its track events)
        // comes back; an earlier incarnation cannot, while this one holds the key.
        const ofLive = selectDeletedOfLive(names, k, createdAt, wanted);
        const at = (await tx.query<{ deleted_at: string | null }>(ofLive.text, ofLive.params)).rows[0]
          ?.deleted_at;
        if (at) {
          return {
            sessions: 0,
            events: await undelete(names.sessionEvents, at, 'event id'),
            summaries: await undelete(names.sessionSummaries, at, 'filter key'),
            trackEvents: await undelete(names.sessionTrackEvents, at, 'track event'),
          };
        }
      }
      const found = selectDeletedIncarnation(names.sessionStates, k, wanted);
      const { rows } = await tx.query<{ deleted_at: string }>(found.text, found.params);
      const at = rows[0]?.deleted_at;
      if (at === undefined) {
        throw new NotFoundError(
          wanted === undefined
            ? `session ${name}: no soft-deleted session to restore`
            : `session ${name}: no session soft-deleted at ${wanted}`,
        );
      }
      if (createdAt !== undefined) {
        throw new ConflictError(
          `session ${name}: a live session with this key exists; delete it before restoring`,
        );
      }
      // The session row first: if a create won the key in the meantime, the unique index stops
      // the restore here, before anything else was touched.
      const sessions = await undelete(names.sessionStates, at);
      const events = await undelete(names.sessionEvents, at);
      const summaries = await undelete(names.sessionSummaries, at);
      const trackEvents = await undelete(names.sessionTrackEvents, at);
      return { sessions, events, summaries, trackEvents };
    });
  } catch (error) {
    if (isAgentSessionsError(error)) throw error;
    if (isUniqueViolation(error)) {
      throw new ConflictError(`session ${name}: a live session (or summary) with this key exists`, {
        cause: error,
      });
    }
    // A pooler refusing the transaction is a setting to change, and any other failure says what
    // the database answered: "restore failed" alone left an operator with nothing to act on.
    if (error instanceof SqlConfigError) throw asConfigError(error);
    const message = error instanceof Error ? error.message || error.name : String(error);
    throw new StorageError(`restore of session ${name} failed: ${message}`, { cause: error });
  }
}
