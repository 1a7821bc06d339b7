/**
 * popEvent and clearEvents on the PostgreSQL tables: soft delete marks the rows (the Go code's
 * reads skip them), hard delete removes them, each call is one statement, and an event row a Go
 * service wrote is popped like one of ours. Runs on PGlite, and on a server when configured.
 */
import { describe, expect, it } from 'vitest';
import { createEvent } from '../../src/session/event.js';
import type { SqlClient } from '../../src/sql/client.js';
import { testDatabases } from '../support/database.js';
import { ServiceSuite } from '../support/service-suite.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 123);
const summarizer = { shouldSummarize: () => true, summarize: async () => 'text' };

describe.each(testDatabases)('popEvent and clearEvents on %s', (_name, open) => {
  const suite = new ServiceSuite(open, { start: T0, defaults: { summarizer } });
  const sessionKey = () => ({ appName: suite.app, userId: 'u', sessionId: 's' });
  const say = (content: string) =>
    createEvent({ author: 'user', now: suite.clock.now(), message: { role: 'user', content } });

  it('soft-deletes the popped and the cleared events (and the summaries) and keeps the rows', async () => {
    const svc = await suite.service();
    const session = await svc.createSession(sessionKey());
    for (const c of ['q1', 'q2', 'q3']) await svc.appendEvent(session, say(c));
    await svc.createSessionSummary(session, '', true);
    expect((await svc.popEvent(sessionKey()))?.choices?.[0]?.message?.content).toBe('q3');
    expect(await suite.eventRows(svc)).toEqual([
      { content: 'q1', deleted: false },
      { content: 'q2', deleted: false },
      { content: 'q3', deleted: true },
    ]);
    suite.clock.advance(1000);
    await svc.clearEvents(sessionKey());
    expect((await suite.eventRows(svc)).map((r) => r.deleted)).toEqual([true, true, true]);
    const { rows } = await suite.db.sql.query<{ deleted: boolean }>(
      `SELECT deleted_at IS NOT NULL AS deleted FROM ${svc.tables.sessionSummaries.qualified} WHERE app_name = $1`,
      [suite.app],
    );
    expect(rows).toEqual([{ deleted: true }]);
  });

  it('removes the rows with softDelete false', async () => {
    const svc = await suite.service({ softDelete: false });
    const session = await svc.createSession(sessionKey());
    for (const c of ['q1', 'q2', 'q3']) await svc.appendEvent(session, say(c));
    await svc.popEvent(sessionKey());
    expect(await suite.eventRows(svc)).toEqual([
      { content: 'q1', deleted: false },
      { content: 'q2', deleted: false },
    ]);
    await svc.clearEvents(sessionKey());
    expect(await suite.eventRows(svc)).toEqual([]);
  });

  it('pops an event row another program (a Go service) inserted, decoded as ours', async () => {
    const svc = await suite.service();
    await svc.createSession(sessionKey());
    const goEvent = {
      id: 'go-1',
      invocationId: 'inv',
      author: 'user',
      timestamp: '2026-01-02T03:04:05.123456789Z',
      object: '',
      created: 0,
      model: '',
      choices: [{ index: 0, message: { role: 'user', content: 'from go' } }],
      version: 0,
    };
    await suite.db.sql.query(
      `INSERT INTO ${svc.tables.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
       VALUES ($1, 'u', 's', $2::jsonb, now(), now())`,
      [suite.app, JSON.stringify(goEvent)],
    );
    const popped = await svc.popEvent(sessionKey());
    expect(popped?.id).toBe('go-1');
    expect(popped?.choices?.[0]?.message?.content).toBe('from go');
    expect(await svc.popEvent(sessionKey())).toBeUndefined();
  });

  it('takes one transaction of two statements each: the session row locked, then the removal', async () => {
    // Locking first is what makes a removal see an append that committed while it waited for
    // the session row (see queries/sessions.ts deleteSession); one statement cannot.
    const log: string[] = [];
    const counting: SqlClient = {
      ...suite.db.sql,
      kind: suite.db.sql.kind,
      query: (text, params) => {
        log.push(text);
        return suite.db.sql.query(text, params);
      },
      transaction: (fn) =>
        suite.db.sql.transaction((tx) =>
          fn({
            ...tx,
            query: (text, params) => {
              log.push(`tx: ${text}`);
              return tx.query(text, params);
            },
          }),
        ),
      withConnection: (fn) => suite.db.sql.withConnection(fn),
      close: () => suite.db.sql.close(),
    };
    const svc = await suite.service({ client: counting, pool: undefined, schema: suite.db.connect.schema });
    const session = await svc.createSession(sessionKey());
    await svc.appendEvent(session, say('q1'));
    log.length = 0;
    await svc.popEvent(sessionKey());
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^tx: SELECT 1 AS locked .* FOR UPDATE$/s);
    log.length = 0;
    await svc.clearEvents(sessionKey());
    expect(log).toHaveLength(2);
    expect(log.every((text) => text.startsWith('tx: '))).toBe(true);
  });
});
