import { describe, expect, it } from 'vitest';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import {
  isStatementName,
  MAX_NAMED_STATEMENTS,
  StatementNames,
  statementName,
} from '../../src/sql/statement-names.js';
import { describeServer, serverUrl, withServerSchema } from '../support/database.js';
import { PREPARED, preparedStatementCases } from '../support/prepared-cases.js';

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

  it('runs a statement whose name the server connection already holds, as a pooler that hands over a used server connection leaves it', async () => {
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true });
    try {
      const text = 'SELECT $1::int + 1 AS already_prepared';
      // Prepared on the server connection by "another client" (SQL PREPARE), unknown to node-postgres.
      await pool.query(`PREPARE ${statementName(text)}(int) AS SELECT $1::int + 1 AS already_prepared`);
      for (const n of [1, 2])
        expect((await client.query<{ already_prepared: number }>(text, [n])).rows[0]!.already_prepared).toBe(
          n + 1,
        );
      // Inside a transaction the failure is the transaction's (PostgreSQL aborted it), as for 26000.
      const again = 'SELECT $1::int + 2 AS already_prepared_tx';
      await pool.query(`PREPARE ${statementName(again)}(int) AS SELECT $1::int + 2 AS already_prepared_tx`);
      const error = await client
        .transaction((tx) => tx.query(again, [1]))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as { code?: string }).code).toBe('42P05');
    } finally {
      await client.close();
    }
  });

  preparedStatementCases({
    client: async (options) =>
      pgClient(createPgPool({ connectionString: serverUrl, max: 1 }), { owned: true, ...options }),
    async service(preparedStatements) {
      const s = await withServerSchema();
      // One connection, so the statements the service prepared are those pg_prepared_statements lists.
      const pool = createPgPool({ connectionString: serverUrl, max: 1 });
      return {
        options: { pool, schema: s.schema, preparedStatements },
        preparedNames: async () => (await pool.query<{ name: string }>(PREPARED)).rows.map((r) => r.name),
        async close() {
          await pool.end();
          await s.drop();
        },
      };
    },
  });
});
