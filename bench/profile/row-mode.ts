/**
 * The read statement of getSession (limit 1,000, or argv[2]) sent as a named statement on a plain
 * pg.Pool, its rows built as objects (the default) and as arrays (rowMode 'array'), alternated:
 * whether building a row object per union row is a cost worth avoiding.
 */
import pg from 'pg';
import { selectSession } from '../../src/postgres/queries/read.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { openServer } from '../backends.js';
import { seededSession } from '../data.js';
import { median, timed } from '../measure.js';

const limit = Number(process.argv[2] ?? 1000);
const n = Number(process.argv[3] ?? 400);
const backend = await openServer(process.env.DATABASE_URL!);
const key = await seededSession(backend, 2000, 'read');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
const q = selectSession(backend.tables, {
  key,
  now: toSqlTimestamp(new Date()),
  events: { kind: 'window', limit },
  tracks: { after: undefined, limit: null },
});
const run = (rowMode: 'array' | undefined) =>
  pool.query({ name: 'ours', text: q.text, values: q.params as unknown[], ...(rowMode ? { rowMode } : {}) });
const t: Record<string, number[]> = { object: [], array: [] };
for (let i = 0; i < 50; i++) {
  await run(undefined);
  await run('array');
}
for (let i = 0; i < n; i++) {
  t.object!.push(await timed(() => run(undefined)));
  t.array!.push(await timed(() => run('array')));
}
console.log(
  `limit ${limit} p50: object rows ${median(t.object!).toFixed(3)} ms, array rows ${median(t.array!).toFixed(3)} ms`,
);
await pool.end();
await backend.close();
