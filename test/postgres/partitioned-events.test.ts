/**
 * docs/scaling.md says `session_events` can be hash-partitioned by user_id (created by an operator
 * with skipDbInit, since a partitioned table's primary key must hold the partition key) and that
 * every statement of the service keeps working on it. This runs the service, sync and async,
 * against such a table and checks where the rows landed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schemaDdl, tableNames } from '../../src/postgres/schema/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import { describeServer, withServerSchema } from '../support/database.js';

const PARTITIONS = 4;

describeServer('session_events hash-partitioned by user_id', () => {
  let db: Awaited<ReturnType<typeof withServerSchema>>;

  beforeAll(async () => {
    db = await withServerSchema();
    const t = tableNames(db.schema, '');
    const events = t.sessionEvents.qualified;
    for (const statement of schemaDdl(t)) {
      if (!statement.startsWith(`CREATE TABLE IF NOT EXISTS ${events} `)) {
        await db.client.query(statement);
        continue;
      }
      // Go's columns, with the primary key widened to hold the partition key.
      await db.client.query(
        statement
          .replace('id BIGSERIAL PRIMARY KEY,', 'id BIGSERIAL,')
          .replace(/\n\)$/, ',\n  PRIMARY KEY (user_id, id)\n) PARTITION BY HASH (user_id)'),
      );
      for (let r = 0; r < PARTITIONS; r++) {
        await db.client.query(
          `CREATE TABLE "${db.schema}"."session_events_p${r}" PARTITION OF ${events} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${r})`,
        );
      }
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  for (const asyncPersist of [false, true]) {
    it(`serves appends, reads, lists, deletes and sweeps (${asyncPersist ? 'async' : 'sync'})`, async () => {
      const service = await PostgresSessionService.create({
        pool: db.pool,
        schema: db.schema,
        skipDbInit: true,
        asyncPersist,
      });
      try {
        const users = Array.from({ length: 8 }, (_, i) => `${asyncPersist ? 'a' : 's'}-user-${i}`);
        for (const userId of users) {
          const session = await service.createSession({ appName: 'app', userId, sessionId: 'chat' });
          for (let n = 0; n < 5; n++) {
            await service.appendEvent(
              session,
              createEvent({
                author: n % 2 ? 'assistant' : 'user',
                message: { role: n % 2 ? 'assistant' : 'user', content: `${userId} #${n}` },
                stateDelta: stateOf({ turn: String(n) }),
              }),
            );
          }
        }
        await service.flush();
        for (const userId of users) {
          const read = await service.getSession(
            { appName: 'app', userId, sessionId: 'chat' },
            { eventNum: 3 },
          );
          expect(read?.events.map((e) => e.choices?.[0]?.message.content)).toEqual([
            `${userId} #2`,
            `${userId} #3`,
            `${userId} #4`,
          ]);
          const listed = await service.listSessions({ appName: 'app', userId }, { eventNum: 1 });
          expect(listed.map((s) => s.events.length)).toEqual([1]);
        }
        // The rows are spread over the partitions, each user's in one.
        const { rows } = await db.client.query<{ part: string; users: number }>(
          `SELECT tableoid::regclass::text AS part, count(DISTINCT user_id)::int AS users
           FROM "${db.schema}".session_events WHERE user_id = ANY($1) GROUP BY 1`,
          [users],
        );
        expect(rows.length).toBeGreaterThan(1);
        expect(rows.reduce((n, r) => n + r.users, 0)).toBe(users.length);

        await service.deleteSession({ appName: 'app', userId: users[0]!, sessionId: 'chat' });
        await service.flush();
        const live = await db.client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${db.schema}".session_events WHERE user_id = $1 AND deleted_at IS NULL`,
          [users[0]],
        );
        expect(live.rows[0]!.n).toBe(0);
      } finally {
        await service.close();
      }
    });
  }
});
