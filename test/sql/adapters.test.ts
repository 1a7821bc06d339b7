import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreciseDate, subMillisecondNanos, toSqlTimestamp } from '../../src/session/time.js';
import type { SqlClient } from '../../src/sql/client.js';
import { isConnectionError, isUniqueViolation, sqlState } from '../../src/sql/errors.js';
import { JsonArrayParam } from '../../src/sql/json-array.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { describeServer, newPglite, serverUrl, withServerSchema } from '../support/database.js';

interface Fixture {
  client: SqlClient;
  done(): Promise<void>;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The result contract of client.ts, identical for every adapter. */
function resultContract(name: string, open: () => Promise<Fixture>) {
  describe(`${name}: result contract`, () => {
    let fx: Fixture;
    let db: SqlClient;
    beforeAll(async () => {
      fx = await open();
      db = fx.client;
      await db.query(`CREATE TABLE rc (
        id BIGSERIAL PRIMARY KEY, k VARCHAR(255) UNIQUE, doc JSONB, raw JSON, at TIMESTAMP, tz TIMESTAMPTZ,
        n BIGINT, bytes BYTEA)`);
    });
    afterAll(() => fx.done());

    it('runs in a process whose time zone is not UTC (so the timestamp tests mean something)', () => {
      expect(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset()).not.toBe(0);
    });

    it('returns TIMESTAMP columns as Dates read as UTC wall-clock, keeping microseconds', async () => {
      const at = new PreciseDate(Date.UTC(2026, 2, 4, 5, 6, 7, 891), 234_000);
      await db.query('INSERT INTO rc (k, at) VALUES ($1, $2)', ['ts', toSqlTimestamp(at)]);
      const { rows } = await db.query<{ at: Date; text: string }>(
        "SELECT at, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') AS text FROM rc WHERE k = $1",
        ['ts'],
      );
      expect(rows[0]!.text).toBe('2026-03-04 05:06:07.891234');
      expect(rows[0]!.at).toBeInstanceOf(Date);
      expect(rows[0]!.at.toISOString()).toBe('2026-03-04T05:06:07.891Z');
      expect(subMillisecondNanos(rows[0]!.at)).toBe(234_000);
    });

    it('returns a whole-millisecond TIMESTAMP as a plain Date', async () => {
      const { rows } = await db.query<{ at: Date }>("SELECT '2026-01-02 03:04:05'::timestamp AS at");
      expect(rows[0]!.at.getTime()).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
      expect(subMillisecondNanos(rows[0]!.at)).toBe(0);
    });

    it('returns TIMESTAMPTZ as the same instant', async () => {
      const { rows } = await db.query<{ tz: Date }>("SELECT '2026-01-02 03:04:05.5+08'::timestamptz AS tz");
      expect(rows[0]!.tz.toISOString()).toBe('2026-01-01T19:04:05.500Z');
    });

    it('returns JSONB and JSON as their text, unparsed', async () => {
      await db.query('INSERT INTO rc (k, doc, raw) VALUES ($1, $2, $3)', [
        'json',
        '{"b":1,"a":"x"}',
        '{"b":1,  "a":"x"}',
      ]);
      const { rows } = await db.query<{ doc: unknown; raw: unknown; missing: unknown }>(
        "SELECT doc, raw, NULL::jsonb AS missing FROM rc WHERE k = 'json'",
      );
      expect(rows[0]).toEqual({ doc: '{"a": "x", "b": 1}', raw: '{"b":1,  "a":"x"}', missing: null });
    });

    it('returns BIGINT (and BIGSERIAL ids) as strings, beyond 2^53 exactly', async () => {
      const { rows } = await db.query<{ id: unknown; n: unknown }>(
        'INSERT INTO rc (k, n) VALUES ($1, $2) RETURNING id, n',
        ['big', '9007199254740993'],
      );
      expect(typeof rows[0]!.id).toBe('string');
      expect(rows[0]!.n).toBe('9007199254740993');
    });

    it('passes and returns bytea as bytes', async () => {
      await db.query('INSERT INTO rc (k, bytes) VALUES ($1, $2)', ['bytes', new Uint8Array([0, 255, 10])]);
      const { rows } = await db.query<{ bytes: Uint8Array }>("SELECT bytes FROM rc WHERE k = 'bytes'");
      expect(rows[0]!.bytes).toBeInstanceOf(Uint8Array);
      expect([...rows[0]!.bytes]).toEqual([0, 255, 10]);
    });

    it('passes a JsonArrayParam as the jsonb array of its texts, as its joined text would be', async () => {
      const texts = [
        '{"a":1,"b":[true,null]}',
        '"h\u00e9llo \\"quoted\\" \\\\ \\u003c\\u2028"',
        '"日本語 👋 é"',
        '12345678901234567890.5e-3',
        '{}',
      ];
      const read = async (param: unknown) =>
        (await db.query<{ doc: string }>('SELECT $1::jsonb AS doc', [param])).rows[0]!.doc;
      for (const list of [texts, texts.slice(0, 1), []]) {
        const param = new JsonArrayParam(list);
        expect(await read(param)).toBe(await read(param.text()));
      }
      expect(JSON.parse(await read(new JsonArrayParam(texts)))[2]).toBe('日本語 👋 é');
      await db.transaction((tx) =>
        tx.query('INSERT INTO rc (k, doc) VALUES ($1, $2)', ['arr', new JsonArrayParam(texts)]),
      );
      const { rows } = await db.query<{ n: number }>(
        "SELECT jsonb_array_length(doc) AS n FROM rc WHERE k = 'arr'",
      );
      expect(rows[0]!.n).toBe(texts.length);
    });

    it('reads generated JsonArrayParams as their joined text, and refuses the same texts alike', async () => {
      const jsonText = fc.oneof(
        fc.jsonValue().map((value) => JSON.stringify(value)),
        fc.string({ unit: 'binary' }).map((text) => JSON.stringify(text)),
      );
      const outcome = (param: unknown) =>
        db.query<{ doc: string }>('SELECT $1::jsonb AS doc', [param]).then(
          ({ rows }) => ({ doc: rows[0]!.doc }),
          (error: unknown) => ({ sqlState: sqlState(error) }),
        );
      await fc.assert(
        fc.asyncProperty(fc.array(jsonText, { maxLength: 6 }), async (texts) => {
          const param = new JsonArrayParam(texts);
          expect(await outcome(param)).toEqual(await outcome(param.text()));
        }),
        { numRuns: 150 },
      );
    });

    it('counts changed rows and returned rows', async () => {
      await db.query("INSERT INTO rc (k) VALUES ('c1'), ('c2'), ('c3')");
      const updated = await db.query("UPDATE rc SET n = 1 WHERE k LIKE 'c%'");
      expect(updated.rowCount).toBe(3);
      const selected = await db.query("SELECT k FROM rc WHERE k LIKE 'c%'");
      expect(selected.rowCount).toBe(3);
      const none = await db.query("DELETE FROM rc WHERE k = 'nothing'");
      expect(none.rowCount).toBe(0);
    });

    it("reports PostgreSQL's SQLSTATE in code", async () => {
      await db.query("INSERT INTO rc (k) VALUES ('dup')");
      const error = await db.query("INSERT INTO rc (k) VALUES ('dup')").catch((e: unknown) => e);
      expect(sqlState(error)).toBe('23505');
      expect(isUniqueViolation(error)).toBe(true);
      expect(isUniqueViolation(error, 'rc_k_key')).toBe(true);
      expect(isUniqueViolation(error, 'other')).toBe(false);
    });

    it('commits a transaction whose function resolves', async () => {
      const value = await db.transaction(async (tx) => {
        await tx.query("INSERT INTO rc (k) VALUES ('tx-commit')");
        return 42;
      });
      expect(value).toBe(42);
      expect((await db.query("SELECT 1 FROM rc WHERE k = 'tx-commit'")).rowCount).toBe(1);
    });

    it('rolls back a transaction whose function throws, and rethrows', async () => {
      const boom = new Error('boom');
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO rc (k) VALUES ('tx-throw')");
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect((await db.query("SELECT 1 FROM rc WHERE k = 'tx-throw'")).rowCount).toBe(0);
    });

    it('rolls back a transaction whose statement fails', async () => {
      const error = await db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO rc (k) VALUES ('tx-fail')");
          await tx.query("INSERT INTO rc (k) VALUES ('tx-fail')");
        })
        .catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect((await db.query("SELECT 1 FROM rc WHERE k = 'tx-fail'")).rowCount).toBe(0);
    });

    it('refuses statements on a transaction executor after the transaction ended', async () => {
      let leaked: { query: SqlClient['query'] } | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.query('SELECT 1')).rejects.toThrow();
    });

