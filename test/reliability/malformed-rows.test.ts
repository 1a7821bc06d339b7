/**
 * Rows written by another program with JSON the service cannot read (an envelope that is not an
 * object, an event with fields of the wrong type, a summary or track event without its timestamp)
 * are reported as a STORAGE error that names the row's app, user and session, never a crash or a
 * bare TypeError, and never with another session's data. Rows with merely missing fields read as
 * Go reads them (zero values).
 */
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import { stateOf } from '../../src/session/state.js';
import {
  createTestSchema,
  describeServer,
  expectCode,
  randomName,
  type TestSchema,
} from './support/server.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A column of a row and the JSON (as SQL text; null for SQL NULL) another program left in it. */
interface Corruption {
  name: string;
  table: 'session_states' | 'session_events' | 'session_summaries' | 'session_track_events';
  column: 'state' | 'event' | 'summary';
  json: string | null;
  /** True when Go would read it too (missing fields are zero values): the read must succeed. */
  readable?: boolean;
}

const CASES: Corruption[] = [
  { name: 'an envelope that is an array', table: 'session_states', column: 'state', json: '[]' },
  { name: 'an envelope that is a string', table: 'session_states', column: 'state', json: '"x"' },
  { name: 'an envelope whose id is a number', table: 'session_states', column: 'state', json: '{"id": 5}' },
  {
    name: 'a state value that is not base64 text',
    table: 'session_states',
    column: 'state',
    json: '{"id":"s","state":{"k":5}}',
  },
  {
    name: 'a state value that is not base64',
    table: 'session_states',
    column: 'state',
    json: '{"id":"s","state":{"k":"!!not base64!!"}}',
  },
  {
    name: 'a state that is an array',
    table: 'session_states',
    column: 'state',
    json: '{"id":"s","state":[1,2]}',
  },
  {
    name: 'a createdAt that is not a time',
    table: 'session_states',
    column: 'state',
    json: '{"id":"s","state":{},"createdAt":"yesterday"}',
  },
  {
    name: 'a tracks index that is not JSON',
    table: 'session_states',
    column: 'state',
    json: `{"id":"s","state":{"tracks":"${b64('not json')}"}}`,
    readable: true,
  },
  { name: 'a NULL envelope', table: 'session_states', column: 'state', json: null, readable: true },
  { name: 'an empty envelope', table: 'session_states', column: 'state', json: '{}', readable: true },
  { name: 'an event that is an array', table: 'session_events', column: 'event', json: '[]' },
  { name: 'an event that is a number', table: 'session_events', column: 'event', json: '42' },
  {
    name: 'an event whose timestamp is not a time',
    table: 'session_events',
    column: 'event',
    json: '{"id":"e","timestamp":"noon","choices":[{"message":{"role":"user","content":"x"}}]}',
  },
  {
    name: 'an event whose choices are a string',
    table: 'session_events',
    column: 'event',
    json: '{"id":"e","choices":"x"}',
  },
  {
    name: 'an event whose message is a number',
    table: 'session_events',
    column: 'event',
    json: '{"id":"e","choices":[{"message":5}]}',
  },
  {
    name: 'an event whose id is an object',
    table: 'session_events',
    column: 'event',
    json: '{"id":{},"choices":[{"message":{"role":"user","content":"x"}}]}',
  },
  {
    name: 'an event with no fields',
    table: 'session_events',
    column: 'event',
    json: '{}',
    readable: true,
  },
  {
    name: 'a summary whose text is a number',
    table: 'session_summaries',
    column: 'summary',
    json: '{"summary":5,"updated_at":"2026-01-01T00:00:00Z"}',
  },
  {
    name: 'a summary whose updated_at is not a time',
    table: 'session_summaries',
    column: 'summary',
    json: '{"summary":"s","updated_at":"soon"}',
  },
  {
    name: 'a track event whose timestamp is a number',
    table: 'session_track_events',
    column: 'event',
    json: '{"track":"t","payload":null,"timestamp":5}',
  },
  { name: 'a track event that is an array', table: 'session_track_events', column: 'event', json: '[]' },
];

