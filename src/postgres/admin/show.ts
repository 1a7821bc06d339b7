/**
 * One session for a person to read: the live session of a key with everything stored with it
 * (an export record), and, when there is none, whether it was soft-deleted and when.
 */
import type { SessionKey } from '../../session/keys.js';
import { checkKeyArgs } from './arguments.js';
import type { AdminDatabase } from './database.js';
import { exportSessions } from './export.js';
import type { ExportedSession } from './export-format.js';
import { isoColumn } from './timestamps.js';

/**
 * The live (not soft-deleted) session of `key` as an export record, with its app's and user's
 * state; undefined when there is none. An expired session that no sweep has removed is returned
 * (its `expiresAt` says so): an operator looks at what is stored, not at what a service returns.
 */
export async function findSession(db: AdminDatabase, key: SessionKey): Promise<ExportedSession | undefined> {
  const filter = {
    appName: key.appName,
    userId: key.userId,
    sessionId: key.sessionId,
    includeDeleted: false,
  };
  for await (const record of exportSessions(db, filter, { pageSize: 1 })) return record;
  return undefined;
}

/**
 * When the most recent soft-deleted session of `key` was deleted (export timestamp text), or
 * null when no session of the key was ever soft-deleted, or one is live.
 */
export async function lastDeletion(db: AdminDatabase, key: SessionKey): Promise<string | null> {
  checkKeyArgs(key);
  const { rows } = await db.client.query<{ deleted_at: string | null }>(
    `SELECT ${isoColumn('deleted_at')} AS deleted_at FROM ${db.tables.sessionStates.qualified}
     WHERE app_name = $1 AND user_id = $2 AND session_id = $3 ORDER BY deleted_at DESC NULLS FIRST LIMIT 1`,
    [key.appName, key.userId, key.sessionId],
  );
  return rows[0]?.deleted_at ?? null;
}
