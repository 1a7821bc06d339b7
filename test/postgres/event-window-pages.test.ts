/**
 * An event window that reads more than one page stays within the session it began in: a page
 * pins the session row's created_at, so a session deleted and created again with its id between
 * two pages contributes nothing of the new session to the window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as q from '../../src/postgres/queries/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

describe.each(testDatabases)('event window pages on %s', (_name, open) => {
  let db: TestDatabase;
  let svc: PostgresSessionService;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    db = await open();
    svc = await PostgresSessionService.create({ client: db.sql, schema: db.connect.schema, clock });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.close();
  });

  const say = (role: 'user' | 'assistant', content: string) =>
    createEvent({ author: role, now: clock.now(), message: { role, content } });

  it('reads no page of a session created again with the same id after the window began', async () => {
    const key = { appName: 'pages', userId: 'u', sessionId: 's' };
    const first = await svc.createSession(key);
    const anchor = say('user', 'old question');
    await svc.appendEvent(first, anchor);
    clock.advance(1_000);
    await svc.appendEvent(first, say('assistant', 'old answer'));

    const now = toSqlTimestamp(clock.now());
    const opening = q.eventWindow(svc.tables, { key, anchorId: anchor.id, before: 0, after: 0, now });
    const { rows } = await db.sql.query<q.EventWindowRow>(opening.text, opening.params);
    const anchorRow = rows.find((row) => row.part === 'a')!;
    expect(anchorRow.session_created).toBeTruthy();
    const page = (sessionCreated: string) =>
      q.eventWindowPage(svc.tables, {
        key,
        sessionCreated,
        side: 'f',
        createdAt: anchorRow.created_at,
        rowId: anchorRow.row_id,
        limit: 10,
        now: toSqlTimestamp(clock.now()),
      });
    const before = await db.sql.query<q.EventWindowRow>(
      page(anchorRow.session_created).text,
      page(anchorRow.session_created).params,
    );
    expect(before.rows.map((row) => JSON.parse(row.body).choices[0].message.content)).toEqual(['old answer']);

    // Between two pages: the session is deleted and created again, with new events after the anchor's place.
    await svc.deleteSession(key);
    clock.advance(1_000);
    const second = await svc.createSession(key);
    clock.advance(1_000);
    await svc.appendEvent(second, say('user', 'new question'));

    const after = page(anchorRow.session_created);
    expect((await db.sql.query<q.EventWindowRow>(after.text, after.params)).rows).toEqual([]);
  });
});
