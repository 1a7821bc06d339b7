/**
 * Several service instances on one database, as several processes would run: appends to one
 * session lose nothing and keep each writer's order, reads order events by insertion even when
 * the writers' clocks disagree, and of many concurrent creates of one key exactly one wins.
 * The multi-pool cases need a server (AGENT_SESSIONS_TEST_DATABASE_URL); the rest also run on PGlite.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent, type Event } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import { createPgPool } from '../../src/sql/pg-client.js';
import { describeServer, newPglite, serverUrl, withServerSchema } from '../support/database.js';

const T0 = Date.UTC(2026, 2, 1);
const MINUTE = 60_000;

const say = (clock: ManualClock, role: 'user' | 'assistant', text: string): Event =>
  createEvent({ author: role, now: clock.now(), message: { role, content: text } });

describe('appends from services whose clocks disagree (PGlite)', () => {
  let close: () => Promise<void>;
  let services: { svc: PostgresSessionService; clock: ManualClock }[];

  beforeAll(async () => {
    const db = await newPglite();
    close = db.close;
    await (await PostgresSessionService.create({ client: db.client })).close();
    services = await Promise.all(
      [0, -5 * MINUTE, 5 * MINUTE].map(async (skew) => {
        const clock = new ManualClock(T0 + skew);
        return {
          clock,
          svc: await PostgresSessionService.create({ client: db.client, clock, skipDbInit: true }),
        };
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(services.map(({ svc }) => svc.close()));
    await close();
  });

  it('orders events by insertion, never by a slower writer’s clock', async () => {
    const app = `app-${randomUUID()}`;
    const key = { appName: app, userId: 'u', sessionId: 's' };
    const [fast, slow] = [services[2]!, services[1]!];
    const created = await fast.svc.createSession(key);
    const copy = structuredClone(created);
    const appended: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = say(fast.clock, 'user', `fast ${i}`);
      await fast.svc.appendEvent(created, a);
      const b = say(slow.clock, 'assistant', `slow ${i}`);
      await slow.svc.appendEvent(copy, b);
      appended.push(a.id, b.id);
    }
    const read = await services[0]!.svc.getSession(key);
    expect(read?.events.map((e) => e.id)).toEqual(appended);
    const window = await slow.svc.getEventWindow(key, appended[0]!, { before: 0, after: 20 });
    expect(window.map((e) => e.id)).toEqual(appended);
  });
});

describeServer('several processes on one server', () => {
  let schema: Awaited<ReturnType<typeof withServerSchema>>;
  const pools: pg.Pool[] = [];
  const services: PostgresSessionService[] = [];

  beforeAll(async () => {
    schema = await withServerSchema();
    await (await PostgresSessionService.create({ pool: schema.pool, schema: schema.schema })).close();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await Promise.all(pools.map((p) => p.end()));
    await schema.drop();
  });

  /** A service on its own pool (its own connections), like a separate process. */
  async function anotherProcess(
    options: PostgresSessionServiceOptions = {},
  ): Promise<PostgresSessionService> {
    const pool = createPgPool({ connectionString: serverUrl, max: 4 });
    pools.push(pool);
    const svc = await PostgresSessionService.create({
      pool,
      schema: schema.schema,
      skipDbInit: true,
      ...options,
    });
    services.push(svc);
    return svc;
  }

  it('loses no append of three services writing one session at once, and keeps each one’s order', async () => {
    const clocks = [0, -5 * MINUTE, 5 * MINUTE].map((skew) => new ManualClock(T0 + skew));
    const writers = await Promise.all(clocks.map((clock) => anotherProcess({ clock })));
    const key = { appName: `app-${randomUUID()}`, userId: 'u', sessionId: 's' };
    const session = await writers[0]!.createSession(key);
    const PER_WRITER = 40;
    const sent = await Promise.all(
      writers.map(async (svc, w) => {
        const copy = structuredClone(session);
        const ids: string[] = [];
        for (let i = 0; i < PER_WRITER; i++) {
          const event = say(clocks[w]!, 'user', `w${w}-${i}`);
          event.stateDelta = stateOf({ [`w${w}-${i}`]: String(i) });
          await svc.appendEvent(copy, event);
          ids.push(event.id);
        }
        return ids;
      }),
    );
    const read = await writers[1]!.getSession(key, { eventNum: 1000 });
    const got = read!.events.map((e) => e.id);
    expect(got).toHaveLength(3 * PER_WRITER);
    for (const ids of sent) {
      const mine = new Set(ids);
      expect(got.filter((id) => mine.has(id))).toEqual(ids);
    }
    // Every writer's state delta was merged, none overwritten by another's.
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < PER_WRITER; i++) expect(read!.state[`w${w}-${i}`], `w${w}-${i}`).toBeDefined();
    }
  });

  it('lets exactly one of ten services creating the same session at once win', async () => {
    const creators = await Promise.all(Array.from({ length: 10 }, () => anotherProcess()));
    const key = { appName: `app-${randomUUID()}`, userId: 'u', sessionId: 'race' };
    const results = await Promise.allSettled(
      creators.map((svc, i) => svc.createSession(key, stateOf({ winner: String(i) }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(9).fill('CONFLICT'));
    const { rows } = await schema.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${creators[0]!.tables.sessionStates.qualified} WHERE app_name = $1`,
      [key.appName],
    );
    expect(rows[0]?.n).toBe(1);
  });
});
