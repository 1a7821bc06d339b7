/**
 * Data for the operations the command performs (cleanup, restore, purge), written through the
 * library and then aged with SQL: an expired session, a soft-deleted one, one soft-deleted 40
 * days ago, and expired app and user state.
 */

import { tableNames } from '../../src/postgres/schema/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import type { SqlClient } from '../../src/sql/client.js';

export const SEED_APP = 'support';
export const SEED_USER = 'u1';

const say = (role: 'user' | 'assistant', content: string) =>
  createEvent({ author: role, invocationId: 'inv', message: { role, content } });

export async function seedOperations(client: SqlClient, schema = ''): Promise<void> {
  const service = await PostgresSessionService.create({ client, schema });
  const key = (sessionId: string) => ({ appName: SEED_APP, userId: SEED_USER, sessionId });
  try {
    const old = await service.createSession(key('s-old'));
    await service.appendEvent(old, say('user', 'Where is my order?'));
    await service.appendEvent(old, say('assistant', 'It ships tomorrow.'));

    const deleted = await service.createSession(key('s-del'));
    await service.appendEvent(deleted, say('user', 'Cancel my subscription.'));
    await service.appendEvent(deleted, say('assistant', 'Done.'));
    await service.appendTrackEvent(deleted, {
      track: 'audit',
      payload: { action: 'cancel' },
      timestamp: new Date(),
    });
    await service.deleteSession(key('s-del'));

    const purged = await service.createSession(key('s-purge'));
    await service.appendEvent(purged, say('user', 'Forget me.'));
    await service.deleteSession(key('s-purge'));

    await service.updateAppState(SEED_APP, stateOf({ banner: 'spring sale', theme: 'dark' }));
    await service.updateUserState(
      { appName: SEED_APP, userId: SEED_USER },
      stateOf({ tmp: 'x', lang: 'en' }),
    );
  } finally {
    await service.close();
  }
  const t = tableNames(schema, '');
  const hourAgo = toSqlTimestamp(new Date(Date.now() - 3_600_000));
  await client.query(
    `UPDATE ${t.sessionStates.qualified} SET expires_at = $1::timestamp WHERE session_id = 's-old'`,
    [hourAgo],
  );
  // Its events were last written two days ago, older than the 24 h session TTL of the tests.
  await client.query(
    `UPDATE ${t.sessionEvents.qualified} SET updated_at = $1::timestamp WHERE session_id = 's-old'`,
    [toSqlTimestamp(new Date(Date.now() - 48 * 3_600_000))],
  );
  await client.query(`UPDATE ${t.appStates.qualified} SET expires_at = $1::timestamp WHERE key = 'banner'`, [
    hourAgo,
  ]);
  await client.query(`UPDATE ${t.userStates.qualified} SET expires_at = $1::timestamp WHERE key = 'tmp'`, [
    hourAgo,
  ]);
  for (const table of [t.sessionStates, t.sessionEvents, t.sessionSummaries, t.sessionTrackEvents]) {
    await client.query(
      `UPDATE ${table.qualified} SET deleted_at = deleted_at - interval '40 days'
       WHERE session_id = 's-purge' AND deleted_at IS NOT NULL`,
    );
  }
}
