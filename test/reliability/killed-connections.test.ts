/**
 * Connections killed under the service (pg_terminate_backend), and an answer lost after the
 * server committed: no partial writes (never an event without its session update, or a session
 * update without its event; never half a restore), no duplicates, and the same service goes on
 * working without being rebuilt.
 */
import { expect, it } from 'vitest';
import { createEventPersister } from '../../src/postgres/async/writers.js';
import { restoreSession } from '../../src/postgres/cleanup/sweeper.js';
import type { EventBatchItem } from '../../src/postgres/queries/append-batch.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import type { PostgresSessionService } from '../../src/postgres/service.js';
import { decodeSessionState, encodeEvent, encodeStateMap } from '../../src/session/codec/index.js';
import { createEvent, type Event } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { Session } from '../../src/session/session.js';
import { stateOf } from '../../src/session/state.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import { useProxiedTestSchema, useTestSchema } from './support/fixtures.js';
import {
  describeServer,
  expectCode,
  randomName,
  rejectionOf,
  serverUrl,
  sleep,
  storedEventIds,
  waitUntil,
} from './support/server.js';

/** An event whose state delta records its own id, so each stored event has a matching state key. */
function marked(label: string): Event {
  const event = createEvent({ author: 'user', message: { role: 'user', content: label } });
  event.stateDelta = stateOf({ [`e:${event.id}`]: label });
  return event;
}

