/**
 * The inspector's read queries (postgres/admin/browse and timeline) on PGlite and server
 * PostgreSQL: listings with counts, filters and paging; windows of a timeline; hidden rows only
 * when asked for, marked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listApps,
  listSessions,
  listUsers,
  readAppState,
  readUserState,
} from '../../src/postgres/admin/browse.js';
import { readTimeline } from '../../src/postgres/admin/timeline.js';
import { type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { type TestDatabase, testDatabases } from '../support/database.js';
import { APP_NAME, HOSTILE_USER, LONG_EVENTS, LONG_USER, type Seeded, seed, USER_ID } from './seed.js';

describe.each(testDatabases)('browsing sessions (%s)', (_name, open) => {
  let db: TestDatabase;
  let seeded: Seeded;
  let tables: TableNames;

  beforeAll(async () => {
    db = await open();
    seeded = await seed(db);
    tables = tableNames(db.schema ?? '', '');
  }, 120_000);
  afterAll(async () => {
    await seeded?.service.close();
    await db?.close();
  });

  it('lists apps and users with their session counts, hidden sessions only when asked', async () => {
    const apps = await listApps(db.sql, tables);
    expect(apps.rows).toEqual([expect.objectContaining({ appName: APP_NAME, users: 3, sessions: 3 })]);
    const all = await listApps(db.sql, tables, { includeHidden: true });
    expect(all.rows[0]).toMatchObject({ sessions: 5 });

    const users = await listUsers(db.sql, tables, APP_NAME);
    expect(users.total).toBe(3);
    expect(users.rows.map((u) => u.userId).sort()).toEqual([HOSTILE_USER, LONG_USER, USER_ID].sort());
    expect(users.rows.find((u) => u.userId === USER_ID)).toMatchObject({ sessions: 1 });
    const hidden = await listUsers(db.sql, tables, APP_NAME, { includeHidden: true });
    expect(hidden.rows.find((u) => u.userId === USER_ID)).toMatchObject({ sessions: 3 });
  });

  it("lists a user's sessions with counts of events, tracks and summaries", async () => {
    const page = await listSessions(db.sql, tables, { appName: APP_NAME, userId: USER_ID });
    expect(page.total).toBe(1);
    expect(page.rows[0]).toMatchObject({
      sessionId: seeded.demo.id,
      status: 'live',
      events: 8,
      trackEvents: 1,
      tracks: 1,
      summaries: 1,
    });
  });

  it('marks deleted and expired sessions when hidden rows are asked for', async () => {
    const page = await listSessions(
      db.sql,
      tables,
      { appName: APP_NAME, userId: USER_ID },
      { includeHidden: true, order: 'oldest' },
    );
    const byId = Object.fromEntries(page.rows.map((r) => [r.sessionId, r]));
    expect(byId['deleted-one']).toMatchObject({ status: 'deleted', events: 1 });
    expect(byId['deleted-one']!.deletedAt).toMatch(/Z$/);
    expect(byId['expired-one']).toMatchObject({ status: 'expired', events: 1 });
  });

  it('filters by id prefix and time range, and pages with a cursor', async () => {
    const key = { appName: APP_NAME, userId: USER_ID };
    const prefixed = await listSessions(db.sql, tables, key, { includeHidden: true, idPrefix: 'del' });
    expect(prefixed.rows.map((r) => r.sessionId)).toEqual(['deleted-one']);
    const recent = await listSessions(db.sql, tables, key, {
      includeHidden: true,
      updatedFrom: new Date(Date.now() - 24 * 3_600_000),
    });
    expect(recent.rows.map((r) => r.sessionId)).not.toContain('expired-one');
    const old = await listSessions(db.sql, tables, key, {
      includeHidden: true,
      updatedTo: new Date(Date.now() - 1000 * 3_600_000),
    });
    expect(old.rows.map((r) => r.sessionId)).toEqual(['expired-one']);

    const first = await listSessions(db.sql, tables, key, { includeHidden: true, limit: 2 });
    expect(first.rows).toHaveLength(2);
    expect(first.total).toBe(3);
    const second = await listSessions(db.sql, tables, key, {
      includeHidden: true,
      limit: 2,
      cursor: first.next!,
    });
    expect(second.rows).toHaveLength(1);
    expect(second.next).toBeNull();
    const ids = [...first.rows, ...second.rows].map((r) => r.sessionId);
    expect(new Set(ids).size).toBe(3);
    expect(ids[2]).toBe('expired-one');
  });

  it('rejects a malformed cursor and an out-of-range page size, naming the field', async () => {
    const key = { appName: APP_NAME, userId: USER_ID };
    await expect(listSessions(db.sql, tables, key, { cursor: "x' OR 1=1" })).rejects.toSatisfy(
      (e) => isAgentSessionsError(e, 'INVALID_ARGUMENT') && /cursor/.test((e as Error).message),
    );
    await expect(listSessions(db.sql, tables, key, { limit: 10_000 })).rejects.toThrow(/limit/);
  });

  it('reads app and user state beside the listings', async () => {
    const app = await readAppState(db.sql, tables, APP_NAME);
    expect(app).toEqual([expect.objectContaining({ key: 'demo_runs', value: '1', status: 'live' })]);
    const user = await readUserState(db.sql, tables, { appName: APP_NAME, userId: USER_ID });
    expect(user.map((r) => [r.key, r.value])).toEqual([
      ['seat', 'window'],
      ['units', 'metric'],
    ]);
  });

  it("reads a session's events with summaries and track events", async () => {
    const t = await readTimeline(db.sql, tables, {
      appName: APP_NAME,
      userId: USER_ID,
      sessionId: seeded.demo.id,
    });
    expect(t).not.toBeNull();
    expect(t!.events).toHaveLength(8);
    expect(t!.totalEvents).toBe(8);
    expect(t!.hasEarlier).toBe(false);
    expect(t!.hasLater).toBe(false);
    expect(JSON.parse(t!.events[1]!.event).choices[0].message.tool_calls[0].function.name).toBe(
      'get_weather',
    );
    expect(t!.summaries).toHaveLength(1);
    expect(t!.summaries[0]!.filterKey).toBe('');
    expect(t!.trackEvents.map((e) => e.track)).toEqual(['tool-calls']);
    expect(t!.tracks).toEqual([{ track: 'tool-calls', events: 1 }]);
  });

  it('reads a long session a bounded window at a time, newest first, then back and forth by cursor', async () => {
    const key = { appName: APP_NAME, userId: LONG_USER, sessionId: 'long' };
    const text = (e: { event: string }) => JSON.parse(e.event).choices[0].message.content as string;
    const tail = (await readTimeline(db.sql, tables, key, { limit: 200 }))!;
    expect(tail.totalEvents).toBe(LONG_EVENTS);
    expect(tail.events).toHaveLength(200);
    expect(text(tail.events[0]!)).toBe(`message ${LONG_EVENTS - 199}`);
    expect(text(tail.events[199]!)).toBe(`message ${LONG_EVENTS}`);
    expect([tail.hasEarlier, tail.hasLater]).toEqual([true, false]);

    const earlier = (await readTimeline(db.sql, tables, key, {
      limit: 200,
      before: tail.events[0]!.cursor,
    }))!;
    expect(text(earlier.events[199]!)).toBe(`message ${LONG_EVENTS - 200}`);
    const start = (await readTimeline(db.sql, tables, key, { from: 'start', limit: 10 }))!;
    expect(start.events.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i + 1}`));
    expect([start.hasEarlier, start.hasLater]).toEqual([false, true]);
    const next = (await readTimeline(db.sql, tables, key, { after: start.events[9]!.cursor, limit: 5 }))!;
    expect(next.events.map(text)).toEqual(Array.from({ length: 5 }, (_, i) => `message ${i + 11}`));
    const none = (await readTimeline(db.sql, tables, key, { after: tail.events[199]!.cursor }))!;
    expect(none.events).toEqual([]);
    await expect(readTimeline(db.sql, tables, key, { limit: 501 })).rejects.toThrow(/limit/);
  });

  it('shows deleted and expired sessions and rows only when asked, marked', async () => {
    const deleted = { appName: APP_NAME, userId: USER_ID, sessionId: seeded.deletedId };
    expect(await readTimeline(db.sql, tables, deleted)).toBeNull();
    const shown = (await readTimeline(db.sql, tables, deleted, { includeHidden: true }))!;
    expect(shown.session.status).toBe('deleted');
    expect(shown.events.map((e) => e.status)).toEqual(['deleted']);

    const expired = { appName: APP_NAME, userId: USER_ID, sessionId: seeded.expiredId };
    expect(await readTimeline(db.sql, tables, expired)).toBeNull();
    const old = (await readTimeline(db.sql, tables, expired, { includeHidden: true }))!;
    expect(old.session.status).toBe('expired');
    expect(old.events).toHaveLength(1);
  });
});
