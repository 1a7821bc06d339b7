/**
 * Our limit-20 read statement, run as a named statement on one plain `pg` connection, either on
 * one session again and again (`one`, as W3 reads) or rotating over sessions of 100, 1,000 and
 * 10,000 events (`rotate`, as W5 reads). Prints the time per read and how PostgreSQL planned
 * the statement (pg_prepared_statements: generic and custom plans so far).
 */
import pg from 'pg';
import { selectSession } from '../../src/postgres/queries/read.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { openServer } from '../backends.js';
import { seededSession } from '../data.js';

const rounds = Number(process.argv[2] ?? 3000);
const backend = await openServer(process.env.DATABASE_URL!);
try {
  const keys = [
    await seededSession(backend, 100, 'r100'),
    await seededSession(backend, 1000, 'r1000'),
    await seededSession(backend, 10000, 'r10000'),
  ];
  const one = await seededSession(backend, 5000, 'r5000');
  for (const mode of ['one', 'rotate', 'one', 'rotate']) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    const read = (i: number) => {
      const key = mode === 'one' ? one : keys[i % 3]!;
      const q = selectSession(backend.tables, {
        key,
        now: toSqlTimestamp(new Date()),
        events: { kind: 'window', limit: 20 },
        tracks: { after: undefined, limit: null },
      });
      return client.query({ name: 'ours', text: q.text, values: q.params as unknown[] });
    };
    for (let i = 0; i < 300; i++) await read(i);
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await read(i);
    const wall = performance.now() - started;
    const { rows } = await client.query(
      `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'ours'`,
    );
    console.log(
      `${mode}: ${((wall / rounds) * 1000).toFixed(0)} µs per read, plans ${JSON.stringify(rows[0])}`,
    );
    await client.end();
  }
} finally {
  await backend.close();
}
