/**
 * Rows written by trpc-agent-go, inserted here by raw SQL in exactly the shape a Go service in
 * the Asia/Shanghai zone writes them, are read (and written to) correctly by this service:
 * the session-state envelope with base64 values and +08:00 times, events with the nested
 * `response` object (and an older flat one without it), raw-text app and user state, a summary
 * whose TIMESTAMP column is UTC while the session's is local time, and track events.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import { formatRfc3339Nano } from '../../src/session/time.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const databases = testDatabases;

// What a Go service running with TZ=Asia/Shanghai writes: JSON times carry +08:00, and pgx
// stores the TIMESTAMP columns as local wall-clock time (03:04:05Z is 11:04:05 there).
const ENVELOPE = JSON.stringify({
  id: 'sess-1',
  state: { key1: 'dmFsdWUx', nilkey: null, tracks: 'WyJhZ3VpIl0=' },
  createdAt: '2026-01-02T11:04:05.123456789+08:00',
  updatedAt: '2026-01-02T11:04:09+08:00',
});

const GO_EVENTS: [string, string][] = [
  [
    '2026-01-02 11:04:06.5',
    '{"object":"","created":0,"model":"","choices":[{"index":0,"message":{"role":"user","content":"What\'s the weather in Paris?"},"delta":{"role":""}}],"done":false,"is_partial":false,"invocationId":"inv-1","author":"user","id":"evt-user-1","timestamp":"2026-01-02T11:04:06.5+08:00","branch":"root","filterKey":"root","version":1,"response":{"timestamp":"0001-01-01T00:00:00Z"}}',
  ],
  [
    '2026-01-02 11:04:07.25',
    '{"object":"chat.completion","created":1767323047,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"},"id":"call-1"}]},"delta":{"role":""},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0}},"done":true,"is_partial":false,"invocationId":"inv-1","author":"assistant","id":"evt-call-1","timestamp":"2026-01-02T11:04:07.25+08:00","stateDelta":{"step":"Mg=="},"version":1,"response":{"id":"chatcmpl-1","timestamp":"2026-01-02T11:04:07+08:00"}}',
  ],
  [
    '2026-01-02 11:04:08',
    '{"object":"tool.response","created":0,"model":"","choices":[{"index":0,"message":{"role":"tool","content":"{\\"temp\\":24}","tool_id":"call-1","tool_name":"weather"},"delta":{"role":""}}],"done":false,"is_partial":false,"invocationId":"inv-1","author":"weather","id":"evt-tool-1","timestamp":"2026-01-02T11:04:08+08:00","version":1,"response":{"timestamp":"0001-01-01T00:00:00Z"}}',
  ],
  [
    // An older, flat payload: no nested `response`, no version.
    '2026-01-02 11:04:09',
    '{"object":"chat.completion","created":1767323049,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Sunny, 24°C"},"delta":{"role":""}}],"done":true,"is_partial":false,"invocationId":"inv-1","author":"assistant","id":"evt-answer-1","timestamp":"2026-01-02T11:04:09+08:00"}',
  ],
];

// Go normalizes the summary's cutoff to UTC, in the JSON and in the column (issue #2530).
const SUMMARY =
  '{"summary":"they talked about the weather","updated_at":"2026-01-02T03:04:09Z","boundary":{"version":1,"cutoff_at":"2026-01-02T03:04:09Z","last_event_id":"evt-answer-1"}}';

const TRACK_EVENT =
  '{"track":"agui","payload":{"type":"RUN_STARTED","runId":"r1"},"timestamp":"2026-01-02T11:04:06+08:00"}';

describe.each(databases)('rows written by trpc-agent-go, on %s', (_name, open) => {
  let db: TestDatabase;
  let svc: PostgresSessionService;
  const app = `app-${randomUUID()}`;
  const key = { appName: app, userId: 'user-1', sessionId: 'sess-1' };
  const clock = new ManualClock(Date.UTC(2026, 0, 2, 4, 0, 0));

  beforeAll(async () => {
    db = await open();
    svc = await PostgresSessionService.create({ ...db.connect, clock });
    const t = svc.tables;
    const sql = (text: string, params: unknown[]) => db.sql.query(text, params);
    await sql(
      `INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at, expires_at)
       VALUES ($1, $2, $3, $4, '2026-01-02 11:04:05.123457', '2026-01-02 11:04:09', NULL)`,
      [app, 'user-1', 'sess-1', ENVELOPE],
    );
    for (const [createdAt, event] of GO_EVENTS) {
      await sql(
        `INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)`,
        [app, 'user-1', 'sess-1', event, createdAt],
      );
    }
    await sql(
      `INSERT INTO ${t.sessionSummaries.qualified} (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at, deleted_at)
       VALUES ($1, $2, $3, '', $4, '2026-01-02 03:04:09', NULL, NULL)`,
      [app, 'user-1', 'sess-1', SUMMARY],
    );
    await sql(
      `INSERT INTO ${t.sessionTrackEvents.qualified} (app_name, user_id, session_id, track, event, created_at, updated_at, expires_at)
       VALUES ($1, $2, $3, 'agui', $4, '2026-01-02 11:04:06', '2026-01-02 11:04:06', NULL)`,
      [app, 'user-1', 'sess-1', TRACK_EVENT],
    );
    await sql(
      `INSERT INTO ${t.appStates.qualified} (app_name, key, value, updated_at, expires_at, deleted_at)
       VALUES ($1, 'model', 'gpt-4o', '2026-01-02 11:00:00', NULL, NULL)`,
      [app],
    );
    await sql(
      `INSERT INTO ${t.userStates.qualified} (app_name, user_id, key, value, updated_at, expires_at, deleted_at)
       VALUES ($1, 'user-1', 'lang', 'fr', '2026-01-02 11:00:00', NULL, NULL),
              ($1, 'user-1', 'none', NULL, '2026-01-02 11:00:00', NULL, NULL)`,
      [app],
    );
  });
  afterAll(async () => {
    await svc.close();
    await db.close();
  });

  const text = (value: Uint8Array | null | undefined) =>
    value == null ? value : new TextDecoder().decode(value);

  it('reads the envelope: base64 values, nulls, the +08:00 creation time as an instant', async () => {
    const session = await svc.getSession(key);
    expect(session).not.toBeNull();
    expect(text(session!.state.key1)).toBe('value1');
    expect(session!.state.nilkey).toBeNull();
    expect(text(session!.state.tracks)).toBe('["agui"]');
    expect(formatRfc3339Nano(session!.createdAt)).toBe('2026-01-02T03:04:05.123456789Z');
    expect(formatRfc3339Nano(session!.updatedAt)).toBe('2026-01-02T03:04:09Z');
  });

  it('merges raw-text app and user state under their prefixes', async () => {
    const session = await svc.getSession(key);
    expect(text(session!.state['app:model'])).toBe('gpt-4o');
    expect(text(session!.state['user:lang'])).toBe('fr');
    expect(session!.state['user:none']).toBeNull();
    expect(text((await svc.listAppStates(app)).model)).toBe('gpt-4o');
  });

  it('reads Go events in order, with the nested response, tool calls and a legacy flat payload', async () => {
    const { events } = (await svc.getSession(key))!;
    expect(events.map((e) => e.id)).toEqual(['evt-user-1', 'evt-call-1', 'evt-tool-1', 'evt-answer-1']);
    const [user, call, tool, answer] = events;
    expect(user!.timestamp.toISOString()).toBe('2026-01-02T03:04:06.500Z');
    expect(user!.filterKey).toBe('root');
    expect(call!.response?.id).toBe('chatcmpl-1');
    expect(call!.response?.timestamp?.toISOString()).toBe('2026-01-02T03:04:07.000Z');
    expect(call!.choices?.[0]?.message.tool_calls?.[0]?.function).toEqual({
      name: 'weather',
      arguments: '{"city":"Paris"}',
    });
    expect(call!.usage?.total_tokens).toBe(17);
    expect(text(call!.stateDelta?.step)).toBe('2');
    expect(tool!.choices?.[0]?.message.tool_id).toBe('call-1');
    expect(answer!.choices?.[0]?.message.content).toBe('Sunny, 24°C');
    expect(answer!.version).toBeUndefined();
  });

  it('shows the summary although its UTC column is earlier than the session’s local-time column', async () => {
    const session = (await svc.getSession(key))!;
    expect(session.summaries['']?.summary).toBe('they talked about the weather');
    expect(session.summaries['']?.boundary?.last_event_id).toBe('evt-answer-1');
    expect(await svc.getSessionSummaryText({ ...session, summaries: {} })).toBe(
      'they talked about the weather',
    );
  });

  it('reads the indexed track with its events', async () => {
    const session = (await svc.getSession(key))!;
    expect(Object.keys(session.tracks)).toEqual(['agui']);
    expect(session.tracks.agui?.events.map((e) => e.payload)).toEqual([{ type: 'RUN_STARTED', runId: 'r1' }]);
    expect(session.tracks.agui?.events[0]?.timestamp.toISOString()).toBe('2026-01-02T03:04:06.000Z');
    const read = await svc.getTrackEvents(key, 'agui');
    expect(read.events).toHaveLength(1);
  });

  it('lists the Go session like getSession reads it', async () => {
    const [listed] = await svc.listSessions({ appName: app, userId: 'user-1' });
    expect(listed?.id).toBe('sess-1');
    expect(listed?.events.map((e) => e.id)).toEqual([
      'evt-user-1',
      'evt-call-1',
      'evt-tool-1',
      'evt-answer-1',
    ]);
    expect(text(listed?.state.key1)).toBe('value1');
  });

  it('finds a window around a Go event as Go does: messages with text only, a tool call never', async () => {
    const window = await svc.getEventWindow(key, 'evt-tool-1', { before: 1, after: 1 });
    expect(window.map((e) => e.id)).toEqual(['evt-user-1', 'evt-tool-1', 'evt-answer-1']);
    const tools = await svc.getEventWindow(key, 'evt-tool-1', { before: 5, after: 5, roles: ['tool'] });
    expect(tools.map((e) => e.id)).toEqual(['evt-tool-1']);
    await expect(svc.getEventWindow(key, 'evt-call-1', { before: 1, after: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('appends to the Go session, keeping the envelope Go reads (its id, createdAt and keys)', async () => {
    const session = (await svc.getSession(key))!;
    const question = createEvent({
      author: 'user',
      now: clock.now(),
      message: { role: 'user', content: 'And tomorrow?' },
      stateDelta: stateOf({ step: '3' }),
    });
    await svc.appendEvent(session, question);
    await svc.appendTrackEvent(session, {
      track: 'agui',
      payload: { type: 'RUN_FINISHED' },
      timestamp: clock.now(),
    });
    const { rows } = await db.sql.query<{ state: string }>(
      `SELECT state::text AS state FROM ${svc.tables.sessionStates.qualified} WHERE app_name = $1`,
      [app],
    );
    expect(JSON.parse(rows[0]!.state)).toEqual({
      id: 'sess-1',
      state: { key1: 'dmFsdWUx', nilkey: null, tracks: 'WyJhZ3VpIl0=', step: 'Mw==' },
      createdAt: '2026-01-02T11:04:05.123456789+08:00',
      updatedAt: '2026-01-02T04:00:00Z',
    });
    const read = (await svc.getSession(key))!;
    expect(read.events.at(-1)?.id).toBe(question.id);
    expect(read.tracks.agui?.events).toHaveLength(2);
  });
});
