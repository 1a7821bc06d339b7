/**
 * A database whose DateStyle is not ISO (`ALTER DATABASE ... SET DateStyle = 'SQL, DMY'`, set by
 * an operator for a reporting tool) and whose TimeZone is not UTC, and a PGlite instance whose
 * owner set it in its session. Reads order events by the timestamp text the server writes and
 * parse session times from it, so each connection is set to DateStyle ISO: events come back in
 * order across days and months, directly, through PgBouncer (which carries the setting from one
 * server connection to the next) and on PGlite.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { describeServer, serverUrl, withServerDatabase } from '../support/database.js';
import { describePgBouncer, type PgBouncer, startPgBouncer } from '../support/pgbouncer.js';

const HOUR = 3_600_000;

let database: Awaited<ReturnType<typeof withServerDatabase>> | undefined;

beforeAll(async () => {
  if (!serverUrl) return;
  database = await withServerDatabase('ds', { DateStyle: 'SQL, DMY', TimeZone: 'Pacific/Chatham' });
});

afterAll(async () => {
  await database?.drop();
});

/** The database's own DateStyle, as a connection that does not set it sees it. */
async function serverDateStyle(dsn: string): Promise<string> {
  const plain = new pg.Client({ connectionString: dsn });
  await plain.connect();
  try {
    const { rows } = await plain.query<{ d: string }>("SELECT current_setting('DateStyle') AS d");
    return rows[0]!.d;
  } finally {
    await plain.end();
  }
}

/** Appends across midnight and month ends: `31/01 23:00`, `01/02 01:00`, ... as SQL DMY writes them. */
async function exercise(connect: { dsn: string } | { client: SqlClient }): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 0, 31, 22, 0));
  const service = await PostgresSessionService.create({ ...connect, clock });
  try {
    const user = { appName: 'date-style', userId: `u-${randomBytes(4).toString('hex')}` };
    const first = await service.createSession({ ...user, sessionId: 'first' });
    const texts: string[] = [];
    for (let i = 0; i < 12; i++) {
      clock.advance(i % 3 === 0 ? 30 * 24 * HOUR : 2 * HOUR);
      const text = `message ${i}`;
      texts.push(text);
      await service.appendEvent(
        first,
        createEvent({ author: 'user', message: { role: 'user', content: text } }),
      );
    }
    clock.advance(HOUR);
    const second = await service.createSession({ ...user, sessionId: 'second' });
    clock.advance(400 * 24 * HOUR);
    await service.appendEvent(
      second,
      createEvent({ author: 'user', message: { role: 'user', content: 'later' } }),
    );

    const read = await service.getSession({ ...user, sessionId: 'first' });
    expect(read!.events.map((e) => e.choices![0]!.message.content)).toEqual(texts);
    const lastThree = await service.getSession({ ...user, sessionId: 'first' }, { eventNum: 3 });
    expect(lastThree!.events.map((e) => e.choices![0]!.message.content)).toEqual(texts.slice(-3));
    // At once, on every connection of the pool (and, through PgBouncer, on server connections
    // handed from one client to the next).
    const many = await Promise.all(
      Array.from({ length: 24 }, () => service.getSession({ ...user, sessionId: 'first' }, { eventNum: 3 })),
    );
    for (const s of many)
      expect(s!.events.map((e) => e.choices![0]!.message.content)).toEqual(texts.slice(-3));
    expect(read!.createdAt.getTime()).toBe(Date.UTC(2026, 0, 31, 22, 0));
    expect(read!.updatedAt.getTime()).toBe(first.createdAt.getTime() + 4 * 30 * 24 * HOUR + 8 * 2 * HOUR);

    // Newest first: the session appended to last, a year later.
    const listed = await service.listSessions(user, { onlyMeta: true });
    expect(listed.map((s) => s.id)).toEqual(['second', 'first']);
    const withEvents = await service.listSessions(user, { eventNum: 2 });
    expect(withEvents.map((s) => s.events.map((e) => e.choices![0]!.message.content))).toEqual([
      ['later'],
      texts.slice(-2),
    ]);
  } finally {
    await service.close();
  }
}

describeServer('a database whose DateStyle is SQL, DMY and TimeZone not UTC', () => {
  it('reads events in order and session times exactly, on a direct connection', async () => {
    expect(await serverDateStyle(database!.url)).toBe('SQL, DMY');
    await exercise({ dsn: database!.url });
  });
});

describePgBouncer('the same database through PgBouncer', () => {
  let bouncer: PgBouncer;
  beforeAll(async () => {
    // Fewer server connections than the service's pool has clients: they are shared.
    bouncer = await startPgBouncer('transaction', { settings: { default_pool_size: '3' } });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  it('reads events in order in transaction pooling, where a connection moves between server connections', async () => {
    const url = new URL(bouncer.url);
    url.pathname = `/${database!.name}`;
    expect(await serverDateStyle(url.toString())).toBe('SQL, DMY');
    await exercise({ dsn: url.toString() });
  });
});

describe('a PGlite instance whose session has DateStyle SQL, DMY', () => {
  it('reads events in order and session times exactly', async () => {
    // PGlite applies no per-database settings when it starts, so the style comes from the
    // caller's own session, on an instance it hands the service.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create();
    try {
      await db.exec(`SET DateStyle = 'SQL, DMY'`);
      await exercise({ client: await pgliteClient(db) });
      const style = await db.query<{ d: string }>("SELECT current_setting('DateStyle') AS d");
      expect(style.rows[0]!.d).toBe('ISO, DMY');
    } finally {
      await db.close();
    }
  }, 60_000);
});
