/**
 * replaceEvents on the PostgreSQL tables: the replaced rows are soft-deleted (or removed with
 * softDelete false), the new ones inserted after the kept ones; a failed precondition leaves every
 * row of the session as it was, column by column. Runs on PGlite, and on a server when configured.
 */
import { describe, expect, it } from 'vitest';
import type { PostgresSessionService } from '../../src/postgres/service.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent } from '../../src/session/event.js';
import { textValue } from '../../src/session/state.js';
import { testDatabases } from '../support/database.js';
import { ServiceSuite } from '../support/service-suite.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 123);

describe.each(testDatabases)('replaceEvents on %s', (_name, open) => {
  const suite = new ServiceSuite(open, { start: T0 });
  const sessionKey = () => ({ appName: suite.app, userId: 'u', sessionId: 's' });
  const say = (content: string) =>
    createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content } });

  /** Every column of every row of the app, in the events and the session tables. */
  async function allRows(svc: PostgresSessionService) {
    const read = (table: string) =>
      suite.db.sql.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t WHERE app_name = $1 ORDER BY id`, [
        suite.app,
      ]);
    return {
      events: (await read(svc.tables.sessionEvents.qualified)).rows,
      sessions: (await read(svc.tables.sessionStates.qualified)).rows,
    };
  }

  it('soft-deletes the replaced rows and inserts the new ones after the kept ones', async () => {
    const svc = await suite.service();
    const session = await svc.createSession(sessionKey());
    const events = ['q1', 'q2', 'q3'].map(say);
    for (const e of events) await svc.appendEvent(session, e);
    suite.clock.advance(1000);
    await svc.replaceEvents(sessionKey(), {
      expectedEventIds: [events[1]!.id, events[2]!.id],
      events: [say('n1')],
    });
    expect(await suite.eventRows(svc)).toEqual([
      { content: 'q1', deleted: false },
      { content: 'q2', deleted: true },
      { content: 'q3', deleted: true },
      { content: 'n1', deleted: false },
    ]);
  });

  it('removes the rows with softDelete false', async () => {
    const svc = await suite.service({ softDelete: false });
    const session = await svc.createSession(sessionKey());
    for (const c of ['q1', 'q2']) await svc.appendEvent(session, say(c));
    await svc.replaceEvents(sessionKey(), { events: [say('n1')] });
    expect(await suite.eventRows(svc)).toEqual([{ content: 'n1', deleted: false }]);
  });

  it('a failed precondition leaves every row unchanged, column by column', async () => {
    const svc = await suite.service();
    const session = await svc.createSession(sessionKey(), { v: textValue('1') });
    const events = ['q1', 'q2'].map(say);
    for (const e of events) await svc.appendEvent(session, e);
    const before = await allRows(svc);
    suite.clock.advance(5000);
    const attempts = [
      { expectedEventIds: [events[0]!.id], events: [say('x')] },
      { expectedEventIds: [], events: [say('x')], state: { v: textValue('2') }, expectedState: { v: null } },
    ];
    for (const request of attempts) {
      const error = await svc.replaceEvents(sessionKey(), request).catch((e: unknown) => e);
      expect(isAgentSessionsError(error, 'CONFLICT')).toBe(true);
    }
    expect(await allRows(svc)).toEqual(before);
  });
});
