/**
 * getSession of the newest 20 (or argv[4]) events of a 2,000-event session, interleaved with the
 * floor and with our own statement run raw on the floor's connection: the p50s say how much of
 * the distance is the statement and how much is ours in JavaScript.
 */
import pg from 'pg';
import { selectSession } from '../../src/postgres/queries/read.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { openPglite, openServer } from '../backends.js';
import { seededSession } from '../data.js';
import { floorRead } from '../floor.js';
import { median, timed } from '../measure.js';

const which = process.argv[2] ?? 'server';
const rounds = Number(process.argv[3] ?? 300);
const limit = Number(process.argv[4] ?? 20);
const backend = which === 'server' ? await openServer(process.env.DATABASE_URL!) : await openPglite();
try {
  const service = await backend.service('sync');
  const key = await seededSession(backend, 2000, 'read');
  const named =
    which === 'server' ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 }) : undefined;
  const t = { ours: [] as number[], floor: [] as number[], raw: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    t.ours.push(await timed(() => service.getSession(key, { eventNum: limit })));
    t.floor.push(await timed(() => floorRead(backend.floor, backend.tables, key, limit)));
    const q = selectSession(backend.tables, {
      key,
      now: toSqlTimestamp(new Date()),
      events: { kind: 'window', limit },
      tracks: { after: undefined, limit: null },
    });
    t.raw.push(
      await timed(() =>
        named
          ? named.query({ name: 'ours', text: q.text, values: q.params as unknown[] })
          : backend.floor.query(q.text, q.params as unknown[]),
      ),
    );
  }
  const [o, f, r] = [median(t.ours), median(t.floor), median(t.raw)];
  console.log(
    `${which} limit ${limit} p50: ours ${o.toFixed(3)} ms, floor ${f.toFixed(3)} ms (${(o / f).toFixed(2)}x), our statement raw ${r.toFixed(3)} ms (${(r / f).toFixed(2)}x)`,
  );
  await named?.end();
} finally {
  await backend.close();
}
