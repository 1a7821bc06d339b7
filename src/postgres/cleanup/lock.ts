/**
 * The advisory lock that makes one sweeper at a time work on a set of tables, across processes.
 */
import { createHash } from 'node:crypto';
import type { SqlClient, SqlExecutor } from '../../sql/client.js';

/**
 * The bigint advisory-lock key of a lock name, as decimal text (it does not fit a JS number).
 *
 * The name is namespaced before hashing so that our key does not collide with an advisory lock
 * another program derives from the same database, schema and prefix; 64 bits of SHA-256 make an
 * accidental collision between two table sets negligible.
 */
export function advisoryLockKey(lockName: string): string {
  const digest = createHash('sha256').update(`agent-sessions:sweep:${lockName}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * Runs `fn` on one dedicated connection while holding the session-level advisory lock `key`, or
 * returns `{ locked: false }` at once when another connection holds it.
 *
 * A session-level lock (not a transaction-level one) is what lets the work inside commit batch by
 * batch: the lock lives as long as the connection holds it, across those commits, and the server
 * drops it by itself if the connection dies mid-sweep, so a crashed sweeper never blocks the next.
 */
export async function withAdvisoryLock<T>(
  client: SqlClient,
  key: string,
  fn: (conn: SqlExecutor) => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  return client.withConnection(async (conn) => {
    const { rows } = await conn.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [key],
    );
    if (rows[0]?.locked !== true) return { locked: false };
    let value: T;
    try {
      value = await fn(conn);
    } catch (error) {
      // The work's error is the one worth reporting; an unlock failure here most likely means the
      // connection is gone, and the server released the lock with it.
      await conn.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
      throw error;
    }
    // Session-level locks stack: exactly one unlock per successful try, or the lock would stay
    // with this (pooled) connection and block every later sweep.
    await conn.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    return { locked: true, value };
  });
}