    it('runs withConnection on one connection, so session state carries across statements', async () => {
      const shown = await db.withConnection(async (conn) => {
        await conn.query("SET application_name = 'with-connection-test'");
        const { rows } = await conn.query<{ name: string }>('SELECT current_setting($1) AS name', [
          'application_name',
        ]);
        await conn.query('RESET application_name');
        return rows[0]!.name;
      });
      expect(shown).toBe('with-connection-test');
    });

    it('keeps the session-level advisory lock for the whole of withConnection', async () => {
      const held = await db.withConnection(async (conn) => {
        const got = await conn.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(4242) AS ok');
        const mine = await conn.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
        );
        await conn.query('SELECT pg_advisory_unlock(4242)');
        return { got: got.rows[0]!.ok, count: mine.rows[0]!.n };
      });
      expect(held).toEqual({ got: true, count: 1 });
    });
  });
}

resultContract('PGlite', async () => {
  const { client, close } = await newPglite();
  return { client, done: close };
});

if (serverUrl) {
  resultContract('pg', async () => {
    const s = await withServerSchema();
    return { client: s.client, done: s.drop };
  });
}

describe('PGlite adapter', () => {
  it('makes a query issued during a transaction wait for it instead of joining it', async () => {
    const { client, close } = await newPglite();
    try {
      await client.query('CREATE TABLE q (v INT)');
      const inside = deferred();
      const release = deferred();
      const order: string[] = [];
      const tx = client.transaction(async (t) => {
        await t.query('INSERT INTO q VALUES (1)');
        inside.resolve();
        await release.promise;
        await t.query('INSERT INTO q VALUES (2)');
        order.push('commit');
        throw new Error('roll it back');
      });
      await inside.promise;
      const outside = client.query<{ n: number }>('SELECT count(*)::int AS n FROM q').then((r) => {
        order.push('outside');
        return r.rows[0]!.n;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(order).toEqual([]);
      release.resolve();
      await expect(tx).rejects.toThrow('roll it back');
      // It ran after the rollback, so it saw neither uncommitted row.
      expect(await outside).toBe(0);
      expect(order).toEqual(['commit', 'outside']);
    } finally {
      await close();
    }
  });

  it('leaves an instance it was given open on close(), with its own parsers', async () => {
    const db = await PGlite.create();
    const client = await pgliteClient(db);
    expect((await client.query<{ doc: unknown }>(`SELECT '{"a":1}'::jsonb AS doc`)).rows[0]!.doc).toBe(
      '{"a": 1}',
    );
    await client.close();
    expect(db.closed).toBe(false);
    const { rows } = await db.query<{ doc: unknown }>(`SELECT '{"a":1}'::jsonb AS doc`);
    expect(rows[0]!.doc).toEqual({ a: 1 });
    await db.close();
  });

  it('closes an instance it created, and close() can be called twice', async () => {
    const client = await pgliteClient('memory://');
    await client.close();
    await client.close();
    await expect(client.query('SELECT 1')).rejects.toThrow();
  });

  it('persists in a data directory across reopening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agent-sessions-pglite-'));
    try {
      const first = await pgliteClient(dir);
      await first.query('CREATE TABLE kept (v TEXT)');
      await first.query("INSERT INTO kept VALUES ('still here')");
      await first.close();
      const second = await pgliteClient(dir);
      expect((await second.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000); // two initdb runs; slow on a busy machine
});

describeServer('pg adapter', () => {
  it("does not change pg's global type parsers or the caller's pool", async () => {
    const before = pg.types.getTypeParser(3802, 'text');
    const s = await withServerSchema();
    try {
      const ours = await s.client.query<{ doc: unknown }>(`SELECT '{"a":1}'::jsonb AS doc`);
      expect(ours.rows[0]!.doc).toBe('{"a": 1}');
      const theirs = await s.pool.query(`SELECT '{"a":1}'::jsonb AS doc, 5::bigint AS n`);
      expect(theirs.rows[0]).toEqual({ doc: { a: 1 }, n: '5' });
      expect(pg.types.getTypeParser(3802, 'text')).toBe(before);
    } finally {
      await s.drop();
    }
  });

  it('does not end a pool it does not own', async () => {
    const s = await withServerSchema();
    try {
      const client = pgClient(s.pool, { owned: false });
      await client.close();
      expect((await s.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await s.drop();
    }
  });

  it('ends a pool it owns, once, however often close() is called', async () => {
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true });
    await client.query('SELECT 1');
    await Promise.all([client.close(), client.close()]);
    expect(pool.ended).toBe(true);
  });

  it('discards a connection that broke during a transaction instead of pooling it', async () => {
    const s = await withServerSchema();
    const pool = createPgPool({ connectionString: serverUrl, max: 1 });
    const client = pgClient(pool, { owned: true });
    try {
      const error = await client
        .transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await s.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await tx.query('SELECT 1');
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      // The only connection was dropped; the next statement gets a fresh, working one.
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0]!.one).toBe(1);
    } finally {
      await client.close();
      await s.drop();
    }
  });

  it('fails a statement not answered within readTimeoutMs and discards its connection', async () => {
    const s = await withServerSchema();
    const appName = `read-bound-${process.pid}-${Date.now()}`;
    const pool = createPgPool({ connectionString: serverUrl, max: 1, application_name: appName });
    const client = pgClient(pool, { owned: true, readTimeoutMs: 300 });
    try {
      const pid = async () =>
        (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const first = await pid();
      // pg_sleep(60) would outlast the test's own timeout: only the read bound can end it.
      const error = await client.query('SELECT pg_sleep(60)').catch((e: unknown) => e);
      expect((error as Error).message).toBe('Query read timeout');
      expect(isConnectionError(error)).toBe(true);
      // The connection whose statement may still be running is not reused.
      const second = await pid();
      expect(second).not.toBe(first);
      // The same bound holds inside a transaction, for its statements and its own BEGIN/COMMIT.
      const inTx = await client
        .transaction(async (tx) => tx.query('SELECT pg_sleep(60)'))
        .catch((e: unknown) => e);
      expect((inTx as Error).message).toBe('Query read timeout');
      expect(await pid()).not.toBe(second);
      // A statement answered in time is untouched by the bound.
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await client.close();
      // The sleeps of the discarded connections run on until cancelled.
      await s.pool.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        appName,
      ]);
      await s.drop();
    }
  });

  it('reports an idle connection that dies through onError instead of crashing', async () => {
    const s = await withServerSchema();
    const errors: Error[] = [];
    const pool = createPgPool({ connectionString: serverUrl, max: 1 }, { onError: (e) => errors.push(e) });
    try {
      const { rows } = await pool.query('SELECT pg_backend_pid() AS pid');
      await s.pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors.length).toBeGreaterThan(0);
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await pool.end();
      await s.drop();
    }
  });
});
