/**
 * Asynchronous persistence under load on a PostgreSQL server: thousands of appends from many
 * sessions at once, and connections killed with pg_terminate_backend in the middle of it.
 * Nothing may be lost, duplicated or reordered. Runs only when AGENT_SESSIONS_TEST_DATABASE_URL
 * is set.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEventPersister, createTrackPersister } from '../../src/postgres/async/writers.js';
import type { EventBatchItem } from '../../src/postgres/queries/append-batch.js';
import type { TrackBatchItem } from '../../src/postgres/queries/append-track-batch.js';
import { insertSession } from '../../src/postgres/queries/sessions.js';
import { initSchema, type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import { encodeEvent, encodeSessionState, encodeTrackEvent } from '../../src/session/codec/index.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import { newStateMap } from '../../src/session/state.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import type { SqlClient } from '../../src/sql/client.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import { describeServer, serverUrl, withServerSchema } from '../support/database.js';

const SESSIONS = 200;
const PER_SESSION = 50;

describeServer('asynchronous persistence under load (server PostgreSQL)', () => {
  let schema: Awaited<ReturnType<typeof withServerSchema>>;
  let tables: TableNames;
  beforeAll(async () => {
    schema = await withServerSchema();
    tables = tableNames(schema.schema, '');
    await initSchema(schema.client, tables);
  });
  afterAll(async () => {
    await schema?.drop();
  });

  /** A pool of our own, named so the killer below finds its connections and no one else's. */
  function namedPool(): { pool: pg.Pool; client: SqlClient; name: string } {
    const name = `persister_${randomBytes(4).toString('hex')}`;
    const pool = createPgPool(
      {
        connectionString: serverUrl,
        max: 10,
        application_name: name,
        options: `-c search_path=${schema.schema}`,
      },
      { onError: () => undefined },
    );
    return { pool, client: pgClient(pool, { owned: true }), name };
  }

  async function createSessions(run: string): Promise<SessionKey[]> {
    const keys = Array.from({ length: SESSIONS }, (_, s) => ({
      appName: 'load',
      userId: run,
      sessionId: `s${s}`,
    }));
    const now = new Date();
    for (const key of keys) {
      const q = insertSession(tables, {
        key,
        envelope: encodeSessionState({
          id: key.sessionId,
          state: newStateMap(),
          createdAt: now,
          updatedAt: now,
        }),
        now: toSqlTimestamp(now),
        expiresAt: null,
      });
      await schema.client.query(q.text, q.params);
    }
    return keys;
  }

  const eventItem = (key: SessionKey, n: number): EventBatchItem => ({
    key,
    eventJson: encodeEvent(createEvent({ author: 'user', message: { role: 'user', content: String(n) } })),
    delta: `{"last":"${Buffer.from(String(n)).toString('base64')}"}`,
    now: new Date(),
    ttlMs: 0,
  });

  const trackItem = (key: SessionKey, n: number): TrackBatchItem => {
    const timestamp = new Date();
    return {
      key,
      track: `t${n % 3}`,
      eventJson: encodeTrackEvent({ track: `t${n % 3}`, payload: { n }, timestamp }),
      timestamp,
      now: timestamp,
      sessionTtlMs: 0,
      trackTtlMs: 0,
    };
  };

  /** Every session's stored event numbers in read order, and its last delta value. */
  async function storedEvents(run: string): Promise<Map<string, number[]>> {
    const { rows } = await schema.client.query<{ session_id: string; n: string }>(
      `SELECT session_id, event->'choices'->0->'message'->>'content' AS n FROM ${tables.sessionEvents.qualified}
       WHERE app_name = 'load' AND user_id = $1 ORDER BY session_id, created_at, id`,
      [run],
    );
    const m = new Map<string, number[]>();
    for (const r of rows) m.set(r.session_id, [...(m.get(r.session_id) ?? []), Number(r.n)]);
    return m;
  }

  /** Every (session, track)'s stored track event numbers in read order. */
  async function storedTracks(run: string): Promise<Map<string, number[]>> {
    const { rows } = await schema.client.query<{ session_id: string; track: string; n: string }>(
      `SELECT session_id, track, event->'payload'->>'n' AS n FROM ${tables.sessionTrackEvents.qualified}
       WHERE app_name = 'load' AND user_id = $1 ORDER BY session_id, track, created_at, id`,
      [run],
    );
    const m = new Map<string, number[]>();
    for (const r of rows) {
      const id = `${r.session_id}/${r.track}`;
      m.set(id, [...(m.get(id) ?? []), Number(r.n)]);
    }
    return m;
  }

  async function lastDeltas(run: string): Promise<Set<string>> {
    const { rows } = await schema.client.query<{ last: string }>(
      `SELECT state #>> '{state,last}' AS last FROM ${tables.sessionStates.qualified} WHERE user_id = $1`,
      [run],
    );
    return new Set(rows.map((r) => Buffer.from(r.last, 'base64').toString()));
  }

  const inOrder = Array.from({ length: PER_SESSION }, (_, n) => n);

  /** Appends PER_SESSION events to every session, all sessions at once, each in order. */
  async function appendAll(keys: SessionKey[], enqueue: (key: SessionKey, n: number) => Promise<void>) {
    await Promise.all(
      keys.map(async (key) => {
        for (let n = 0; n < PER_SESSION; n++) await enqueue(key, n);
      }),
    );
  }

  it('stores 10,000 events over 200 sessions appended concurrently, each session in order', async () => {
    const run = `run_${randomBytes(3).toString('hex')}`;
    const keys = await createSessions(run);
    const { client } = namedPool();
    const failures: Error[] = [];
    const events = createEventPersister({ client, tables, onError: (e) => failures.push(e) });
    const started = Date.now();
    await appendAll(keys, (key, n) => events.enqueue(eventItem(key, n)));
    await events.close();
    const elapsed = Date.now() - started;
    await client.close();
    expect(failures).toEqual([]);
    const stored = await storedEvents(run);
    expect(stored.size).toBe(SESSIONS);
    for (const numbers of stored.values()) expect(numbers).toEqual(inOrder);
    expect(await lastDeltas(run)).toEqual(new Set([String(PER_SESSION - 1)]));
    console.info(`10,000 async appends stored in ${elapsed} ms`);
  }, 120_000);

  it('loses and duplicates nothing when its connections are killed with pg_terminate_backend mid-run', async () => {
    const run = `run_${randomBytes(3).toString('hex')}`;
    const keys = await createSessions(run);
    const { client, name } = namedPool();
    const failures: Error[] = [];
    const options = { client, tables, retryBaseMs: 10, onError: (e: Error) => failures.push(e) };
    const events = createEventPersister(options);
    const tracks = createTrackPersister(options);
    const killer = createPgPool({ connectionString: serverUrl, max: 1 });
    let killed = 0;
    let done = false;
    const killing = (async () => {
      for (let round = 0; round < 6 && !done; round++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        const { rows } = await killer.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
          [name],
        );
        killed += rows.filter((r) => r.ok).length;
      }
    })();
    await appendAll(keys, async (key, n) => {
      await events.enqueue(eventItem(key, n));
      if (n % 5 === 0) await tracks.enqueue(trackItem(key, n));
    });
    await events.close();
    await tracks.close();
    done = true;
    await killing;
    await killer.end();
    await client.close();
    expect(killed).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    const stored = await storedEvents(run);
    expect(stored.size).toBe(SESSIONS);
    for (const numbers of stored.values()) expect(numbers).toEqual(inOrder);
    // Track events keep their order per track: a session's tracks go to different workers, as in Go.
    const storedTrackRows = await storedTracks(run);
    expect(storedTrackRows.size).toBe(SESSIONS * 3);
    for (const [id, numbers] of storedTrackRows) {
      const track = Number(id.slice(-1));
      expect(numbers).toEqual(inOrder.filter((n) => n % 5 === 0 && n % 3 === track));
    }
    console.info(`pg_terminate_backend killed ${killed} connections during the run`);
  }, 120_000);
});
