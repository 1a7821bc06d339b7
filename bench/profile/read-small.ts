/**
 * Limit-20 reads only, to profile with `node --cpu-prof`: argv[3] selects the side, `ours`
 * (getSession through the service) or `raw` (our statement as a named statement on a plain
 * `pg.Pool`), so each side's profile holds nothing of the other's.
 */
import pg from 'pg';
import { type ReadRow, selectSession, unpackEvent } from '../../src/postgres/queries/read.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { openServer } from '../backends.js';
import { seededSession } from '../data.js';

const rounds = Number(process.argv[2] ?? 5000);
const side = process.argv[3] ?? 'ours';
const backend = await openServer(process.env.DATABASE_URL!);
try {
  const service = await backend.service('sync');
  const key = await seededSession(backend, 2000, 'read');
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  const read =
    side === 'ours'
      ? () => service.getSession(key, { eventNum: 20 })
      : () => {
          const q = selectSession(backend.tables, {
            key,
            now: toSqlTimestamp(new Date()),
            events: { kind: 'window', limit: 20 },
            tracks: { after: undefined, limit: null },
          });
          return pool
            .query({ name: 'ours', text: q.text, values: q.params as unknown[] })
            .then(({ rows }) => {
              if (side !== 'parse') return;
              for (const row of rows as ReadRow[])
                if (row.kind === null) JSON.parse(unpackEvent(row.body!).json);
                else if (row.kind === 's') JSON.parse(row.body!);
            });
        };
  for (let i = 0; i < 500; i++) await read();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await read();
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(
    `${side}: ${((wall / rounds) * 1000).toFixed(0)} µs wall, ${(used.user / rounds).toFixed(0)} µs user + ${(used.system / rounds).toFixed(0)} µs system CPU per read`,
  );
  await pool.end();
} finally {
  await backend.close();
}
