/**
 * Go's zero time shown in a zone with a local mean time offset (`0000-12-31T16:07:02-07:52`, year
 * 0000, which PostgreSQL has not) is imported where Go writes it for an unset time and no
 * statement casts it (an event's response.timestamp, a summary's times, a track event's
 * timestamp), and the session it lands in takes writes afterwards, on PGlite and server
 * PostgreSQL. Where a statement casts the time (the state's times), the import refuses it
 * before writing anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminDatabase,
  type ExportedSession,
  exportSessions,
  importSession,
} from '../../src/postgres/admin/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import { textValue } from '../../src/session/state.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const SHIFTED_ZERO = '0000-12-31T16:07:02-07:52';
const T0 = Date.UTC(2026, 0, 1);
const say = (text: string) => createEvent({ author: 'user', message: { role: 'user', content: text } });

describe.each(testDatabases)("Go's shifted zero time imported on %s", (_name, open) => {
  let test: TestDatabase;

  beforeAll(async () => {
    test = await open();
  });
  afterAll(async () => {
    await test.close();
  });

  /** A one-event session with a track event, exported from tables of its own. */
  async function exported(prefix: string, key: SessionKey): Promise<ExportedSession> {
    const service = await PostgresSessionService.create({
      ...test.connect,
      tablePrefix: prefix,
      clock: new ManualClock(T0),
    });
    try {
      const session = await service.createSession(key);
      await service.appendEvent(session, say('hello'));
      await service.appendTrackEvent(session, { track: 't', payload: 1, timestamp: new Date(T0) });
    } finally {
      await service.close();
    }
    const db = adminDatabase(test.sql, { schema: test.schema, tablePrefix: prefix });
    const records: ExportedSession[] = [];
    for await (const record of exportSessions(db, { ...key, includeDeleted: false })) records.push(record);
    return records[0]!;
  }

  it('is taken where no statement casts it, and the session takes writes after', async () => {
    const key: SessionKey = { appName: 'zero', userId: 'u', sessionId: 's1' };
    const record = await exported('zsrc_', key);
    const event = JSON.parse(record.events[0]!.event) as { response?: object };
    event.response = { id: 'r', timestamp: SHIFTED_ZERO };
    const track = JSON.parse(record.trackEvents[0]!.event) as { timestamp: string };
    track.timestamp = SHIFTED_ZERO;
    const shifted: ExportedSession = {
      ...record,
      events: [{ ...record.events[0]!, event: JSON.stringify(event) }],
      trackEvents: [{ ...record.trackEvents[0]!, event: JSON.stringify(track) }],
      summaries: [
        {
          filterKey: '',
          summary: JSON.stringify({ summary: 's', updated_at: SHIFTED_ZERO }),
          updatedAt: record.updatedAt,
          expiresAt: null,
          deletedAt: null,
        },
      ],
    };
    const target = adminDatabase(test.sql, { schema: test.schema, tablePrefix: 'zdst_' });
    const service = await PostgresSessionService.create({
      ...test.connect,
      tablePrefix: 'zdst_',
      clock: new ManualClock(T0 + 60_000),
    });
    try {
      await importSession(target, shifted);
      const session = (await service.getSession(key))!;
      expect(session.events[0]!.response?.timestamp?.toISOString()).toBe('0000-12-31T23:59:02.000Z');
      expect(session.tracks.t!.events[0]!.timestamp.toISOString()).toBe('0000-12-31T23:59:02.000Z');
      await service.appendEvent(session, say('again'));
      await service.updateSessionState(key, { step: textValue('2') });
      await service.appendTrackEvent(session, { track: 't', payload: 2, timestamp: new Date(T0 + 60_000) });
      const after = (await service.getSession(key))!;
      expect(after.events.map((e) => e.choices?.[0]?.message?.content)).toEqual(['hello', 'again']);
      expect(after.tracks.t!.events).toHaveLength(2);
      expect(new TextDecoder().decode(after.state.step!)).toBe('2');
    } finally {
      await service.close();
    }
  });

  it("is refused in the state's times, which every append casts, before anything is written", async () => {
    const key: SessionKey = { appName: 'zero', userId: 'u', sessionId: 's2' };
    const record = await exported('zsrc2_', key);
    const state = JSON.parse(record.state!) as Record<string, unknown>;
    const target = adminDatabase(test.sql, { schema: test.schema, tablePrefix: 'zdst2_' });
    // The target's tables, made by a service, so the import has somewhere to fail to write.
    await (await PostgresSessionService.create({ ...test.connect, tablePrefix: 'zdst2_' })).close();
    await expect(
      importSession(target, { ...record, state: JSON.stringify({ ...state, updatedAt: SHIFTED_ZERO }) }),
    ).rejects.toThrow(/sessionState\.updatedAt must be a time from 0001-01-01T00:00:00Z/);
    const rows = await test.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${target.tables.sessionStates.qualified}`,
    );
    expect(rows.rows[0]!.n).toBe(0);
  });
});
