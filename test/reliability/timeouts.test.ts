/**
 * Statement, lock and connection timeouts: a row another connection keeps locked, a server that
 * stops answering and a port where no PostgreSQL answers all end the call with a typed error
 * (STORAGE, the driver's error as `cause`) within the configured bound, instead of hanging; the
 * same service works again as soon as the obstacle is gone.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/postgres/connection/open.js';
import { resolvePostgresOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import { sqlState } from '../../src/sql/errors.js';
import { useProxiedTestSchema } from './support/fixtures.js';
import { closedPort, startSilentServer } from './support/proxy.js';
import {
  createTestSchema,
  describeServer,
  expectCode,
  randomName,
  rejectionOf,
  serverUrl,
  storedEventIds,
  type TestSchema,
  timed,
  waitUntil,
} from './support/server.js';

const say = (text: string) => createEvent({ author: 'user', message: { role: 'user', content: text } });

describe('connecting to nothing', () => {
  it('fails within connectTimeoutMs when the server accepts the connection and never answers', async () => {
    const silent = await startSilentServer();
    try {
      const outcome = await timed(() =>
        PostgresSessionService.create({ host: '127.0.0.1', port: silent.port, connectTimeoutMs: 400 }),
      );
      expect(outcome.ok).toBe(false);
      expectCode(outcome.error, 'STORAGE');
      expect((outcome.error as Error).cause).toBeDefined();
      expect(outcome.ms).toBeGreaterThanOrEqual(350);
      expect(outcome.ms).toBeLessThan(3_000);
    } finally {
      await silent.close();
    }
  });

  it('fails at once when nothing listens on the port', async () => {
    const port = await closedPort();
    const service = new PostgresSessionService({ host: '127.0.0.1', port, connectTimeoutMs: 5_000 });
    try {
      const outcome = await timed(() => service.getSession({ appName: 'a', userId: 'u', sessionId: 's' }));
      expectCode(outcome.error, 'STORAGE');
      expect(outcome.ms).toBeLessThan(2_000);
      // The service is not broken by a failed start: the next call tries again (and fails again).
      expectCode(await rejectionOf(service.listAppStates('a')), 'STORAGE');
    } finally {
      await service.close();
    }
  });

  it.skipIf(!serverUrl)(
    'sends a bounded statement and lock timeout by default, and lets a DSN choose its own',
    async () => {
      const read = async (dsn: string, extra: Record<string, unknown> = {}) => {
        const opened = openConnection(resolvePostgresOptions({ dsn, ...extra }));
        try {
          const { rows } = await opened.client.query<{ s: string; l: string }>(
            "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l",
          );
          return rows[0];
        } finally {
          await opened.client.close();
        }
      };
      expect(await read(serverUrl!)).toEqual({ s: '30s', l: '10s' });
      expect(await read(serverUrl!, { statementTimeoutMs: 1500, lockTimeoutMs: 0 })).toEqual({
        s: '1500ms',
        l: '0',
      });
      const url = new URL(serverUrl!);
      url.searchParams.set('statement_timeout', '4321');
      expect(await read(url.toString(), { statementTimeoutMs: 1500 })).toEqual({ s: '4321ms', l: '10s' });
    },
  );

  it('refuses timeouts that are not whole non-negative milliseconds, naming the option', () => {
    for (const [field, value] of [
      ['statementTimeoutMs', -1],
      ['lockTimeoutMs', 1.5],
      ['connectTimeoutMs', '10s'],
      ['statementTimeoutMs', 2 ** 31],
    ] as const) {
      const error = (() => {
        try {
          new PostgresSessionService({ [field]: value });
        } catch (e) {
          return e;
        }
      })();
      expectCode(error, 'CONFIG');
      expect((error as Error).message).toContain(field);
    }
  });
});

describeServer('a row locked by another connection', () => {
  let db: TestSchema;
  let holder: pg.PoolClient;
  beforeAll(async () => {
    db = await createTestSchema();
    holder = await db.admin.connect();
  });
  afterAll(async () => {
    await holder?.query('ROLLBACK').catch(() => undefined);
    holder?.release();
    await db?.drop();
  });

  /** Opens a transaction on the admin connection that locks the session row of `key`. */
  async function lockSession(key: { appName: string; userId: string; sessionId: string }) {
    await holder.query('BEGIN');
    const { rowCount } = await holder.query(
      `SELECT 1 FROM "${db.name}".session_states
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL FOR UPDATE`,
      [key.appName, key.userId, key.sessionId],
    );
    expect(rowCount).toBe(1);
  }

  it('ends appendEvent after lockTimeoutMs with STORAGE (55P03), writes nothing, and works once unlocked', async () => {
    const name = randomName('lock');
    const service = await db.service(name, { lockTimeoutMs: 400, statementTimeoutMs: 5_000 });
    try {
      const session = await service.createSession({ appName: name, userId: 'u' }, stateOf({ n: 0 }));
      const key = { appName: name, userId: 'u', sessionId: session.id };
      await lockSession(key);
      const blocked = await timed(() =>
        service.appendEvent(session, { ...say('blocked'), stateDelta: stateOf({ n: 1 }) }),
      );
      await holder.query('ROLLBACK');
      expectCode(blocked.error, 'STORAGE');
      expect(sqlState(blocked.error)).toBe('55P03');
      expect(blocked.ms).toBeGreaterThanOrEqual(350);
      expect(blocked.ms).toBeLessThan(3_000);
      expect(await storedEventIds(db.admin, db.name, key)).toEqual([]);
      const fresh = await service.getSession(key);
      expect(new TextDecoder().decode(fresh!.state.n!)).toBe('0');

      const event = say('after');
      await service.appendEvent(fresh!, event);
      expect(await storedEventIds(db.admin, db.name, key)).toEqual([event.id]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await service.close();
    }
  });

  it('ends a statement after statementTimeoutMs (57014) when lock waits are not bounded on their own', async () => {
    const name = randomName('stmt');
    const service = await db.service(name, { lockTimeoutMs: 0, statementTimeoutMs: 600 });
    try {
      const session = await service.createSession({ appName: name, userId: 'u' });
      const key = { appName: name, userId: 'u', sessionId: session.id };
      await lockSession(key);
      const blocked = await timed(() => service.updateSessionState(key, stateOf({ x: 1 })));
      await holder.query('ROLLBACK');
      expectCode(blocked.error, 'STORAGE');
      expect(sqlState(blocked.error)).toBe('57014');
      expect(blocked.ms).toBeGreaterThanOrEqual(550);
      expect(blocked.ms).toBeLessThan(3_000);
      await service.updateSessionState(key, stateOf({ x: 2 }));
      const read = await service.getSession(key);
      expect(new TextDecoder().decode(read!.state.x!)).toBe('2');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await service.close();
    }
  });

  it('ends a createSession that waits on a key another transaction is inserting, as STORAGE not CONFLICT', async () => {
    const name = randomName('create');
    const service = await db.service(name, { lockTimeoutMs: 400 });
    try {
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO "${db.name}".session_states (app_name, user_id, session_id, state) VALUES ($1, 'u', 's', '{}')`,
        [name],
      );
      const blocked = await timed(() =>
        service.createSession({ appName: name, userId: 'u', sessionId: 's' }),
      );
      await holder.query('ROLLBACK');
      expectCode(blocked.error, 'STORAGE');
      expect(blocked.ms).toBeLessThan(3_000);
      // The other transaction rolled back: the key is free and the same service takes it.
      const created = await service.createSession({ appName: name, userId: 'u', sessionId: 's' });
      expect(created.id).toBe('s');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await service.close();
    }
  });

  it('sweeps around a locked expired session instead of waiting for it', async () => {
    const name = randomName('sweep');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const service = await db.service(name, { clock, sessionTtlMs: 60_000, lockTimeoutMs: 5_000 });
    try {
      const locked = await service.createSession({ appName: name, userId: 'u', sessionId: 'locked' });
      await service.createSession({ appName: name, userId: 'u', sessionId: 'free' });
      await service.appendEvent(locked, say('x'));
      clock.advance(120_000);
      await lockSession({ appName: name, userId: 'u', sessionId: 'locked' });
      const sweep = await timed(() => service.sweepNow());
      await holder.query('ROLLBACK');
      expect(sweep.ok).toBe(true);
      expect(sweep.ms).toBeLessThan(3_000);
      const { rows } = await db.admin.query<{ session_id: string; deleted: boolean }>(
        `SELECT session_id, deleted_at IS NOT NULL AS deleted FROM "${db.name}".session_states
         WHERE app_name = $1 ORDER BY session_id`,
        [name],
      );
      expect(rows).toEqual([
        { session_id: 'free', deleted: true },
        { session_id: 'locked', deleted: false },
      ]);
      // The next pass takes what was locked.
      await service.sweepNow();
      const after = await db.admin.query(
        `SELECT 1 FROM "${db.name}".session_states WHERE app_name = $1 AND deleted_at IS NULL`,
        [name],
      );
      expect(after.rowCount).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await service.close();
    }
  });
});

describeServer('a server that stops answering', () => {
  const fixture = useProxiedTestSchema();

  function throughProxy(name: string) {
    return PostgresSessionService.create({
      ...fixture.db.options(name, { statementTimeoutMs: 500, connectTimeoutMs: 1_000 }),
      dsn: fixture.proxy.dsn,
    });
  }

  it('fails reads, appends and transactions within the client read bound, then recovers', async () => {
    const name = randomName('stall');
    const service = await throughProxy(name);
    try {
      const session = await service.createSession({ appName: name, userId: 'u', sessionId: 's' });
      const key = { appName: name, userId: 'u', sessionId: 's' };
      // Three connections in the pool, so each call below waits on an open one.
      await Promise.all([1, 2, 3].map(() => service.getSession(key)));
      fixture.proxy.freeze();
      // statement 500 ms: the client stops waiting 2.5 s after sending (500 ms + 2 s margin).
      const outcomes = await Promise.all([
        timed(() => service.getSession(key)),
        timed(() => service.appendEvent(session, say('frozen'))),
        timed(() => service.createSession({ appName: name, userId: 'u', sessionId: 't' })),
      ]);
      fixture.proxy.thaw();
      for (const outcome of outcomes) {
        expectCode(outcome.error, 'STORAGE');
        expect((outcome.error as Error).message).toContain('Query read timeout');
        // One read bound each, not two: a transaction whose statement timed out does not wait
        // for a ROLLBACK on the same silent connection.
        expect(outcome.ms).toBeGreaterThanOrEqual(2_400);
        expect(outcome.ms).toBeLessThan(4_000);
      }
      // The connections that timed out were dropped; new ones serve the next calls.
      const again = say('thawed');
      await service.appendEvent(session, again);
      const read = await service.getSession(key);
      expect(read!.events.map((e) => e.id)).toContain(again.id);
    } finally {
      fixture.proxy.thaw();
      await service.close();
    }
  });

  it('fails a new connection within connectTimeoutMs while the server is frozen', async () => {
    const name = randomName('stallc');
    const service = await throughProxy(name);
    try {
      await service.createSession({ appName: name, userId: 'u', sessionId: 's' });
      // Take every pooled connection away, then freeze: the next call must open a new one.
      await fixture.db.terminate(name);
      await waitUntil('the killed connections are gone', async () => fixture.proxy.links === 0);
      fixture.proxy.freeze();
      const outcome = await timed(() => service.listAppStates(name));
      fixture.proxy.thaw();
      expectCode(outcome.error, 'STORAGE');
      expect(outcome.ms).toBeLessThan(4_500);
      expect(await service.listAppStates(name)).toEqual({});
    } finally {
      fixture.proxy.thaw();
      await service.close();
    }
  });
});
