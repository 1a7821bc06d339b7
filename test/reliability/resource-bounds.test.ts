/**
 * Resource bounds: a session of 100,000 events is read with a limit without its history being
 * loaded (counted as the rows the database returns to the service), the asynchronous write queue
 * and the summary queue hold a bounded number of items however fast callers go, and close()
 * gives every connection back to the server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncPersister } from '../../src/postgres/async/persister.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { encodeEvent } from '../../src/session/codec/index.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgClient } from '../../src/sql/pg-client.js';
import { SummaryJobQueue } from '../../src/summary/job-queue.js';
import { useTestSchema } from './support/fixtures.js';
import {
  createTestSchema,
  describeServer,
  randomName,
  serverUrl,
  sleep,
  type TestSchema,
  waitUntil,
} from './support/server.js';

const EVENTS = 100_000;

/** A SqlClient that counts the rows every statement hands back to the service. */
function counting(inner: SqlClient): SqlClient & { rows: number; statements: number; reset(): void } {
  const counter = {
    rows: 0,
    statements: 0,
    reset() {
      counter.rows = 0;
      counter.statements = 0;
    },
  };
  const count = async <T extends { rows: unknown[] }>(result: Promise<T>) => {
    const r = await result;
    counter.rows += r.rows.length;
    counter.statements++;
    return r;
  };
  const wrap = (exec: Pick<SqlClient, 'query'>) => ({
    query: <Row>(text: string, params?: readonly unknown[]) => count(exec.query<Row>(text, params)),
  });
  return Object.assign(counter, {
    kind: inner.kind,
    query: <Row>(text: string, params?: readonly unknown[]) => count(inner.query<Row>(text, params)),
    transaction: <T>(fn: Parameters<SqlClient['transaction']>[0]) =>
      inner.transaction((tx) => fn(wrap(tx))) as Promise<T>,
    withConnection: <T>(fn: Parameters<SqlClient['withConnection']>[0]) =>
      inner.withConnection((conn) => fn(wrap(conn))) as Promise<T>,
    close: () => inner.close(),
  }) as SqlClient & typeof counter;
}

