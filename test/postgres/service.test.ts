/**
 * What only the PostgreSQL backend has: the rows it writes (compared with what trpc-agent-go
 * writes), soft and hard delete, TTL columns, schema and prefix, and how many statements each
 * call costs. Runs on PGlite, and on a server when AGENT_SESSIONS_TEST_DATABASE_URL is set.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent, type Event } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';
import { subMillisecondNanos } from '../../src/session/time.js';
import type { SqlClient, SqlExecutor } from '../../src/sql/client.js';
import { testDatabases } from '../support/database.js';
import { ServiceSuite } from '../support/service-suite.js';

const databases = testDatabases;

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 123);
const MINUTE = 60_000;

/** A summarizer that always answers `text`. */
const summarizer: SessionSummarizer = { shouldSummarize: () => true, summarize: async () => 'text' };

/** A SqlClient that records every statement it runs (inside transactions too). */
function counting(inner: SqlClient): { client: SqlClient; log: string[] } {
  const log: string[] = [];
  const wrap = (target: SqlExecutor, prefix: string): SqlExecutor => ({
    query: (text, params) => {
      log.push(prefix + text);
      return target.query(text, params);
    },
  });
  const client: SqlClient = {
    kind: inner.kind,
    query: wrap(inner, '').query,
    transaction: (fn) => {
      log.push('BEGIN');
      return inner.transaction((tx) => fn(wrap(tx, 'tx: ')));
    },
    withConnection: (fn) => inner.withConnection(fn),
    close: () => inner.close(),
  };
  return { client, log };
}

