/**
 * One sweep lock per set of tables, however a service names their schema: given by name, or
 * left to the connection's search_path (current_schema()). Two such services on the same tables
 * must not sweep at once.
 */
import { expect, it } from 'vitest';
import { advisoryLockKey } from '../../src/postgres/cleanup/sweeper.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { useTestSchema } from './support/fixtures.js';
import { describeServer, randomName, serverUrl } from './support/server.js';

describeServer('the sweep lock', () => {
  const fixture = useTestSchema();

  it('is the same for a service given the schema by name and one finding it on its search_path', async () => {
    const { db } = fixture;
    const named = await db.service(randomName('named'), { sessionTtlMs: 60_000 });
    const found = await PostgresSessionService.create({
      dsn: serverUrl,
      sessionTtlMs: 60_000,
      extraOptions: { options: `-c search_path=${db.name}`, application_name: randomName('found') },
      onError: () => undefined,
    });
    const holder = await db.admin.connect();
    try {
      const { rows } = await holder.query<{ d: string }>('SELECT current_database() AS d');
      const key = advisoryLockKey(`${rows[0]!.d}.${db.name}.`);
      // Both work on the same tables: what one stores, the other reads.
      await named.createSession({ appName: 'a', userId: 'u', sessionId: 's' });
      expect((await found.getSession({ appName: 'a', userId: 'u', sessionId: 's' }))?.id).toBe('s');

      await holder.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      expect((await named.sweepNow()).ran).toBe(false);
      expect((await found.sweepNow()).ran).toBe(false);
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
      expect((await found.sweepNow()).ran).toBe(true);
    } finally {
      holder.release();
      await named.close();
      await found.close();
    }
  });
});
