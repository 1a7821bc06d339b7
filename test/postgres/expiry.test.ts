/**
 * A session's expires_at only moves forward on writes: event and track writes of one session run
 * on different workers, and services run on different clocks, so a write that lands later may
 * carry an earlier "now". Without the guard it would shorten what an earlier write extended.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import type { SqlClient } from '../../src/sql/client.js';
import { newPglite } from '../support/database.js';

const T0 = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('session expiry under writers with different clocks (PGlite)', () => {
  let client: SqlClient;
  let close: () => Promise<void>;
  let ahead: PostgresSessionService;
  let behind: PostgresSessionService;

  beforeAll(async () => {
    const db = await newPglite();
    ({ client, close } = db);
    ahead = await PostgresSessionService.create({
      client,
      clock: new ManualClock(T0 + HOUR),
      sessionTtlMs: DAY,
    });
    behind = await PostgresSessionService.create({ client, clock: new ManualClock(T0), sessionTtlMs: DAY });
  });
  afterAll(async () => {
    await ahead.close();
    await behind.close();
    await close();
  });

  const expiresAt = async (sessionId: string): Promise<number> => {
    const { rows } = await client.query<{ expires_at: Date }>(
      `SELECT expires_at FROM session_states WHERE session_id = $1 AND deleted_at IS NULL`,
      [sessionId],
    );
    return rows[0]!.expires_at.getTime();
  };

  it('keeps the later expiry when a write with an earlier clock lands last', async () => {
    const key = { appName: `app-${randomUUID()}`, userId: 'u', sessionId: 's' };
    const session = await ahead.createSession(key);
    await ahead.appendEvent(
      session,
      createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }),
    );
    expect(await expiresAt('s')).toBe(T0 + HOUR + DAY);

    await behind.appendEvent(
      session,
      createEvent({ author: 'a', message: { role: 'assistant', content: 'yo' } }),
    );
    expect(await expiresAt('s')).toBe(T0 + HOUR + DAY);
    await behind.updateSessionState(key, stateOf({ k: 'v' }));
    expect(await expiresAt('s')).toBe(T0 + HOUR + DAY);
    await behind.appendTrackEvent(session, { track: 't', payload: { n: 1 }, timestamp: new Date(T0) });
    expect(await expiresAt('s')).toBe(T0 + HOUR + DAY);
  });
});
