/**
 * Soft delete safety: a deleted (or expired) session's events, summaries and track events never
 * show in a later session with the same key, through any read; restoreSession brings back
 * exactly the rows that one delete removed (compared row by row, by id), and nothing of another
 * incarnation of the key. Runs on embedded PGlite and, when configured, on the server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreSession } from '../../src/postgres/cleanup/sweeper.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { Session } from '../../src/session/session.js';
import { readText, stateOf } from '../../src/session/state.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgClient } from '../../src/sql/pg-client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { describeServer, expectCode, randomName, rejectionOf, serverUrl } from './support/server.js';

interface Backend {
  client: SqlClient;
  schema: string;
  close(): Promise<void>;
}

async function pglite(): Promise<Backend> {
  const client = await pgliteClient();
  return { client, schema: '', close: () => client.close() };
}

async function server(): Promise<Backend> {
  const schema = randomName('softdel');
  const pool = new pg.Pool({ connectionString: serverUrl, max: 3 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    client: pgClient(pool, { owned: false }),
    schema,
    async close() {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}

const say = (clock: ManualClock, content: string) =>
  createEvent({ author: 'user', now: clock.now(), message: { role: 'user', content } });

function softDeleteSuite(make: () => Promise<Backend>) {
  let b: Backend;
  let clock: ManualClock;
  let service: PostgresSessionService;
  beforeAll(async () => {
    b = await make();
    clock = new ManualClock(Date.UTC(2026, 5, 1));
    service = await PostgresSessionService.create({
      client: b.client,
      schema: b.schema,
      clock,
      sessionTtlMs: 3_600_000,
      cleanupIntervalMs: 2 ** 31 - 1,
    });
  });
  afterAll(async () => {
    await service?.close();
    await b?.close();
  });

  const t = (name: string) => (b.schema ? `"${b.schema}".${name}` : name);

  /** A session with events, a summary row and a track event, all marked with `label`. */
  async function fill(key: SessionKey, label: string, events: number): Promise<Session> {
    const session = await service.createSession(key, stateOf({ label }));
    for (let i = 0; i < events; i++) {
      clock.advance(1_000);
      await service.appendEvent(session, say(clock, `${label} ${i}`));
    }
    await service.appendTrackEvent(session, { track: 'tool', payload: { label }, timestamp: clock.now() });
    await b.client.query(
      `INSERT INTO ${t('session_summaries')} (app_name, user_id, session_id, filter_key, summary, updated_at)
       VALUES ($1, $2, $3, '', $4::jsonb, $5::timestamp)`,
      [
        key.appName,
        key.userId,
        key.sessionId,
        JSON.stringify({ summary: `summary of ${label}`, updated_at: clock.now().toISOString() }),
        clock.now().toISOString().replace('T', ' ').replace('Z', ''),
      ],
    );
    return session;
  }

  /** Ids of the key's rows per table, live or soft-deleted. */
  async function rowIds(key: SessionKey, live: boolean): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of ['session_states', 'session_events', 'session_summaries', 'session_track_events']) {
      const { rows } = await b.client.query<{ id: string }>(
        `SELECT id::text AS id FROM ${t(table)}
         WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS ${live ? '' : 'NOT '}NULL
         ORDER BY id`,
        [key.appName, key.userId, key.sessionId],
      );
      out[table] = rows.map((r) => r.id);
    }
    return out;
  }

  /** Every read that could show an old incarnation's data, for a session that should be `label`. */
  async function expectOnly(key: SessionKey, label: string, eventTexts: string[]) {
    const read = await service.getSession(key);
    expect(readText(read!.state, 'label')).toBe(label);
    expect(read!.events.map((e) => e.choices![0]!.message.content)).toEqual(eventTexts);
    for (const summary of Object.values(read!.summaries)) expect(summary.summary).toBe(`summary of ${label}`);
    const tracks = await service.getTrackEvents(key, 'tool');
    for (const e of tracks.events) expect(e.payload).toEqual({ label });
    const listed = await service.listSessions(key);
    expect(listed.filter((s) => s.id === key.sessionId)).toHaveLength(1);
    const text = await service.getSessionSummaryText(read!);
    if (text !== undefined) expect(text).toBe(`summary of ${label}`);
  }

  it('never shows a deleted session’s events, summaries or tracks in a new session with its key', async () => {
    const key = { appName: randomName('reuse'), userId: 'u', sessionId: 's' };
    await fill(key, 'old', 3);
    const oldEventId = (await service.getSession(key))!.events[0]!.id;
    await service.deleteSession(key);
    clock.advance(1_000);
    const fresh = await service.createSession(key, stateOf({ label: 'new' }));
    expect(fresh.events).toEqual([]);
    await expectOnly(key, 'new', []);
    expect(await service.getTrackEvents(key, 'tool')).toEqual({ track: 'tool', events: [] });
    expectCode(
      await rejectionOf(service.getEventWindow(key, oldEventId, { before: 5, after: 5 })),
      'NOT_FOUND',
    );
    clock.advance(1_000);
    await service.appendEvent(fresh, say(clock, 'new 0'));
    await expectOnly(key, 'new', ['new 0']);
  });

  it('never shows an expired session’s history in the session that replaces it, swept or not', async () => {
    for (const sweepFirst of [false, true]) {
      const key = { appName: randomName('expire'), userId: 'u', sessionId: 's' };
      await fill(key, 'old', 2);
      clock.advance(2 * 3_600_000);
      if (sweepFirst) expect((await service.sweepNow()).sessions).toBeGreaterThanOrEqual(1);
      expect(await service.getSession(key)).toBeNull();
      await service.createSession(key, stateOf({ label: 'new' }));
      await expectOnly(key, 'new', []);
    }
  });

  it('restores exactly the rows one delete removed, and no other incarnation of the key', async () => {
    const key = { appName: randomName('restore'), userId: 'u', sessionId: 's' };
    const tables = tableNames(b.schema, '');

    await fill(key, 'first', 3);
    const firstRows = await rowIds(key, true);
    await service.deleteSession(key);
    const firstDeletedAt = clock.now();
    clock.advance(60_000);

    await fill(key, 'second', 2);
    const secondRows = await rowIds(key, true);
    // A live session holds the key: nothing may be restored over it.
    expectCode(await rejectionOf(restoreSession(b.client, tables, key)), 'CONFLICT');
    await service.deleteSession(key);
    clock.advance(60_000);

    // Newest deletion first: the second incarnation, row for row.
    const counts = await restoreSession(b.client, tables, key);
    expect(counts).toEqual({ sessions: 1, events: 2, summaries: 1, trackEvents: 1 });
    expect(await rowIds(key, true)).toEqual(secondRows);
    await expectOnly(key, 'second', ['second 0', 'second 1']);

    // The first incarnation, by its deletion time, once the key is free again.
    await service.deleteSession(key);
    clock.advance(60_000);
    expect(await restoreSession(b.client, tables, key, { deletedAt: firstDeletedAt })).toEqual({
      sessions: 1,
      events: 3,
      summaries: 1,
      trackEvents: 1,
    });
    expect(await rowIds(key, true)).toEqual(firstRows);
    await expectOnly(key, 'first', ['first 0', 'first 1', 'first 2']);
    expectCode(
      await rejectionOf(restoreSession(b.client, tables, key, { deletedAt: new Date(0) })),
      'NOT_FOUND',
    );
  });

  it('keeps nothing to restore after a hard delete, and a new session starts empty', async () => {
    const hard = await PostgresSessionService.create({
      client: b.client,
      schema: b.schema,
      clock,
      softDelete: false,
      skipDbInit: true,
    });
    try {
      const key = { appName: randomName('hard'), userId: 'u', sessionId: 's' };
      const session = await hard.createSession(key);
      await hard.appendEvent(session, say(clock, 'gone'));
      await hard.deleteSession(key);
      expect(await rowIds(key, false)).toEqual({
        session_states: [],
        session_events: [],
        session_summaries: [],
        session_track_events: [],
      });
      expectCode(await rejectionOf(restoreSession(b.client, tableNames(b.schema, ''), key)), 'NOT_FOUND');
      await hard.createSession(key);
      expect((await hard.getSession(key))!.events).toEqual([]);
    } finally {
      await hard.close();
    }
  });
}

describe('soft delete safety on embedded PGlite', () => softDeleteSuite(pglite));
describeServer('soft delete safety on server PostgreSQL', () => softDeleteSuite(server));
