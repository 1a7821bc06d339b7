import { describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import { textValue } from '../../src/session/state.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import {
  isStatementName,
  MAX_NAMED_STATEMENTS,
  StatementNames,
  statementName,
} from '../../src/sql/statement-names.js';
import { describeServer, serverUrl, withServerSchema } from '../support/database.js';

describe('statement names', () => {
  it('gives one text one name, the same on every call, and another text another', () => {
    const a = statementName('SELECT $1::int AS statement_names_a');
    const b = statementName('SELECT $1::int AS statement_names_b');
    expect(a).toMatch(/^agent_sessions_[0-9a-f]{32}$/);
    expect(statementName('SELECT $1::int AS statement_names_a')).toBe(a);
    expect(b).not.toBe(a);
    expect(isStatementName(a!)).toBe(true);
    expect(isStatementName('s1')).toBe(false);
  });

  it('names at most its bound of texts and keeps the names it gave', () => {
    const names = new StatementNames(3);
    const given = ['a', 'b', 'c', 'd', 'e'].map((x) => names.nameOf(`SELECT $1::text AS ${x}`));
    expect(given.slice(0, 3).every((n) => n !== undefined)).toBe(true);
    expect(given.slice(3)).toEqual([undefined, undefined]);
    expect(names.nameOf('SELECT $1::text AS b')).toBe(given[1]);
    expect(new StatementNames().max).toBe(MAX_NAMED_STATEMENTS);
  });
});

/** The names of the prepared statements of the connection the callback runs on. */
const PREPARED = 'SELECT name FROM pg_prepared_statements ORDER BY name';

describeServer('prepared statements on the pg adapter', () => {
  it('prepares a statement with parameters once per connection and reuses it', async () => {
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true });
    try {
      const text = 'SELECT $1::int * 2 AS doubled';
      for (const n of [1, 2, 3])
        expect((await client.query<{ doubled: number }>(text, [n])).rows[0]!.doubled).toBe(2 * n);
      const names = (await client.query<{ name: string }>(PREPARED)).rows.map((r) => r.name);
      expect(names).toEqual([statementName(text)]);
      // A statement without parameters may be several statements; it runs unnamed.
      await client.query('SELECT 1; SELECT 2');
      expect((await client.query<{ name: string }>(PREPARED)).rows).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('runs every statement unnamed with preparedStatements: false', async () => {
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true, preparedStatements: false });
    try {
      await client.query('SELECT $1::int AS unnamed_one', [1]);
      await client.transaction((tx) => tx.query('SELECT $1::int AS unnamed_two', [2]));
      expect((await client.query(PREPARED)).rows).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('runs a statement again when something dropped it on the server (DEALLOCATE ALL)', async () => {
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true });
    try {
      const text = 'SELECT $1::text AS echoed';
      expect((await client.query<{ echoed: string }>(text, ['a'])).rows[0]!.echoed).toBe('a');
      // node-postgres still counts the statement as prepared on this connection.
      await client.query('DEALLOCATE ALL');
      expect((await client.query<{ echoed: string }>(text, ['b'])).rows[0]!.echoed).toBe('b');
      expect((await client.query<{ echoed: string }>(text, ['c'])).rows[0]!.echoed).toBe('c');
    } finally {
      await client.close();
    }
  });

  it('fails a transaction whose statement was dropped, and prepares it again in the next', async () => {
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true });
    try {
      const text = 'SELECT $1::int + 1 AS next';
      await client.transaction((tx) => tx.query(text, [1]));
      const error = await client
        .transaction(async (tx) => {
          await tx.query('DEALLOCATE ALL');
          await tx.query(text, [2]);
        })
        .catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('26000');
      const { rows } = await client.transaction((tx) => tx.query<{ next: number }>(text, [3]));
      expect(rows[0]!.next).toBe(4);
    } finally {
      await client.close();
    }
  });

  it('serves a session service alike with and without prepared statements', async () => {
    const s = await withServerSchema();
    try {
      for (const preparedStatements of [true, false]) {
        // One connection, so the statements the service prepared are those pg_prepared_statements lists.
        const pool = createPgPool({ connectionString: serverUrl, max: 1 });
        const svc = await PostgresSessionService.create({ pool, schema: s.schema, preparedStatements });
        try {
          const key = { appName: 'app', userId: `u-${preparedStatements}`, sessionId: 's' };
          const session = await svc.createSession(key, { k: textValue('v') });
          await svc.appendEvent(
            session,
            createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }),
          );
          const read = await svc.getSession(key);
          expect(read?.events.map((e) => e.choices?.[0]?.message.content)).toEqual(['hi']);
          const listed = await svc.listSessions(key, { onlyMeta: true });
          expect(listed.map((x) => x.id)).toEqual([key.sessionId]);
          const names = (await pool.query<{ name: string }>(PREPARED)).rows.map((r) => r.name);
          if (preparedStatements) {
            expect(names.length).toBeGreaterThanOrEqual(3);
            expect(names.every(isStatementName)).toBe(true);
          } else {
            expect(names).toEqual([]);
          }
        } finally {
          await svc.close();
          await pool.end();
        }
      }
    } finally {
      await s.drop();
    }
  });
});
