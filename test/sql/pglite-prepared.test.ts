import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/sql/client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { statementName } from '../../src/sql/statement-names.js';
import { preparedNames, preparedStatementCases } from '../support/prepared-cases.js';

describe('prepared statements on the PGlite adapter', () => {
  let db: PGlite;
  let client: SqlClient;

  beforeAll(async () => {
    db = await PGlite.create('memory://');
    client = await pgliteClient(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('prepares a statement with parameters once and reuses it, with rows as an unnamed query gives them', async () => {
    const text =
      'SELECT $1::int * 2 AS doubled, $2::text AS echoed, now()::timestamp AS at, $3::jsonb AS doc';
    for (const n of [1, 2, 3]) {
      const { rows, rowCount } = await client.query<{
        doubled: number;
        echoed: string;
        at: Date;
        doc: string;
      }>(text, [n, `x${n}`, '{"a": 1}']);
      expect(rowCount).toBe(1);
      expect(rows[0]!.doubled).toBe(2 * n);
      expect(rows[0]!.echoed).toBe(`x${n}`);
      expect(rows[0]!.at).toBeInstanceOf(Date);
      // JSONB stays text, as the SqlClient contract says.
      expect(rows[0]!.doc).toBe('{"a": 1}');
    }
    expect(await preparedNames(client)).toContain(statementName(text));
    // Without parameters a query runs unnamed.
    const before = (await preparedNames(client)).length;
    await client.query('SELECT 1 AS parameterless');
    expect(await preparedNames(client)).toHaveLength(before);
  });

  it('passes null, arrays and bytes as parameters', async () => {
    const { rows } = await client.query<{ a: string | null; n: number; b: string }>(
      'SELECT $1::text AS a, cardinality($2::text[]) AS n, encode($3::bytea, $4) AS b',
      [null, ['x', 'y,z', 'with "quotes"'], new Uint8Array([0, 255, 10]), 'hex'],
    );
    expect(rows[0]).toEqual({ a: null, n: 3, b: '00ff0a' });
  });

  it('reports a bad parameter value and keeps the statement usable', async () => {
    const text = 'SELECT $1::int + 1 AS next';
    expect((await client.query<{ next: number }>(text, ['1'])).rows[0]!.next).toBe(2);
    await expect(client.query(text, ['not a number'])).rejects.toMatchObject({ code: '22P02' });
    expect((await client.query<{ next: number }>(text, ['41'])).rows[0]!.next).toBe(42);
  });

  it('reports a statement that does not parse and runs a correct one afterwards', async () => {
    await expect(client.query('SELEC $1::int', [1])).rejects.toMatchObject({ code: '42601' });
    expect((await client.query<{ one: number }>('SELECT $1::int AS one', [1])).rows[0]!.one).toBe(1);
  });

  it('keeps a statement issued outside a running transaction out of it', async () => {
    await client.query('CREATE TABLE IF NOT EXISTS prepared_tx (v int)');
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = client.transaction(async (t) => {
      await t.query('INSERT INTO prepared_tx (v) VALUES ($1)', [1]);
      await held;
      throw new Error('roll back');
    });
    // Issued while the transaction is open: it must wait, and not be rolled back with it.
    const outside = client.query('INSERT INTO prepared_tx (v) VALUES ($1)', [2]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await expect(tx).rejects.toThrow('roll back');
    await outside;
    const { rows } = await client.query<{ v: number }>('SELECT v FROM prepared_tx ORDER BY v');
    expect(rows.map((r) => r.v)).toEqual([2]);
  });

  preparedStatementCases({
    // A client on the suite's PGlite (close() leaves it open), or a fresh one: a new PGlite costs
    // seconds, and only the unnamed case needs a connection nothing was prepared on.
    client: (options) =>
      options?.preparedStatements === false ? pgliteClient(undefined, options) : pgliteClient(db, options),
    async service(preparedStatements) {
      const client = await pgliteClient(undefined, { preparedStatements });
      return { options: { client }, preparedNames: () => preparedNames(client), close: () => client.close() };
    },
  });
});