describeServer('connections killed under the service', () => {
  const fixture = useTestSchema();

  /** The `e:<id>` keys of the stored session state: which appends' updates reached the session row. */
  async function stateMarks(key: SessionKey): Promise<string[]> {
    const { rows } = await fixture.db.admin.query<{ state: unknown }>(
      `SELECT state::text AS state FROM "${fixture.db.name}".session_states
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL`,
      [key.appName, key.userId, key.sessionId],
    );
    const envelope = decodeSessionState(rows[0]!.state as string);
    return Object.keys(envelope.state)
      .filter((k) => k.startsWith('e:'))
      .map((k) => k.slice(2));
  }

  /** Checks one session row by row: every stored event has its state update and the reverse, once. */
  async function expectWhole(key: SessionKey, resolved: string[], failed: string[]) {
    const stored = await storedEventIds(fixture.db.admin, fixture.db.name, key);
    expect(new Set(stored).size, 'no event is stored twice').toBe(stored.length);
    expect([...(await stateMarks(key))].sort(), 'events and state updates travel together').toEqual(
      [...stored].sort(),
    );
    const known = new Set([...resolved, ...failed]);
    expect(
      stored.filter((id) => !known.has(id)),
      'nothing stored that was not appended',
    ).toEqual([]);
    // Resolved appends are all there, in the order they were made (each session's appends were
    // made one after the other).
    const resolvedSet = new Set(resolved);
    expect(stored.filter((id) => resolvedSet.has(id))).toEqual(resolved);
    return stored;
  }

  it('rolls back an append whose connection is killed while it waits, and appends on the next call', async () => {
    const name = randomName('kill1');
    const service = await fixture.db.service(name);
    const holder = await fixture.db.admin.connect();
    try {
      const session = await service.createSession({ appName: name, userId: 'u', sessionId: 's' });
      const key = { appName: name, userId: 'u', sessionId: 's' };
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM "${fixture.db.name}".session_states WHERE app_name = $1 AND session_id = 's' FOR UPDATE`,
        [name],
      );
      const blocked = marked('blocked');
      const pending = rejectionOf(service.appendEvent(session, blocked));
      await waitUntil('the append waits for the row lock', async () => {
        const { rows } = await fixture.db.admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [name],
        );
        return rows.length === 1;
      });
      expect(await fixture.db.terminate(name)).toBeGreaterThanOrEqual(1);
      expectCode(await pending, 'STORAGE');
      await holder.query('COMMIT');

      const next = marked('next');
      await service.appendEvent(session, next);
      await expectWhole(key, [next.id], [blocked.id]);
      expect(await storedEventIds(fixture.db.admin, fixture.db.name, key)).toEqual([next.id]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await service.close();
    }
  });

  it('keeps every session whole while its connections are killed again and again under load', async () => {
    const name = randomName('kill2');
    const service = await fixture.db.service(name, { extraOptions: { max: 4 } });
    const SESSIONS = 4;
    const APPENDS = 30;
    try {
      const sessions = await Promise.all(
        Array.from({ length: SESSIONS }, (_, i) =>
          service.createSession({ appName: name, userId: 'u', sessionId: `s${i}` }),
        ),
      );
      const killer = fixture.db.keepTerminating(name, [15, 35]);
      const outcomes = await Promise.all(
        sessions.map(async (session) => {
          const resolved: string[] = [];
          const failed: string[] = [];
          for (let i = 0; i < APPENDS; i++) {
            const event = marked(`${session.id}-${i}`);
            try {
              await service.appendEvent(session, event);
              resolved.push(event.id);
            } catch (error) {
              expectCode(error, 'STORAGE');
              failed.push(event.id);
            }
          }
          return { session, resolved, failed };
        }),
      );
      const kills = await killer.stop();
      expect(kills).toBeGreaterThan(0);
      expect(
        outcomes.some((o) => o.failed.length > 0),
        'the killer hit some appends',
      ).toBe(true);
      let stored = 0;
      for (const { session, resolved, failed } of outcomes) {
        stored += (await expectWhole(keyOf(session), resolved, failed)).length;
      }
      expect(stored).toBeGreaterThanOrEqual(outcomes.reduce((n, o) => n + o.resolved.length, 0));
      // The pool recovered by itself: the same service appends again.
      const last = marked('after');
      await service.appendEvent(sessions[0]!, last);
      expect((await storedEventIds(fixture.db.admin, fixture.db.name, keyOf(sessions[0]!))).at(-1)).toBe(
        last.id,
      );
    } finally {
      await service.close();
    }
  });

  it('writes every accepted asynchronous append once when its batch is killed mid-statement', async () => {
    const name = randomName('kill4');
    const failures: Error[] = [];
    const service = await fixture.db.service(name, {
      asyncPersist: true,
      asyncPersisterNum: 1,
      onError: (error, context) => {
        if (context.operation !== 'pool') failures.push(error);
      },
    });
    const holder = await fixture.db.admin.connect();
    try {
      const sessions = await Promise.all(
        ['a', 'b', 'c'].map((id) => service.createSession({ appName: name, userId: 'u', sessionId: id })),
      );
      // The batch statement updates all three session rows; one of them is locked, so it waits.
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM "${fixture.db.name}".session_states WHERE app_name = $1 AND session_id = 'b' FOR UPDATE`,
        [name],
      );
      const appended = new Map<string, string[]>(sessions.map((x) => [x.id, []]));
      for (let i = 0; i < 30; i++) {
        const session = sessions[i % 3]!;
        const event = marked(`${session.id}-${i}`);
        appended.get(session.id)!.push(event.id);
        await service.appendEvent(session, event);
      }
      await waitUntil('the batch waits for the row lock', async () => {
        const { rows } = await fixture.db.admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [name],
        );
        return rows.length === 1;
      });
      expect(await fixture.db.terminate(name)).toBeGreaterThanOrEqual(1);
      await holder.query('COMMIT');
      await service.flush();
      expect(failures).toEqual([]);
      for (const session of sessions) {
        const key = keyOf(session);
        expect(await storedEventIds(fixture.db.admin, fixture.db.name, key)).toEqual(
          appended.get(session.id),
        );
        await expectWhole(key, appended.get(session.id)!, []);
      }
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await service.close();
    }
  });

  it('writes every accepted asynchronous append once while its connections are killed again and again', async () => {
    const name = randomName('kill5');
    const failures: Error[] = [];
    const service = await fixture.db.service(name, {
      asyncPersist: true,
      asyncPersisterNum: 2,
      extraOptions: { max: 3 },
      onError: (error, context) => {
        if (context.operation !== 'pool') failures.push(error);
      },
    });
    try {
      const sessions = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          service.createSession({ appName: name, userId: 'u', sessionId: `s${i}` }),
        ),
      );
      const killer = fixture.db.keepTerminating(name, [10, 30]);
      const appended = await Promise.all(
        sessions.map(async (session) => {
          const ids: string[] = [];
          for (let i = 0; i < 60; i++) {
            const event = marked(`${session.id}-${i}`);
            await service.appendEvent(session, event);
            ids.push(event.id);
            // Trickle in, so batches keep being written while the killer is at work.
            await sleep(4);
          }
          return ids;
        }),
      );
      await sleep(100);
      const kills = await killer.stop();
      await service.flush();
      expect(kills).toBeGreaterThan(0);
      expect(failures).toEqual([]);
      for (const [i, session] of sessions.entries()) {
        expect(await storedEventIds(fixture.db.admin, fixture.db.name, keyOf(session))).toEqual(appended[i]);
        await expectWhole(keyOf(session), appended[i]!, []);
      }
    } finally {
      await service.close();
    }
  });

  it('never restores half a session when the restore is killed mid-transaction', async () => {
    const name = randomName('kill3');
    const service = await fixture.db.service(name);
    const restorer = `${name}_restore`;
    const pool = createPgPool(
      { connectionString: serverUrl, application_name: restorer },
      { onError: () => {} },
    );
    const client = pgClient(pool, { owned: true });
    const holder = await fixture.db.admin.connect();
    const tables = tableNames(fixture.db.name, '');
    const key = { appName: name, userId: 'u', sessionId: 's' };
    try {
      const session = await service.createSession(key);
      for (let i = 0; i < 3; i++) await service.appendEvent(session, marked(`e${i}`));
      await service.appendTrackEvent(session, { track: 'tool', payload: { n: 1 }, timestamp: new Date() });
      await service.deleteSession(key);

      // The restore undeletes the session row and its events, then waits for the track event row.
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM "${fixture.db.name}".session_track_events WHERE app_name = $1 FOR UPDATE`,
        [name],
      );
      const pending = rejectionOf(restoreSession(client, tables, key));
      await waitUntil('the restore waits for the track event row', async () => {
        const { rows } = await fixture.db.admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [restorer],
        );
        return rows.length === 1;
      });
      await fixture.db.terminate(restorer);
      expectCode(await pending, 'STORAGE');
      await holder.query('COMMIT');

      const live = await fixture.db.admin.query(
        `SELECT 'session' FROM "${fixture.db.name}".session_states WHERE app_name = $1 AND deleted_at IS NULL
         UNION ALL SELECT 'event' FROM "${fixture.db.name}".session_events WHERE app_name = $1 AND deleted_at IS NULL
         UNION ALL SELECT 'track' FROM "${fixture.db.name}".session_track_events WHERE app_name = $1 AND deleted_at IS NULL`,
        [name],
      );
      expect(live.rows, 'nothing was restored').toEqual([]);
      expect(await service.getSession(key)).toBeNull();

      // Run again, on the same pool, it restores everything.
      expect(await restoreSession(client, tables, key)).toEqual({
        sessions: 1,
        events: 3,
        summaries: 0,
        trackEvents: 1,
      });
      const back = await service.getSession(key);
      expect(back!.events).toHaveLength(3);
      expect(back!.tracks.tool!.events).toHaveLength(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await client.close();
      await service.close();
    }
  });
});

describeServer('an answer lost after the server committed', () => {
  const fixture = useProxiedTestSchema();

  it('reports a synchronous append as failed (STORAGE) though it was stored, once, with its update', async () => {
    const name = randomName('lost1');
    const service = await fixture.db.service(name, { dsn: fixture.proxy.dsn, extraOptions: { max: 1 } });
    try {
      const session = await service.createSession({ appName: name, userId: 'u', sessionId: 's' });
      const event = marked('lost');
      const lost = fixture.proxy.loseNextAnswer();
      const error = await rejectionOf(service.appendEvent(session, event));
      await lost;
      expectCode(error, 'STORAGE');
      const key = keyOf(session);
      // The outcome was unknown to the caller; the database holds it exactly once, whole.
      expect(await storedEventIds(fixture.db.admin, fixture.db.name, key)).toEqual([event.id]);
      const next = marked('next');
      await service.appendEvent(session, next);
      expect(await storedEventIds(fixture.db.admin, fixture.db.name, key)).toEqual([event.id, next.id]);
    } finally {
      await service.close();
    }
  });

  it('writes a service’s asynchronous appends once when a batch’s answer is lost after COMMIT', async () => {
    const name = randomName('lost3');
    const failures: Error[] = [];
    const service = await fixture.db.service(name, {
      dsn: fixture.proxy.dsn,
      asyncPersist: true,
      asyncPersisterNum: 1,
      extraOptions: { max: 1 },
      onError: (error, context) => {
        if (context.operation !== 'pool') failures.push(error);
      },
    });
    try {
      const sessions = await Promise.all(
        ['a', 'b'].map((id) => service.createSession({ appName: name, userId: 'u', sessionId: id })),
      );
      const appended = new Map<string, string[]>(sessions.map((x) => [x.id, []]));
      const lost = fixture.proxy.loseNextAnswer();
      for (let i = 0; i < 20; i++) {
        const session = sessions[i % 2]!;
        const event = marked(`${session.id}-${i}`);
        appended.get(session.id)!.push(event.id);
        await service.appendEvent(session, event);
      }
      await lost;
      await service.flush();
      expect(failures).toEqual([]);
      for (const session of sessions)
        expect(await storedEventIds(fixture.db.admin, fixture.db.name, keyOf(session))).toEqual(
          appended.get(session.id),
        );
    } finally {
      await service.close();
    }
  });

  it('retries an asynchronous batch whose answer was lost without storing any event twice', async () => {
    const name = randomName('lost2');
    const setup: PostgresSessionService = await fixture.db.service(name);
    const pool = createPgPool(
      { connectionString: fixture.proxy.dsn, max: 1, options: `-c search_path=${fixture.db.name}` },
      { onError: () => {} },
    );
    const client = pgClient(pool, { owned: true });
    const failures: Error[] = [];
    const persister = createEventPersister({
      client,
      tables: tableNames(fixture.db.name, ''),
      workers: 1,
      retryBaseMs: 5,
      onError: (error) => failures.push(error),
    });
    try {
      const sessions = await Promise.all(
        ['a', 'b', 'c'].map((id) => setup.createSession({ appName: name, userId: 'u', sessionId: id })),
      );
      const appended = new Map<string, string[]>(sessions.map((s) => [s.id, []]));
      const lost = fixture.proxy.loseNextAnswer();
      // One burst: the worker takes it as one batch, whose answer the proxy drops after COMMIT.
      for (let i = 0; i < 30; i++) {
        const session = sessions[i % 3]!;
        const event = marked(`${session.id}-${i}`);
        appended.get(session.id)!.push(event.id);
        await persister.enqueue(item(keyOf(session), event));
      }
      await lost;
      await persister.flush();
      expect(failures).toEqual([]);
      for (const session of sessions) {
        const key = keyOf(session);
        expect(await storedEventIds(fixture.db.admin, fixture.db.name, key)).toEqual(
          appended.get(session.id),
        );
      }
    } finally {
      await persister.close();
      await client.close();
      await setup.close();
    }
  });
});

function keyOf(session: Session): SessionKey {
  return { appName: session.appName, userId: session.userId, sessionId: session.id };
}

function item(key: SessionKey, event: Event): EventBatchItem {
  return {
    key,
    eventJson: encodeEvent(event),
    delta: event.stateDelta ? encodeStateMap(event.stateDelta) : undefined,
    now: new Date(),
    ttlMs: 0,
  };
}
