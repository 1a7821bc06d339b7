/**
 * A database whose default isolation is SERIALIZABLE (`ALTER DATABASE ... SET
 * default_transaction_isolation = 'serializable'`). Appends are single statements that take the
 * session row's lock in turn; under SERIALIZABLE the ones that wait fail with a serialization
 * error instead. The pool the service makes sets READ COMMITTED on each direct connection; a
 * pool the caller passes in keeps its own setting.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { createEvent } from '../../src/session/event.js';
import { describeServer, serverUrl, withServerDatabase } from '../support/database.js';

let database: Awaited<ReturnType<typeof withServerDatabase>> | undefined;

beforeAll(async () => {
  if (!serverUrl) return;
  database = await withServerDatabase('iso', { default_transaction_isolation: 'serializable' });
});

afterAll(async () => {
  await database?.drop();
});

const key = (sessionId: string) => ({ appName: 'iso', userId: 'u', sessionId });

describeServer('a database whose default isolation is SERIALIZABLE', () => {
  it('takes concurrent appends to one session in turn, each stored once', async () => {
    const service = await PostgresSessionService.create({ dsn: database!.url, extraOptions: { max: 8 } });
    try {
      const session = await service.createSession(key('race'));
      const texts = Array.from({ length: 24 }, (_, i) => `m${i}`);
      await Promise.all(
        texts.map((text) =>
          service.appendEvent(
            session,
            createEvent({ author: 'user', message: { role: 'user', content: text } }),
          ),
        ),
      );
      const read = await service.getSession(key('race'));
      expect(read!.events.map((e) => e.choices![0]!.message.content).sort()).toEqual([...texts].sort());
    } finally {
      await service.close();
    }
  });

  it('leaves the isolation of a pool the caller passes in as the caller set it', async () => {
    const pool = new pg.Pool({ connectionString: database!.url, max: 1 });
    // pool.end() resolves before the server has seen its connection close, so dropping the
    // database WITH (FORCE) afterwards may still terminate it; a pool reports that as an 'error'
    // event, which without a listener is an uncaught exception.
    pool.on('error', () => undefined);
    const service = await PostgresSessionService.create({ pool });
    try {
      await service.createSession(key('theirs'));
      await service.getSession(key('theirs'));
      const { rows } = await pool.query<{ i: string }>(
        "SELECT current_setting('default_transaction_isolation') AS i",
      );
      expect(rows[0]!.i).toBe('serializable');
    } finally {
      await service.close();
      await pool.end();
    }
  });
});
