/**
 * A database whose default isolation is SERIALIZABLE (`ALTER DATABASE ... SET
 * default_transaction_isolation = 'serializable'`). Appends are single statements that take the
 * session row's lock in turn; under SERIALIZABLE the ones that wait fail with a serialization
 * error instead. The pool the service makes sets READ COMMITTED on each direct connection; a
 * pool the caller passes in keeps its own setting.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { createEvent } from '../../src/session/event.js';
import { describeServer, serverUrl } from '../support/database.js';

let database: string;
let dsn: string;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  if (!serverUrl) return;
  database = `iso_${randomBytes(6).toString('hex')}`;
  await admin(async (c) => {
    await c.query(`CREATE DATABASE "${database}"`);
    await c.query(`ALTER DATABASE "${database}" SET default_transaction_isolation = 'serializable'`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  dsn = url.toString();
});

afterAll(async () => {
  if (!serverUrl || !database) return;
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
});

const key = (sessionId: string) => ({ appName: 'iso', userId: 'u', sessionId });

describeServer('a database whose default isolation is SERIALIZABLE', () => {
  it('takes concurrent appends to one session in turn, each stored once', async () => {
    const service = await PostgresSessionService.create({ dsn, extraOptions: { max: 8 } });
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
    const pool = new pg.Pool({ connectionString: dsn, max: 1 });
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