describeServer('malformed JSON left in the tables by another program', () => {
  let db: TestSchema;
  let service: PostgresSessionService;
  let admin: pg.Pool;
  beforeAll(async () => {
    db = await createTestSchema();
    admin = db.admin;
    service = await db.service(randomName('malformed'));
  });
  afterAll(async () => {
    await service?.close();
    await db?.drop();
  });

  /** A whole session (events, a summary, a track) under a hostile-looking key, and a healthy neighbour. */
  async function seed(): Promise<{ key: SessionKey; neighbour: SessionKey }> {
    const appName = randomName('app\'"');
    const key = { appName, userId: 'user ü', sessionId: 'sess; --' };
    const neighbour = { appName, userId: 'user ü', sessionId: 'healthy' };
    for (const k of [key, neighbour]) {
      const session = await service.createSession(k, stateOf({ a: '1' }));
      await service.appendEvent(
        session,
        createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }),
      );
      await service.appendTrackEvent(session, { track: 't', payload: { n: 1 }, timestamp: new Date() });
      await admin.query(
        `INSERT INTO "${db.name}".session_summaries (app_name, user_id, session_id, filter_key, summary, updated_at)
         VALUES ($1, $2, $3, '', $4, now() + interval '1 hour')`,
        [
          k.appName,
          k.userId,
          k.sessionId,
          JSON.stringify({ summary: 'ok', updated_at: '2099-01-01T00:00:00Z' }),
        ],
      );
    }
    return { key, neighbour };
  }

  async function corrupt(key: SessionKey, c: Corruption): Promise<void> {
    const { rowCount } = await admin.query(
      `UPDATE "${db.name}".${c.table} SET ${c.column} = $4::jsonb
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3`,
      [key.appName, key.userId, key.sessionId, c.json],
    );
    expect(rowCount).toBeGreaterThan(0);
  }

  /** Runs a read: it succeeds, or fails with STORAGE naming app, user and session. */
  async function expectReportedOrRead(
    key: SessionKey,
    read: () => Promise<unknown>,
    readable: boolean,
  ): Promise<{ ok: boolean }> {
    try {
      await read();
      return { ok: true };
    } catch (error) {
      expectCode(error, 'STORAGE');
      const message = (error as Error).message;
      for (const part of [key.appName, key.userId, key.sessionId])
        expect(message, 'the error names the row').toContain(part);
      expect(readable, `a row Go reads as well must be readable: ${message}`).toBe(false);
      return { ok: false };
    }
  }

  for (const c of CASES) {
    it(`reports ${c.name} with the session's key, and leaves the other sessions readable`, async () => {
      const { key, neighbour } = await seed();
      await corrupt(key, c);
      const outcomes = [
        await expectReportedOrRead(key, () => service.getSession(key), c.readable ?? false),
        await expectReportedOrRead(key, () => service.listSessions(key), c.readable ?? false),
      ];
      if (c.table === 'session_track_events')
        outcomes.push(await expectReportedOrRead(key, () => service.getTrackEvents(key, 't'), false));
      if (c.table === 'session_events' && !c.readable) {
        // A window is found by the event's JSON id; a document without one has no window.
        const { rows } = await admin.query<{ id: string | null }>(
          `SELECT CASE WHEN jsonb_typeof(event->'id') = 'string' THEN event->>'id' END AS id
           FROM "${db.name}".session_events WHERE app_name = $1 AND session_id = $2`,
          [key.appName, key.sessionId],
        );
        const anchor = rows[0]?.id;
        if (anchor) {
          outcomes.push(
            await expectReportedOrRead(
              key,
              () => service.getEventWindow(key, anchor, { before: 1, after: 1 }),
              false,
            ),
          );
        }
      }
      if (c.table === 'session_summaries')
        outcomes.push(
          await expectReportedOrRead(
            key,
            async () => {
              const shell = await service.getSession(neighbour);
              return service.getSessionSummaryText({ ...shell!, id: key.sessionId, summaries: {} });
            },
            false,
          ),
        );
      if (!(c.readable ?? false))
        expect(
          outcomes.some((o) => !o.ok),
          'some read noticed the corruption',
        ).toBe(true);
      // The neighbour is read as it was written.
      const healthy = await service.getSession(neighbour);
      expect(healthy!.events).toHaveLength(1);
      expect(new TextDecoder().decode(healthy!.state.a!)).toBe('1');
      // Writes to the damaged session neither crash nor spread the damage.
      const write = await service
        .appendEvent(
          { ...healthy!, id: key.sessionId, state: {}, events: [] },
          createEvent({ author: 'user', message: { role: 'user', content: 'more' } }),
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      if (write !== undefined) expectCode(write, 'STORAGE');
      expect((await service.getSession(neighbour))!.events).toHaveLength(1);
    });
  }
});
