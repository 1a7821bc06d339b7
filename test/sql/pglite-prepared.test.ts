import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import { textValue } from '../../src/session/state.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { isStatementName, statementName } from '../../src/sql/statement-names.js';

/** The prepared statements of the (single) PGlite connection. */
const PREPARED = 'SELECT name FROM pg_prepared_statements ORDER BY name';

async function preparedNames(client: SqlClient): Promise<string[]> {
  return (await client.query<{ name: string }>(PREPARED)).rows.map((r) => r.name);
}

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

  it('prepares a statement again when something dropped it (DEALLOCATE ALL) outside a transaction', async () => {
    const text = 'SELECT $1::text AS dropped_then_echoed';
    expect(
      (await client.query<{ dropped_then_echoed: string }>(text, ['a'])).rows[0]!.dropped_then_echoed,
    ).toBe('a');
    await client.query('DEALLOCATE ALL');
    expect(
      (await client.query<{ dropped_then_echoed: string }>(text, ['b'])).rows[0]!.dropped_then_echoed,
    ).toBe('b');
    expect(await preparedNames(client)).toContain(statementName(text));
  });

  it('fails a transaction whose statement was dropped, and prepares it again in the next', async () => {
    const text = 'SELECT $1::int + 100 AS shifted';
    await client.transaction((tx) => tx.query(text, [1]));
    const error = await client
      .transaction(async (tx) => {
        await tx.query('DEALLOCATE ALL');
        await tx.query(text, [2]);
      })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('26000');
    const { rows } = await client.transaction((tx) => tx.query<{ shifted: number }>(text, [3]));
    expect(rows[0]!.shifted).toBe(103);
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

  it('runs every statement unnamed with preparedStatements: false', async () => {
    const own = await PGlite.create('memory://');
    try {
      const unnamed = await pgliteClient(own, { preparedStatements: false });
      await unnamed.query('SELECT $1::int AS unnamed_one', [1]);
      await unnamed.transaction((tx) => tx.query('SELECT $1::int AS unnamed_two', [2]));
      expect(await preparedNames(unnamed)).toEqual([]);
    } finally {
      await own.close();
    }
  }, 60_000);

  it('serves a session service alike with and without prepared statements', async () => {
    for (const preparedStatements of [true, false]) {
      const own = await PGlite.create('memory://');
      const svc = await PostgresSessionService.create({
        client: await pgliteClient(own, { preparedStatements }),
      });
      try {
        const key = { appName: 'app', userId: 'u', sessionId: 's' };
        const session = await svc.createSession(key, { k: textValue('v') });
        await svc.appendEvent(
          session,
          createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }),
        );
        const read = await svc.getSession(key);
        expect(read?.events.map((e) => e.choices?.[0]?.message.content)).toEqual(['hi']);
        expect((await svc.listSessions(key, { onlyMeta: true })).map((x) => x.id)).toEqual(['s']);
        const names = (await own.query<{ name: string }>(PREPARED)).rows.map((r) => r.name);
        if (preparedStatements) {
          expect(names.length).toBeGreaterThanOrEqual(3);
          expect(names.every(isStatementName)).toBe(true);
        } else {
          expect(names).toEqual([]);
        }
      } finally {
        await svc.close();
        await own.close();
      }
    }
  }, 120_000);
});