const toolCall = (now: Date): Event =>
  createEvent({
    author: 'assistant',
    id: 'evt-1',
    invocationId: 'inv-1',
    now,
    message: {
      role: 'assistant',
      content: '',
      tool_calls: [
        { type: 'function', id: 'call-1', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    stateDelta: stateOf({ step: '2', none: null }),
  });

describe.each(databases)('PostgresSessionService on %s', (_name, open) => {
  const suite = new ServiceSuite(open, { start: T0 });

  const key = (sessionId = 's') => ({ appName: suite.app, userId: 'u', sessionId });

  /** Rows of a table for this case's app, timestamps as UTC text. */
  async function rows(
    svc: PostgresSessionService,
    table: keyof PostgresSessionService['tables'],
    columns: string,
  ) {
    const t = svc.tables[table as 'sessionStates'];
    const { rows } = await suite.db.sql.query<Record<string, string | null>>(
      `SELECT ${columns} FROM ${t.qualified} WHERE app_name = $1 ORDER BY id`,
      [suite.app],
    );
    return rows;
  }
  const ts = (column: string) => `to_char(${column}, 'YYYY-MM-DD HH24:MI:SS.US') AS ${column}`;

  describe('stored rows', () => {
    it('writes the session-state envelope with base64 values and UTC timestamps', async () => {
      const svc = await suite.service();
      await svc.createSession(key(), stateOf({ key1: 'value1', nilkey: null }));
      const [row] = await rows(
        svc,
        'sessionStates',
        `session_id, state::text AS state, ${ts('created_at')}, ${ts('updated_at')}, expires_at::text AS expires_at, deleted_at::text AS deleted_at`,
      );
      expect(JSON.parse(row!.state!)).toEqual({
        id: 's',
        state: { key1: 'dmFsdWUx', nilkey: null },
        createdAt: '2026-01-02T03:04:05.123Z',
        updatedAt: '2026-01-02T03:04:05.123Z',
      });
      // UTC wall-clock although the test process runs in Asia/Shanghai.
      expect(row).toMatchObject({
        session_id: 's',
        created_at: '2026-01-02 03:04:05.123000',
        updated_at: '2026-01-02 03:04:05.123000',
        expires_at: null,
        deleted_at: null,
      });
    });

    it('stores an event exactly as Go writes it and merges its delta into the envelope', async () => {
      const svc = await suite.service();
      const session = await svc.createSession(key(), stateOf({ kept: 'yes' }));
      suite.clock.advance(MINUTE);
      await svc.appendEvent(session, toolCall(suite.clock.now()));
      const [event] = await rows(
        svc,
        'sessionEvents',
        `event::text AS event, ${ts('created_at')}, ${ts('updated_at')}`,
      );
      expect(JSON.parse(event!.event!)).toEqual({
        object: '',
        created: 0,
        model: '',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              tool_calls: [
                {
                  type: 'function',
                  function: { name: 'weather', arguments: '{"city":"Paris"}' },
                  id: 'call-1',
                },
              ],
            },
            delta: { role: '' },
          },
        ],
        done: false,
        is_partial: false,
        invocationId: 'inv-1',
        author: 'assistant',
        id: 'evt-1',
        timestamp: '2026-01-02T03:05:05.123Z',
        stateDelta: { step: 'Mg==', none: null },
        version: 1,
        response: { timestamp: '0001-01-01T00:00:00Z' },
      });
      expect(event).toMatchObject({
        created_at: '2026-01-02 03:05:05.123000',
        updated_at: '2026-01-02 03:05:05.123000',
      });
      const [state] = await rows(svc, 'sessionStates', `state::text AS state, ${ts('updated_at')}`);
      expect(JSON.parse(state!.state!)).toEqual({
        id: 's',
        state: { kept: 'eWVz', step: 'Mg==', none: null },
        createdAt: '2026-01-02T03:04:05.123Z',
        updatedAt: '2026-01-02T03:05:05.123Z',
      });
      expect(state!.updated_at).toBe('2026-01-02 03:05:05.123000');
    });

    it('stores only the state delta of an event that is not persisted', async () => {
      const svc = await suite.service();
      const session = await svc.createSession(key());
      await svc.appendEvent(
        session,
        createEvent({ author: 'agent', now: suite.clock.now(), stateDelta: stateOf({ only: 'delta' }) }),
      );
      expect(await rows(svc, 'sessionEvents', 'id')).toEqual([]);
      const [state] = await rows(svc, 'sessionStates', 'state::text AS state');
      expect(JSON.parse(state!.state!).state).toEqual({ only: 'ZGVsdGE=' });
    });

    it('stores app and user state as raw text under keys without their prefix, in one upsert', async () => {
      const svc = await suite.service();
      await svc.updateAppState(suite.app, stateOf({ 'app:model': 'gpt-4o', plain: 'héllo', nothing: null }));
      await svc.updateUserState({ appName: suite.app, userId: 'u' }, stateOf({ 'user:lang': 'fr' }));
      await svc.updateAppState(suite.app, stateOf({ model: 'gpt-5' }));
      const appRows = await rows(
        svc,
        'appStates',
        `key, value, ${ts('created_at')}, expires_at::text AS expires_at`,
      );
      expect(appRows.map((r) => [r.key, r.value]).sort()).toEqual([
        ['model', 'gpt-5'],
        ['nothing', null],
        ['plain', 'héllo'],
      ]);
      expect(
        appRows.every((r) => r.created_at === '2026-01-02 03:04:05.123000' && r.expires_at === null),
      ).toBe(true);
      const userRows = await rows(svc, 'userStates', 'user_id, key, value');
      expect(userRows).toEqual([{ user_id: 'u', key: 'lang', value: 'fr' }]);
    });

    it('stores a summary as Go writes it, updated_at being its cutoff', async () => {
      const svc = await suite.service({ summarizer });
      const session = await svc.createSession(key());
      suite.clock.advance(MINUTE);
      const question = createEvent({
        author: 'user',
        id: 'evt-9',
        now: suite.clock.now(),
        message: { role: 'user', content: 'q' },
      });
      await svc.appendEvent(session, question);
      suite.clock.advance(MINUTE);
      await svc.createSessionSummary(session, '', true);
      const [row] = await rows(
        svc,
        'sessionSummaries',
        `filter_key, summary::text AS summary, ${ts('updated_at')}, expires_at::text AS expires_at`,
      );
      expect(JSON.parse(row!.summary!)).toEqual({
        summary: 'text',
        updated_at: '2026-01-02T03:05:05.123Z',
        boundary: { version: 1, cutoff_at: '2026-01-02T03:05:05.123Z', last_event_id: 'evt-9' },
      });
      expect(row).toMatchObject({
        filter_key: '',
        updated_at: '2026-01-02 03:05:05.123000',
        expires_at: null,
      });
    });

    it('stores track events stamped with their own timestamp and indexes the track in the envelope', async () => {
      const svc = await suite.service();
      const session = await svc.createSession(key());
      suite.clock.advance(MINUTE);
      await svc.appendTrackEvent(session, {
        track: 'agui',
        payload: { type: 'RUN_STARTED' },
        timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      });
      await svc.appendTrackEvent(session, { track: 'agui', payload: 2, timestamp: suite.clock.now() });
      const tracks = await rows(
        svc,
        'sessionTrackEvents',
        `track, event::text AS event, ${ts('created_at')}, ${ts('updated_at')}`,
      );
      expect(tracks.map((r) => [r.track, JSON.parse(r.event!), r.created_at, r.updated_at])).toEqual([
        [
          'agui',
          { track: 'agui', payload: { type: 'RUN_STARTED' }, timestamp: '2026-01-02T03:04:05Z' },
          '2026-01-02 03:04:05.000000',
          '2026-01-02 03:04:05.000000',
        ],
        [
          'agui',
          { track: 'agui', payload: 2, timestamp: '2026-01-02T03:05:05.123Z' },
          '2026-01-02 03:05:05.123000',
          '2026-01-02 03:05:05.123000',
        ],
      ]);
      const [state] = await rows(svc, 'sessionStates', 'state::text AS state');
      // base64 of ["agui"], as Go's json.Marshal([]Track) stores it.
      expect(JSON.parse(state!.state!).state).toEqual({ tracks: 'WyJhZ3VpIl0=' });
    });

    it('keeps a track added by another writer when the caller’s copy is stale', async () => {
      const svc = await suite.service();
      const session = await svc.createSession(key());
      const stale = structuredClone(session);
      await svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: suite.clock.now() });
      await svc.appendTrackEvent(stale, { track: 'custom', payload: 2, timestamp: suite.clock.now() });
      const read = await svc.getSession(key());
      expect(new TextDecoder().decode(read!.state.tracks!)).toBe('["agui","custom"]');
      expect(new TextDecoder().decode(stale.state.tracks!)).toBe('["agui","custom"]');
      expect(Object.keys(read!.tracks).sort()).toEqual(['agui', 'custom']);
    });
  });

  describe('session times', () => {
    it('reads a session’s times from its columns, to the microsecond, when its envelope has none', async () => {
      const svc = await suite.service();
      const insert = (id: string, updated: string, state: string) =>
        suite.db.sql.query(
          `INSERT INTO ${svc.tables.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at)
           VALUES ($1, 'u', $2, $3, '2026-01-02 03:04:05.123456', $4)`,
          [suite.app, id, state, updated],
        );
      // Envelopes without createdAt/updatedAt; `a` indexes a track whose rows are stored out of order.
      await insert('a', '2026-01-02 03:04:05.900001', `{"id":"a","state":{"tracks":"WyJhZ3VpIl0="}}`);
      await insert('b', '2026-01-02 03:04:50.000002', '{"id":"b","state":{}}');
      for (const [payload, at] of [
        [2, '2026-01-02 03:04:05.000002'],
        [1, '2026-01-02 03:04:05.000001'],
      ] as const) {
        await suite.db.sql.query(
          `INSERT INTO ${svc.tables.sessionTrackEvents.qualified} (app_name, user_id, session_id, track, event, created_at, updated_at)
           VALUES ($1, 'u', 'a', 'agui', $2, $3, $3)`,
          [suite.app, JSON.stringify({ track: 'agui', payload, timestamp: '2026-01-02T03:04:05Z' }), at],
        );
      }
      const times = (s: { createdAt: Date; updatedAt: Date }) =>
        [s.createdAt, s.updatedAt].map((d) => [d.toISOString(), subMillisecondNanos(d)]);
      const a = [
        ['2026-01-02T03:04:05.123Z', 456_000],
        ['2026-01-02T03:04:05.900Z', 1_000],
      ];
      const b = [
        ['2026-01-02T03:04:05.123Z', 456_000],
        ['2026-01-02T03:04:50.000Z', 2_000],
      ];
      const read = await svc.getSession(key('a'));
      expect(times(read!)).toEqual(a);
      expect(read!.tracks.agui!.events.map((e) => e.payload)).toEqual([1, 2]);
      const user = { appName: suite.app, userId: 'u' };
      for (const options of [{ onlyMeta: true }, { eventNum: 5 }]) {
        const list = await svc.listSessions(user, options);
        expect(list.map((s) => [s.id, times(s)])).toEqual([
          ['b', b],
          ['a', a],
        ]);
      }
    });
  });

  describe('the tracks index', () => {
    it('refuses to replace an index that is not a list of track names, in the caller’s copy or stored', async () => {
      const svc = await suite.service();
      const session = await svc.createSession(key(), stateOf({ tracks: 'not json' }));
      const event = { track: 'agui', payload: 1, timestamp: suite.clock.now() };
      await expect(svc.appendTrackEvent(session, event)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      // A caller whose copy has no index, while the stored one is broken: refused, not overwritten.
      const bare = { ...session, state: {} };
      await expect(svc.appendTrackEvent(bare, event)).rejects.toMatchObject({ code: 'STORAGE' });
      const [state] = await rows(svc, 'sessionStates', 'state::text AS state');
      expect(JSON.parse(state!.state!).state.tracks).toBe(Buffer.from('not json').toString('base64'));
      expect(await rows(svc, 'sessionTrackEvents', 'id')).toEqual([]);
      // Reads list no tracks for it rather than failing.
      expect(Object.keys((await svc.getSession(key()))!.tracks)).toEqual([]);
    });
  });

  describe('delete', () => {
    it('soft-deletes a session’s rows in all four tables and starts a new session with the same key empty', async () => {
      const svc = await suite.service({ summarizer });
      const session = await svc.createSession(key());
      await svc.appendEvent(
        session,
        createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content: 'old' } }),
      );
      await svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: suite.clock.now() });
      await svc.createSessionSummary(session, '', true);
      suite.clock.advance(MINUTE);
      await svc.deleteSession(key());

      for (const table of [
        'sessionStates',
        'sessionEvents',
        'sessionTrackEvents',
        'sessionSummaries',
      ] as const) {
        const deleted = await rows(svc, table, ts('deleted_at'));
        expect(deleted, table).toEqual([{ deleted_at: '2026-01-02 03:05:05.123000' }]);
      }
      expect(await svc.getSession(key())).toBeNull();

      suite.clock.advance(MINUTE);
      const fresh = await svc.createSession(key());
      const read = await svc.getSession(key());
      expect(read?.events).toEqual([]);
      expect(Object.keys(read?.tracks ?? {})).toEqual([]);
      expect(await svc.getSessionSummaryText(fresh)).toBeUndefined();
      const question = createEvent({
        author: 'user',
        now: suite.clock.now(),
        message: { role: 'user', content: 'new' },
      });
      await svc.appendEvent(fresh, question);
      expect((await svc.getSession(key()))?.events.map((e) => e.id)).toEqual([question.id]);
      const sessions = await rows(svc, 'sessionStates', 'deleted_at::text AS deleted_at');
      expect(sessions.map((r) => r.deleted_at === null)).toEqual([false, true]);
    });

    it('hard-deletes a session’s rows with softDelete false', async () => {
      const svc = await suite.service({ summarizer, softDelete: false });
      const session = await svc.createSession(key());
      await svc.appendEvent(
        session,
        createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content: 'q' } }),
      );
      await svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: suite.clock.now() });
      await svc.createSessionSummary(session, '', true);
      await svc.createSession(key('other'));
      await svc.deleteSession(key());
      for (const table of ['sessionEvents', 'sessionTrackEvents', 'sessionSummaries'] as const) {
        expect(await rows(svc, table, 'id'), table).toEqual([]);
      }
      expect(await rows(svc, 'sessionStates', 'session_id')).toEqual([{ session_id: 'other' }]);
    });

    it('soft-deletes app and user state keys, or removes them with softDelete false', async () => {
      const soft = await suite.service();
      await soft.updateAppState(suite.app, stateOf({ a: '1' }));
      await soft.deleteAppState(suite.app, 'a');
      expect(
        (await rows(soft, 'appStates', 'key, deleted_at IS NOT NULL AS deleted')).map((r) => r.deleted),
      ).toEqual([true]);
      await soft.updateAppState(suite.app, stateOf({ a: '2' }));
      expect(new TextDecoder().decode((await soft.listAppStates(suite.app)).a!)).toBe('2');

      const hard = await suite.service({ softDelete: false });
      await hard.updateUserState({ appName: suite.app, userId: 'u' }, stateOf({ b: '1' }));
      await hard.deleteUserState({ appName: suite.app, userId: 'u' }, 'b');
      expect(await rows(hard, 'userStates', 'key')).toEqual([]);
    });
  });

  describe('TTL', () => {
    const TTL = 10 * MINUTE;
    const plusTtl = '2026-01-02 03:14:05.123000';

    it('writes expires_at = now + TTL on every write and never moves it on a read', async () => {
      const svc = await suite.service({ sessionTtlMs: TTL, appStateTtlMs: TTL, userStateTtlMs: TTL });
      const session = await svc.createSession(key());
      await svc.updateAppState(suite.app, stateOf({ a: '1' }));
      await svc.updateUserState({ appName: suite.app, userId: 'u' }, stateOf({ b: '1' }));
      await svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: suite.clock.now() });
      for (const table of ['sessionStates', 'appStates', 'userStates', 'sessionTrackEvents'] as const) {
        expect(await rows(svc, table, ts('expires_at')), table).toEqual([{ expires_at: plusTtl }]);
      }
      const before = await rows(svc, 'sessionStates', `${ts('updated_at')}, ${ts('expires_at')}`);
      suite.clock.advance(MINUTE);
      await svc.getSession(key());
      await svc.listSessions({ appName: suite.app, userId: 'u' });
      expect(await rows(svc, 'sessionStates', `${ts('updated_at')}, ${ts('expires_at')}`)).toEqual(before);
      await svc.appendEvent(
        session,
        createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content: 'q' } }),
      );
      expect(await rows(svc, 'sessionStates', ts('expires_at'))).toEqual([
        { expires_at: '2026-01-02 03:15:05.123000' },
      ]);
      // Events carry no expires_at, as in Go: their age is read from their own timestamps.
      expect(await rows(svc, 'sessionEvents', 'expires_at')).toEqual([{ expires_at: null }]);
    });

    it('sweeps expired sessions on its own every cleanupIntervalMs, and on demand', async () => {
      const svc = await suite.service({ sessionTtlMs: TTL, cleanupIntervalMs: 50 });
      await svc.createSession(key());
      suite.clock.advance(TTL + MINUTE);
      await expect
        .poll(async () => (await rows(svc, 'sessionStates', 'deleted_at'))[0]?.deleted_at, { timeout: 5000 })
        .not.toBeNull();
      const report = await svc.sweepNow();
      expect(report.ran).toBe(true);
      // Its timer would go on sweeping the next cases' rows with this case's clock.
      await svc.close();
    });

    it('soft-deletes an expired session with its events when the key is created again', async () => {
      const svc = await suite.service({ sessionTtlMs: TTL });
      const session = await svc.createSession(key());
      await svc.appendEvent(
        session,
        createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content: 'q' } }),
      );
      suite.clock.advance(TTL + MINUTE);
      await svc.createSession(key());
      const sessions = await rows(svc, 'sessionStates', `${ts('deleted_at')}, ${ts('created_at')}`);
      expect(sessions).toEqual([
        { deleted_at: '2026-01-02 03:15:05.123000', created_at: '2026-01-02 03:04:05.123000' },
        { deleted_at: null, created_at: '2026-01-02 03:15:05.123000' },
      ]);
      expect(await rows(svc, 'sessionEvents', ts('deleted_at'))).toEqual([
        { deleted_at: '2026-01-02 03:15:05.123000' },
      ]);
    });
  });

  describe('schema and table prefix', () => {
    it('puts every row in the prefixed tables of the given schema', async () => {
      const schema = `s_${randomBytes(4).toString('hex')}`;
      await suite.db.sql.query(`CREATE SCHEMA ${schema}`);
      const svc = await suite.service({ schema, tablePrefix: 'trpc' });
      expect(svc.tables.sessionStates.qualified).toBe(`"${schema}"."trpc_session_states"`);
      const session = await svc.createSession(key());
      await svc.appendEvent(
        session,
        createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content: 'q' } }),
      );
      await svc.updateAppState(suite.app, stateOf({ a: '1' }));
      const count = async (table: string) =>
        (
          await suite.db.sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${table} WHERE app_name = $1`,
            [suite.app],
          )
        ).rows[0]!.n;
      expect(await count(`${schema}.trpc_session_states`)).toBe(1);
      expect(await count(`${schema}.trpc_session_events`)).toBe(1);
      expect(await count(`${schema}.trpc_app_states`)).toBe(1);
      const unprefixed = await PostgresSessionService.create({ ...suite.db.connect, skipDbInit: true });
      suite.track(unprefixed);
      expect(await count(unprefixed.tables.sessionStates.qualified)).toBe(0);
      expect((await svc.getSession(key()))?.events).toHaveLength(1);
      await svc.close();
      await suite.db.sql.query(`DROP SCHEMA ${schema} CASCADE`);
    });
  });

  describe('lifecycle and errors', () => {
    it('connects on the first call and leaves a caller’s pool or client open on close', async () => {
      const svc = new PostgresSessionService({ ...suite.db.connect, clock: new ManualClock(T0) });
      await expect(svc.listAppStates(`app-${randomUUID()}`)).resolves.toEqual({});
      await svc.close();
      await svc.close();
      await expect(suite.db.sql.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      await expect(svc.listAppStates('a')).rejects.toMatchObject({ code: 'CLOSED' });
    });

    it('wraps a driver error in a StorageError naming the operation, with the driver error as cause', async () => {
      const svc = await suite.service({
        tablePrefix: `m${randomBytes(2).toString('hex')}`,
        skipDbInit: true,
      });
      const error = await svc.getSession(key()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORAGE', name: 'StorageError' });
      expect((error as Error).message).toMatch(/^getSession failed: .*does not exist/);
      expect((error as Error).cause).toMatchObject({ code: '42P01' });
    });

    it('reports an unreachable server from the first call, without the password', async () => {
      const svc = new PostgresSessionService({
        dsn: 'postgres://alice:s3cret-pw@127.0.0.1:1/db',
        extraOptions: { connectionTimeoutMillis: 2000 },
      });
      const error = await svc.getSession(key()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORAGE' });
      expect((error as Error).message).not.toContain('s3cret-pw');
      await svc.close();
      await expect(
        PostgresSessionService.create({ dsn: 'postgres://alice:s3cret-pw@127.0.0.1:1/db' }),
      ).rejects.toMatchObject({ code: 'STORAGE' });
    });

    it('refuses invalid options at construction', () => {
      expect(() => new PostgresSessionService({ ...suite.db.connect, sessionTtlMs: -1 })).toThrow(
        /sessionTtlMs/,
      );
      expect(() => new PostgresSessionService({ ...suite.db.connect, tablePrefix: 'bad-prefix' })).toThrow(
        /tablePrefix/,
      );
    });
  });

  describe('round trips', () => {
    async function measured(options: PostgresSessionServiceOptions = {}) {
      const { client, log } = counting(suite.db.sql);
      const svc = await suite.service({
        ...options,
        client,
        pool: undefined,
        schema: suite.db.connect.schema,
      });
      log.length = 0;
      const count = async (call: () => Promise<unknown>) => {
        log.length = 0;
        await call();
        return log.length;
      };
      return { svc, count, log };
    }

    it('appends an event, with or without a state delta, in one statement', async () => {
      const { svc, count } = await measured({ sessionTtlMs: MINUTE });
      const session = await svc.createSession(key());
      expect(await count(() => svc.appendEvent(session, toolCall(suite.clock.now())))).toBe(1);
      const deltaOnly = createEvent({ author: 'a', now: suite.clock.now(), stateDelta: stateOf({ x: '1' }) });
      expect(await count(() => svc.appendEvent(session, deltaOnly))).toBe(1);
    });

    it('reads a session in one statement in the common case, two in the rare ones', async () => {
      const { svc, count } = await measured({ sessionEventLimit: 2 });
      const session = await svc.createSession(key());
      const user = createEvent({
        author: 'user',
        now: suite.clock.now(),
        message: { role: 'user', content: 'q' },
      });
      const reply = () =>
        createEvent({
          author: 'assistant',
          now: suite.clock.now(),
          message: { role: 'assistant', content: 'a' },
        });
      await svc.appendEvent(session, user);
      await svc.appendEvent(session, reply());
      await svc.appendTrackEvent(session, { track: 'agui', payload: 1, timestamp: suite.clock.now() });
      expect(await count(() => svc.getSession(key()))).toBe(1);
      expect(await count(() => svc.listSessions({ appName: suite.app, userId: 'u' }))).toBe(1);
      await svc.appendEvent(session, reply());
      // The window (the newest 2) holds no user message: one lookup finds the last one before it.
      expect(await count(() => svc.getSession(key()))).toBe(2);
      expect((await svc.getSession(key()))?.events[0]?.id).toBe(user.id);
    });

    it('writes state and windows in one statement each, and deletes in one transaction', async () => {
      const { svc, count } = await measured();
      const session = await svc.createSession(key());
      const e = createEvent({
        author: 'user',
        now: suite.clock.now(),
        message: { role: 'user', content: 'q' },
      });
      await svc.appendEvent(session, e);
      const five = stateOf({ a: '1', b: '2', c: '3', d: '4', e: '5' });
      expect(await count(() => svc.updateAppState(suite.app, five))).toBe(1);
      expect(await count(() => svc.updateUserState({ appName: suite.app, userId: 'u' }, five))).toBe(1);
      expect(await count(() => svc.updateAppState(suite.app, stateOf({})))).toBe(0);
      expect(await count(() => svc.updateSessionState(key(), five))).toBe(1);
      expect(await count(() => svc.getEventWindow(key(), e.id, { before: 3, after: 3 }))).toBe(1);
      expect(
        await count(() =>
          svc.appendTrackEvent(session, { track: 't', payload: 1, timestamp: suite.clock.now() }),
        ),
      ).toBe(1);
      // A delete is one transaction that locks the live session row, then deletes: a write
      // racing it either lands first and goes with it, or finds no session (reliability/delete-race).
      expect(await count(() => svc.deleteSession(key()))).toBe(3);
    });

    it('creates a session in one transaction of two statements', async () => {
      const { svc, log, count } = await measured();
      expect(await count(() => svc.createSession(key()))).toBe(3);
      expect(log.filter((s) => s.startsWith('tx: '))).toHaveLength(2);
    });
  });
});
