/**
 * listSessions returns a user's sessions in the database's order (updated_at DESC, session_id
 * DESC, session ids compared by the database's collation, which JavaScript cannot reproduce):
 * metadata only or with events, whole or a page of it. Generated session ids (case, digits,
 * punctuation, accents) on generated update times with many ties are listed and compared with
 * the order the database itself gives the same rows.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const RUNS: Readonly<Record<string, number>> = { PGlite: 25, 'server PostgreSQL': 25 };

/** Ids whose order differs between byte order and a linguistic collation. */
const id = fc
  .array(fc.constantFrom('a', 'B', 'b', 'A', '1', '10', '2', '-', '_', ' ', 'é', 'e', 'Z', '.'), {
    minLength: 1,
    maxLength: 6,
  })
  .map((chars) => chars.join(''));

describe.each(testDatabases)('listSessions order on %s', (name, open) => {
  let db: TestDatabase;
  let svc: PostgresSessionService;
  let n = 0;
  beforeAll(async () => {
    db = await open();
    svc = await PostgresSessionService.create({ ...db.connect });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.close();
  });

  it('is the database order of (updated_at DESC, session_id DESC), paged or not', async () => {
    const table = db.schema ? `"${db.schema}".session_states` : 'session_states';
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(id, fc.nat(3)), { selector: ([sid]) => sid, minLength: 1, maxLength: 12 }),
        fc.nat(12),
        fc.integer({ min: 1, max: 12 }),
        async (sessions, offset, limit) => {
          const user = { appName: 'list-order', userId: `u${++n}` };
          for (const [sessionId] of sessions) await svc.createSession({ ...user, sessionId });
          // A few distinct update times, so most sessions tie on updated_at.
          for (const [sessionId, minute] of sessions) {
            await db.sql.query(
              `UPDATE ${table} SET updated_at = timestamp '2026-01-02 03:00:00' + $4 * interval '1 minute',
                 state = state - 'updatedAt'
               WHERE app_name = $1 AND user_id = $2 AND session_id = $3`,
              [user.appName, user.userId, sessionId, minute],
            );
          }
          const { rows } = await db.sql.query<{ session_id: string }>(
            `SELECT session_id FROM ${table} WHERE app_name = $1 AND user_id = $2
             ORDER BY updated_at DESC, session_id DESC`,
            [user.appName, user.userId],
          );
          const expected = rows.map((r) => r.session_id);
          for (const onlyMeta of [true, false]) {
            const all = await svc.listSessions(user, { onlyMeta });
            expect(all.map((s) => s.id)).toEqual(expected);
            const page = await svc.listSessions(user, { onlyMeta, page: { offset, limit } });
            expect(page.map((s) => s.id)).toEqual(expected.slice(offset, offset + limit));
          }
        },
      ),
      { numRuns: RUNS[name] ?? 20 },
    );
  });
});
