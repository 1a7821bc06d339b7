/**
 * `restore` after a sweep and an import of the same sessions, on PGlite and server PostgreSQL: the
 * import writes the swept events, track events and summaries anew on a live session, and
 * restoring the sweep must not bring back their old copies beside them (each event would show
 * twice). What the import did not write again still comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminDatabase,
  adminDatabase,
  type ExportedSession,
  exportSessions,
  findSession,
  importSession,
  restore,
  sweepNow,
} from '../../src/postgres/admin/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const say = (text: string) => createEvent({ author: 'user', message: { role: 'user', content: text } });

describe.each(testDatabases)('restore after an import on %s', (_name, open) => {
  let test: TestDatabase;

  beforeAll(async () => {
    test = await open();
  });
  afterAll(async () => {
    await test.close();
  });

  /**
   * A session of three events and a track event (1 h TTL), written at T0, exported, then swept at
   * T0+2h with a 1 h session TTL, as `agent-sessions cleanup --session-ttl 1h` does.
   */
  async function sweptSession(prefix: string, sessionId: string) {
    const clock = new ManualClock(T0);
    const service = await PostgresSessionService.create({
      ...test.connect,
      tablePrefix: prefix,
      clock,
      trackEventTtlMs: HOUR,
    });
    const key: SessionKey = { appName: 'restore', userId: 'u', sessionId };
    try {
      const session = await service.createSession(key);
      for (const [i, text] of ['a', 'b', 'c'].entries()) {
        clock.set(new Date(T0 + i * 1000));
        await service.appendEvent(session, say(text));
      }
      await service.appendTrackEvent(session, { track: 't', payload: { n: 1 }, timestamp: clock.now() });
    } finally {
      await service.close();
    }
    const db = adminDatabase(test.sql, { schema: test.schema, tablePrefix: prefix });
    const exported: ExportedSession[] = [];
    for await (const record of exportSessions(db, { ...key, includeDeleted: false })) exported.push(record);
    expect(exported).toHaveLength(1);
    const swept = await sweepNow(db, { sessionTtlMs: HOUR, now: new Date(T0 + 2 * HOUR) });
    // The session has no TTL: it stays live, its stale events and its expired track event go.
    expect(swept).toMatchObject({ sessions: 0, events: 3, trackEvents: 1 });
    expect((await findSession(db, key))?.events).toEqual([]);
    return { db, key, record: exported[0]! };
  }

  const eventIds = async (db: AdminDatabase, key: SessionKey) =>
    ((await findSession(db, key))?.events ?? []).map((e) => (JSON.parse(e.event) as { id: string }).id);

  it('brings back none of the rows the import wrote again', async () => {
    const { db, key, record } = await sweptSession('again_', 's1');
    await importSession(db, record);
    const imported = await eventIds(db, key);
    expect(imported).toHaveLength(3);
    expect(await restore(db, key)).toEqual({ sessions: 0, events: 0, summaries: 0, trackEvents: 0 });
    expect(await eventIds(db, key)).toEqual(imported);
    const tracks = await test.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${db.tables.sessionTrackEvents.qualified}
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL`,
      [key.appName, key.userId, key.sessionId],
    );
    expect(tracks.rows[0]!.n).toBe(1);
  });

  it('brings back what the import did not write again', async () => {
    const { db, key, record } = await sweptSession('part_', 's2');
    const [first, ...rest] = record.events;
    await importSession(db, { ...record, events: [first!] });
    expect(await restore(db, key)).toMatchObject({ sessions: 0, events: rest.length });
    expect(await eventIds(db, key)).toEqual(
      record.events.map((e) => (JSON.parse(e.event) as { id: string }).id),
    );
  });
});
