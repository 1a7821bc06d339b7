/**
 * The inspector's read queries (postgres/admin/browse and timeline) on PGlite and server
 * PostgreSQL: listings with counts, filters and paging; windows of a timeline; hidden rows only
 * when asked for, marked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseSessions, readAppState, readUserState } from '../../src/postgres/admin/browse.js';
import { type AdminDatabase, adminDatabase } from '../../src/postgres/admin/database.js';
import { readTimeline } from '../../src/postgres/admin/timeline.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { type TestDatabase, testDatabases } from '../support/database.js';
import {
  APP_NAME,
  HUGE_EVENTS,
  HUGE_USER,
  LONG_EVENTS,
  LONG_USER,
  type Seeded,
  seed,
  seedHugeSession,
  USER_ID,
} from './seed.js';

describe.each(testDatabases)('browsing sessions (%s)', (_name, open) => {
  let db: TestDatabase;
  let seeded: Seeded;
  let admin: AdminDatabase;

  beforeAll(async () => {
    db = await open();
    seeded = await seed(db);
    admin = adminDatabase(db.sql, { schema: db.schema });
  }, 120_000);
  afterAll(async () => {
    await seeded?.service.close();
    await db?.close();
  });

  it("lists a user's sessions with counts of events, tracks and summaries", async () => {
    const page = await browseSessions(admin, { appName: APP_NAME, userId: USER_ID });
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
    const page = await browseSessions(
      admin,
      { appName: APP_NAME, userId: USER_ID },
      { includeInactive: true, order: 'oldest' },
    );
    const byId = Object.fromEntries(page.rows.map((r) => [r.sessionId, r]));
    expect(byId['deleted-one']).toMatchObject({ status: 'deleted', events: 1 });
    expect(byId['deleted-one']!.deletedAt).toBeInstanceOf(Date);
    expect(byId['expired-one']).toMatchObject({ status: 'expired', events: 1 });
  });

  it('filters by id prefix and time range, and pages with a cursor', async () => {
    const key = { appName: APP_NAME, userId: USER_ID };
    const prefixed = await browseSessions(admin, key, { includeInactive: true, idPrefix: 'del' });
    expect(prefixed.rows.map((r) => r.sessionId)).toEqual(['deleted-one']);
    const recent = await browseSessions(admin, key, {
      includeInactive: true,
      updatedFrom: new Date(Date.now() - 24 * 3_600_000),
    });
    expect(recent.rows.map((r) => r.sessionId)).not.toContain('expired-one');
    const old = await browseSessions(admin, key, {
      includeInactive: true,
      updatedTo: new Date(Date.now() - 1000 * 3_600_000),
    });
    expect(old.rows.map((r) => r.sessionId)).toEqual(['expired-one']);

    const first = await browseSessions(admin, key, { includeInactive: true, limit: 2 });
    expect(first.rows).toHaveLength(2);
    expect(first.total).toBe(3);
    const second = await browseSessions(admin, key, {
      includeInactive: true,
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
    await expect(browseSessions(admin, key, { cursor: "x' OR 1=1" })).rejects.toSatisfy(
      (e) => isAgentSessionsError(e, 'INVALID_ARGUMENT') && /cursor/.test((e as Error).message),
    );
    await expect(browseSessions(admin, key, { limit: 10_000 })).rejects.toThrow(/limit/);
  });

  it('reads app and user state beside the listings', async () => {
    const app = await readAppState(admin, APP_NAME);
    expect(app).toEqual([expect.objectContaining({ key: 'demo_runs', value: '1', status: 'live' })]);
    const user = await readUserState(admin, { appName: APP_NAME, userId: USER_ID });
    expect(user.map((r) => [r.key, r.value])).toEqual([
      ['seat', 'window'],
      ['units', 'metric'],
    ]);
  });

  it("reads a session's events with summaries and track events", async () => {
    const t = await readTimeline(admin, {
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
    const tail = (await readTimeline(admin, key, { limit: 200 }))!;
    expect(tail.totalEvents).toBe(LONG_EVENTS);
    expect(tail.events).toHaveLength(200);
    expect(text(tail.events[0]!)).toBe(`message ${LONG_EVENTS - 199}`);
    expect(text(tail.events[199]!)).toBe(`message ${LONG_EVENTS}`);
    expect([tail.hasEarlier, tail.hasLater]).toEqual([true, false]);

    const earlier = (await readTimeline(admin, key, {
      limit: 200,
      before: tail.events[0]!.cursor,
    }))!;
    expect(text(earlier.events[199]!)).toBe(`message ${LONG_EVENTS - 200}`);
    const start = (await readTimeline(admin, key, { from: 'start', limit: 10 }))!;
    expect(start.events.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i + 1}`));
    expect([start.hasEarlier, start.hasLater]).toEqual([false, true]);
    const next = (await readTimeline(admin, key, { after: start.events[9]!.cursor, limit: 5 }))!;
    expect(next.events.map(text)).toEqual(Array.from({ length: 5 }, (_, i) => `message ${i + 11}`));
    const none = (await readTimeline(admin, key, { after: tail.events[199]!.cursor }))!;
    expect(none.events).toEqual([]);
    await expect(readTimeline(admin, key, { limit: 501 })).rejects.toThrow(/limit/);
  });

  it('shows deleted and expired sessions and rows only when asked, marked', async () => {
    const deleted = { appName: APP_NAME, userId: USER_ID, sessionId: seeded.deletedId };
    expect(await readTimeline(admin, deleted)).toBeNull();
    const shown = (await readTimeline(admin, deleted, { includeInactive: true }))!;
    expect(shown.session.status).toBe('deleted');
    expect(shown.events.map((e) => e.status)).toEqual(['deleted']);

    const expired = { appName: APP_NAME, userId: USER_ID, sessionId: seeded.expiredId };
    expect(await readTimeline(admin, expired)).toBeNull();
    const old = (await readTimeline(admin, expired, { includeInactive: true }))!;
    expect(old.session.status).toBe('expired');
    expect(old.events).toHaveLength(1);
  });

  it('reads a window of a 100,000-event session, and counts it, without reading it all', async () => {
    await seedHugeSession(db, seeded.service);
    const key = { appName: APP_NAME, userId: HUGE_USER, sessionId: 'huge' };
    const text = (e: { event: string }) => JSON.parse(e.event).choices[0].message.content as string;
    const tail = (await readTimeline(admin, key))!;
    expect(tail.totalEvents).toBe(HUGE_EVENTS);
    expect(tail.events).toHaveLength(200);
    expect(text(tail.events[199]!)).toBe(`message ${HUGE_EVENTS}`);
    const back = (await readTimeline(admin, key, { before: tail.events[0]!.cursor, limit: 500 }))!;
    expect(back.events).toHaveLength(500);
    expect(text(back.events[499]!)).toBe(`message ${HUGE_EVENTS - 200}`);
    const page = await browseSessions(admin, { appName: APP_NAME, userId: HUGE_USER });
    expect(page.rows[0]).toMatchObject({ sessionId: 'huge', events: HUGE_EVENTS });
  }, 120_000);
});
