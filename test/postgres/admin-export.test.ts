/**
 * Export records, in process on in-memory PGlite: sessions that share a key (a live one and
 * soft-deleted ones) keep their own rows however the pages fall, and a record imported into
 * another database reads back identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXPORT_FORMAT,
  type ExportedSession,
  exportSessions,
  formatExportLine,
  importSession,
  type SessionFilter,
  StateTracker,
} from '../../src/postgres/admin/index.js';
import { initSchema, tableNames } from '../../src/postgres/schema/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';

const tables = tableNames('', '');
const say = (content: string) =>
  createEvent({ author: 'user', invocationId: 'i', message: { role: 'user', content } });

async function readAll(db: SqlClient, filter: SessionFilter, pageSize: number) {
  const out = [];
  for await (const r of exportSessions({ client: db, tables }, filter, {
    pageSize,
    tracker: new StateTracker(),
  }))
    out.push(r);
  return out;
}

/** Runs `fn` on a new embedded database holding the empty tables, closed afterwards. */
async function withFreshTarget(fn: (fresh: SqlClient) => Promise<void>): Promise<void> {
  const fresh = await pgliteClient();
  try {
    await initSchema(fresh, tables);
    await fn(fresh);
  } finally {
    await fresh.close();
  }
}

describe('export records', () => {
  let source: SqlClient;
  let target: SqlClient;

  // One source for all tests (they only read it); the import target is filled by one test only.
  beforeAll(async () => {
    source = await pgliteClient();
    target = await pgliteClient();
    const service = await PostgresSessionService.create({ client: source });
    const key = { appName: 'app', userId: 'u', sessionId: 'same' };
    // Three incarnations of one key: two deleted, the last live.
    for (const round of [1, 2, 3]) {
      const session = await service.createSession(key);
      await service.appendEvent(session, say(`round ${round} first`));
      await service.appendEvent(session, say(`round ${round} second`));
      await service.appendTrackEvent(session, { track: 't', payload: { round }, timestamp: new Date() });
      if (round < 3) await service.deleteSession(key);
    }
    const other = await service.createSession({ appName: 'app', userId: 'v', sessionId: 'other' });
    await service.appendEvent(other, say('hello'));
    await service.updateAppState('app', stateOf({ counter: '7' }));
    await service.updateUserState({ appName: 'app', userId: 'u' }, stateOf({ lang: 'en' }));
    await service.close();
  });

  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('keeps each stored session of a key with its own events, whatever the page size', async () => {
    for (const pageSize of [1, 2, 100]) {
      const records = await readAll(source, { includeDeleted: true }, pageSize);
      expect(records.map((r) => `${r.sessionId}:${r.deletedAt === null ? 'live' : 'deleted'}`)).toEqual([
        'same:deleted',
        'same:deleted',
        'same:live',
        'other:live',
      ]);
      records.slice(0, 3).forEach((r, i) => {
        expect(r.events.map((e) => JSON.parse(e.event).choices[0].message.content)).toEqual([
          `round ${i + 1} first`,
          `round ${i + 1} second`,
        ]);
        expect(r.trackEvents.map((e) => JSON.parse(e.event).payload.round)).toEqual([i + 1]);
      });
      // Each app's and user's state once per export.
      expect(records.filter((r) => r.appState).map((r) => r.appState!.length)).toEqual([1]);
      expect(records.filter((r) => r.userState).length).toBe(2);
    }
  });

  it('reads back identical after an import, and a second import writes nothing', async () => {
    await initSchema(target, tables);
    const records = await readAll(source, { includeDeleted: true }, 2);
    for (const r of records) await importSession({ client: target, tables }, r);
    const again = await readAll(target, { includeDeleted: true }, 2);
    expect(again.map(formatExportLine)).toEqual(records.map(formatExportLine));
    for (const r of records) {
      const counts = await importSession({ client: target, tables }, r);
      expect(counts).toMatchObject({
        sessionsCreated: 0,
        sessionsUpdated: 0,
        eventsAdded: 0,
        trackEventsAdded: 0,
      });
      expect(counts.summariesWritten + counts.stateRowsWritten).toBe(0);
    }
  });

  it('adds exactly the events a session does not hold, by id and deletion state, past one statement of rows', async () => {
    await withFreshTarget(async (fresh) => {
      const time = (n: number) =>
        `2026-01-01T00:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}.5Z`;
      const event = (id: unknown, n: number, deletedAt: string | null = null) => ({
        event: JSON.stringify({ id, invocationId: 'i', author: 'user', n }),
        createdAt: time(n),
        updatedAt: time(n),
        expiresAt: null,
        deletedAt,
      });
      const record = (events: ReturnType<typeof event>[]): ExportedSession => ({
        format: EXPORT_FORMAT,
        appName: 'bulk',
        userId: 'u',
        sessionId: 's',
        state: '{"id": "s", "state": {}}',
        createdAt: time(0),
        updatedAt: time(0),
        expiresAt: null,
        deletedAt: null,
        events,
        summaries: [],
        trackEvents: [],
      });
      const first = Array.from({ length: 3000 }, (_, n) => event(`e${n}`, n));
      // Go lets a session hold two events with one id: the record's own rows are all imported.
      first.push(event('twice', 3000), event('twice', 3001));
      expect(await importSession({ client: fresh, tables }, record(first))).toMatchObject({
        eventsAdded: 3002,
      });

      const deletedAt = '2026-02-01T00:00:00Z';
      const second = [
        ...first,
        // New ids; an id stored live, now as a deleted row (another deletion state); no id, twice
        // (matched by the whole document, in SQL). (A number as id is refused, as in a line.)
        ...Array.from({ length: 700 }, (_, n) => event(`f${n}`, n)),
        event('e5', 5, deletedAt),
        event('', 9),
      ];
      expect(await importSession({ client: fresh, tables }, record(second))).toMatchObject({
        eventsAdded: 702,
      });
      // Everything is there now, the deleted row matched with its time written without a fraction.
      expect(await importSession({ client: fresh, tables }, record([...second, event('', 9)]))).toMatchObject(
        { eventsAdded: 0 },
      );
      const { rows } = await fresh.query<{ live: number; deleted: number; twice: number }>(
        `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live,
              count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted,
              count(*) FILTER (WHERE event->>'id' = 'twice')::int AS twice
       FROM session_events WHERE app_name = 'bulk'`,
      );
      expect(rows).toEqual([{ live: 3703, deleted: 1, twice: 2 }]);
    });
  });

  it('refuses a record built in code that an export line could not hold, naming the field, and stays usable', async () => {
    await withFreshTarget(async (fresh) => {
      const [live] = await readAll(source, { includeDeleted: false, sessionId: 'same' }, 10);
      const { proxy: revoked, revoke } = Proxy.revocable({}, {});
      revoke();
      const cases: [unknown, string][] = [
        // A Symbol once reached the driver and left the PGlite connection in an aborted transaction.
        [{ ...live!, state: Symbol('x') }, 'session.state'],
        // Rows every read of the session would then refuse.
        [{ ...live!, state: '"str"' }, 'session.state'],
        [{ ...live!, state: '[1]' }, 'session.state'],
        [{ ...live!, createdAt: 'yesterday' }, 'session.createdAt'],
        [{ ...live!, appState: 5 }, 'session.appState'],
        [{ ...live!, events: [undefined] }, 'session.events[0]'],
        [null, 'session'],
        [revoked, 'session'],
      ];
      for (const [record, field] of cases) {
        const error = await importSession({ client: fresh, tables }, record as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isAgentSessionsError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
        expect((error as { field?: string }).field).toBe(field);
      }
      // Nothing was written, and the client still works.
      expect((await fresh.query('SELECT count(*)::int AS n FROM session_states')).rows[0]).toEqual({ n: 0 });
      expect(await importSession({ client: fresh, tables }, live!)).toMatchObject({ sessionsCreated: 1 });
    });
  });

  it('updates a live session only from a newer record', async () => {
    await withFreshTarget(async (fresh) => {
      const [live] = await readAll(source, { includeDeleted: false, sessionId: 'same' }, 10);
      expect(await importSession({ client: fresh, tables }, live!)).toMatchObject({
        sessionsCreated: 1,
        eventsAdded: 2,
      });
      const older = {
        ...live!,
        updatedAt: '2000-01-01T00:00:00.000000Z',
        state: '{"id": "same", "state": {}}',
      };
      expect(await importSession({ client: fresh, tables }, older)).toMatchObject({ sessionsUnchanged: 1 });
      const newer = { ...live!, updatedAt: '2999-01-01T00:00:00.000000Z' };
      expect(await importSession({ client: fresh, tables }, newer)).toMatchObject({
        sessionsUpdated: 1,
        eventsAdded: 0,
      });
    });
  });
});