describeServer('a session with 100,000 events', () => {
  let db: TestSchema;
  let pool: pg.Pool;
  let client: ReturnType<typeof counting>;
  let service: PostgresSessionService;
  const key: SessionKey = { appName: randomName('long'), userId: 'u', sessionId: 'long' };

  beforeAll(async () => {
    db = await createTestSchema();
    pool = new pg.Pool({ connectionString: serverUrl, max: 2, application_name: randomName('bounds') });
    client = counting(pgClient(pool, { owned: false }));
    service = await PostgresSessionService.create({ client, schema: db.name });
    await service.createSession(key);
    const template = encodeEvent(createEvent({ author: 'user', message: { role: 'user', content: 'x' } }));
    // Written in SQL: appending 100,000 events one call at a time would take minutes.
    await db.admin.query(
      `INSERT INTO "${db.name}".session_events (app_name, user_id, session_id, event, created_at, updated_at)
       SELECT $1, $2, $3,
         jsonb_set(jsonb_set($4::jsonb, '{id}', to_jsonb('e' || g)), '{choices,0,message,content}', to_jsonb('m' || g)),
         s.created_at + g * interval '1 millisecond', s.created_at
       FROM generate_series(1, ${EVENTS}) g,
         (SELECT created_at FROM "${db.name}".session_states WHERE app_name = $1 AND session_id = $3) s`,
      [key.appName, key.userId, key.sessionId, template],
    );
    await db.admin.query(`ANALYZE "${db.name}".session_events`);
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    await pool?.end();
    await db?.drop();
  });

  it('reads the newest events with a limit, fetching only about that many rows', async () => {
    client.reset();
    const read = await service.getSession(key, { eventNum: 10 });
    expect(read!.events.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${EVENTS - 9 + i}`));
    expect(client.rows).toBeLessThanOrEqual(20);

    client.reset();
    const defaulted = await service.getSession(key);
    expect(defaulted!.events).toHaveLength(1000);
    expect(defaulted!.events.at(-1)!.id).toBe(`e${EVENTS}`);
    expect(client.rows).toBeLessThanOrEqual(1010);
  });

  it('lists, pages and windows the session without loading its history', async () => {
    client.reset();
    const listed = await service.listSessions(key, { eventNum: 3 });
    expect(listed[0]!.events.map((e) => e.id)).toEqual([`e${EVENTS - 2}`, `e${EVENTS - 1}`, `e${EVENTS}`]);
    expect(client.rows).toBeLessThanOrEqual(10);

    client.reset();
    const page = await service.getSession(key, { eventPage: { offset: 50_000, limit: 5 } });
    expect(page!.events).toHaveLength(5);
    expect(client.rows).toBeLessThanOrEqual(10);

    client.reset();
    const window = await service.getEventWindow(key, 'e50000', { before: 2, after: 2 });
    expect(window.map((e) => e.id)).toEqual(['e49998', 'e49999', 'e50000', 'e50001', 'e50002']);
    // The anchor and a page of twice the asked count and 8 more on each side (see getEventWindow).
    expect(client.rows).toBeLessThanOrEqual(1 + 2 * (2 * 2 + 8));
  });

  it('keeps the heap flat while reading it again and again', async () => {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20; i++) await service.getSession(key, { eventNum: 50 });
    global.gc?.();
    // The whole history decoded would be well over 100 MB; 20 limited reads stay far below.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('queues that cannot grow without bound', () => {
  it('accepts at most a queue and a batch of writes while the database does not answer', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const written: number[] = [];
    const persister = new AsyncPersister<{ key: SessionKey; n: number }>({
      operation: 'appendEvent',
      shardOf: () => 0,
      workers: 1,
      capacity: 50,
      maxBatchSize: 10,
      onError: () => undefined,
      writeBatch: async (items) => {
        await blocked;
        written.push(...items.map((i) => i.n));
        return undefined;
      },
    });
    const key = { appName: 'a', userId: 'u', sessionId: 's' };
    let accepted = 0;
    const calls = Array.from({ length: 1_000 }, (_, n) =>
      persister.enqueue({ key, n }).then(() => {
        accepted++;
      }),
    );
    await sleep(50);
    // One batch taken by the writer, a full queue behind it; every other caller waits its turn.
    expect(accepted).toBe(60);
    expect(persister.depth).toBe(50);
    expect(persister.waiting).toBe(940);
    release();
    await Promise.all(calls);
    await persister.close();
    expect(written).toEqual(Array.from({ length: 1_000 }, (_, n) => n));
  });

  it('queues at most queueSize summary jobs per worker and runs the rest in their callers', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new SummaryJobQueue({
      workers: 1,
      queueSize: 3,
      jobTimeoutMs: 0,
      onError: () => undefined,
    });
    let started = 0;
    let returned = 0;
    const calls = Array.from({ length: 10 }, () =>
      queue
        .enqueue(7, async () => {
          started++;
          await blocked;
        })
        .then(() => {
          returned++;
        }),
    );
    await sleep(50);
    expect(returned).toBe(3);
    expect(started).toBe(8); // the worker's first job and the seven its full queue turned away
    release();
    await Promise.all(calls);
    await queue.close();
    expect(started).toBe(10);
  });
});

describeServer('close()', () => {
  const fixture = useTestSchema();

  it('holds a bounded write queue in the service while the database cannot take its writes', async () => {
    const name = randomName('bounded');
    const service = await fixture.db.service(name, { asyncPersist: true, asyncPersisterNum: 1 });
    const holder = await fixture.db.admin.connect();
    try {
      const session = await service.createSession({ appName: name, userId: 'u', sessionId: 's' });
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${fixture.db.name}".session_states WHERE app_name = $1 FOR UPDATE`, [
        name,
      ]);
      let accepted = 0;
      const total = 3_000;
      const calls = Array.from({ length: total }, (_, i) =>
        service
          .appendEvent(session, createEvent({ author: 'user', message: { role: 'user', content: `#${i}` } }))
          .then(() => {
            accepted++;
          }),
      );
      await waitUntil('the queue is full', async () => service.asyncQueueWaiting > 0);
      await sleep(100);
      // Memory is bounded by the queue (1000 per worker) and the batch in flight (at most 500):
      // the other callers wait instead of piling up.
      expect(service.asyncQueueDepth).toBeLessThanOrEqual(1_000);
      expect(accepted).toBeLessThanOrEqual(1_500);
      expect(service.asyncQueueWaiting).toBeGreaterThanOrEqual(total - 1_500);
      await holder.query('COMMIT');
      await Promise.all(calls);
      await service.flush();
      const { rows } = await fixture.db.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${fixture.db.name}".session_events WHERE app_name = $1`,
        [name],
      );
      expect(rows[0]!.n).toBe(total);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await service.close();
    }
  });

  it('gives back every connection of the pool it made, busy ones included', async () => {
    const name = randomName('close');
    const service = await fixture.db.service(name, { sessionTtlMs: 60_000, cleanupIntervalMs: 50 });
    const sessions = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        service.createSession({ appName: name, userId: 'u', sessionId: `s${i}` }),
      ),
    );
    const appends = sessions.map((s) =>
      service.appendEvent(s, createEvent({ author: 'user', message: { role: 'user', content: 'x' } })),
    );
    expect(await fixture.db.connections(name)).toBeGreaterThan(1);
    await service.close();
    await Promise.all(appends);
    await waitUntil(
      'every connection is closed',
      async () => (await fixture.db.connections(name)) === 0,
      3_000,
    );
    await expect(service.getSession({ appName: name, userId: 'u', sessionId: 's0' })).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });
});
