/**
 * A pool whose connections are all in use says so: calls that wait out connectTimeoutMs for a free
 * connection fail naming the pool's size and the target (no password), distinguishable from a
 * server that does not answer, where the same node-postgres words ("timeout exceeded when trying
 * to connect") mean the connections being opened did not get through.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/postgres/connection/open.js';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { resolvePostgresOptions } from '../../src/postgres/options.js';
import { createEvent } from '../../src/session/event.js';
import { isConnectionError, isTransientError, PoolExhaustedError } from '../../src/sql/errors.js';
import { serverUrl, withServerSchema } from '../support/database.js';

const settle = <T>(p: Promise<T>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe.skipIf(!serverUrl)('a pool with every connection in use', () => {
  let db: Awaited<ReturnType<typeof withServerSchema>>;
  beforeAll(async () => {
    db = await withServerSchema();
  });
  afterAll(() => db?.drop());

  it('fails a call that waited connectTimeoutMs with the pool size and the target, no password', async () => {
    const url = new URL(serverUrl!);
    url.password = 'pool-s3cret';
    const svc = await PostgresSessionService.create({
      dsn: url.toString(),
      schema: db.schema,
      extraOptions: { max: 3 },
      connectTimeoutMs: 1_000,
    });
    let unlock = () => {};
    try {
      const session = await svc.createSession({ appName: 'pool', userId: 'u', sessionId: 's' });
      // Another client holds the session's row: three appends wait for it, each on a connection
      // of the pool's three.
      let locked = () => {};
      const held = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = db.client.transaction(async (tx) => {
        await tx.query(`SELECT 1 FROM "${db.schema}".session_states FOR UPDATE`);
        locked();
        await new Promise<void>((resolve) => {
          unlock = resolve;
        });
      });
      await held;
      const appends = Array.from({ length: 3 }, () =>
        svc.appendEvent(session, createEvent({ author: 'user', message: { role: 'user', content: 'x' } })),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const error = await settle(svc.listSessions({ appName: 'pool', userId: 'u' }));
      unlock();
      await holder;
      await Promise.all(appends);
      expect((error as { code?: string }).code).toBe('STORAGE');
      expect(error!.message).toContain('listSessions failed: all 3 connections of the pool to');
      expect(error!.message).toContain(`${url.hostname}:${url.port || 5432}/${url.pathname.slice(1)}`);
      expect(error!.message).toContain('were in use for 1000 ms');
      expect(error!.message).not.toContain('pool-s3cret');
      expect(error!.cause).toBeInstanceOf(PoolExhaustedError);
      expect(isTransientError(error)).toBe(true);
      expect(isConnectionError(error)).toBe(false);
    } finally {
      unlock();
      await svc.close();
    }
  });
});

describe('a server that does not answer', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never says a word.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is not reported as a pool in use, though a queued call gets the same words from node-postgres', async () => {
    const opened = openConnection(
      resolvePostgresOptions({
        dsn: `postgres://app@127.0.0.1:${port}/db`,
        extraOptions: { max: 1 },
        connectTimeoutMs: 500,
      }),
    );
    try {
      const errors = await Promise.all([
        settle(opened.client.query('SELECT 1')),
        settle(opened.client.query('SELECT 1')),
      ]);
      for (const error of errors) {
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(PoolExhaustedError);
        expect(isConnectionError(error)).toBe(true);
      }
      expect(errors.map((e) => e!.message)).toContain('timeout exceeded when trying to connect');
    } finally {
      await opened.client.close();
    }
  });
});
