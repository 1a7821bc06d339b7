/**
 * Sequential sync appends: ours, against the floor that also updates the session row, and our own
 * append statement run raw on a plain `pg` connection (named, as ours runs it), interleaved; the
 * p50s say how much of the distance is the statement and how much is ours in JavaScript.
 */
import pg from 'pg';
import { appendEvent } from '../../src/postgres/queries/events.js';
import { encodeEvent } from '../../src/session/codec/index.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../../src/session/time.js';
import { openServer } from '../backends.js';
import { freshKey, makeEvents } from '../data.js';
import { floorAppendWithSessionUpdate, floorCreateSession } from '../floor.js';
import { median, timed } from '../measure.js';

const count = Number(process.argv[2] ?? 2000);
const backend = await openServer(process.env.DATABASE_URL!);
const raw = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
try {
  const service = await backend.service('sync');
  const session = await service.createSession(freshKey('ratio'));
  const rawKey = freshKey('ratio-raw');
  await service.createSession(rawKey);
  const floorKey = freshKey('ratio-floor');
  await floorCreateSession(backend.floor, backend.tables, floorKey);
  const events = makeEvents(count);
  const bodies = makeEvents(count).map((e) => encodeEvent(e));
  const t = { ours: [] as number[], floor: [] as number[], raw: [] as number[] };
  for (let i = 0; i < count; i++) {
    t.ours.push(await timed(() => service.appendEvent(session, events[i]!)));
    t.floor.push(
      await timed(() => floorAppendWithSessionUpdate(backend.floor, backend.tables, floorKey, bodies[i]!)),
    );
    const now = new Date();
    const q = appendEvent(backend.tables, {
      key: rawKey,
      delta: '{}',
      event: bodies[i]!,
      now: toSqlTimestamp(now),
      updatedAtJson: formatRfc3339Nano(now),
      expiresAt: null,
    });
    t.raw.push(await timed(() => raw.query({ name: 'append', text: q.text, values: q.params as unknown[] })));
  }
  const [o, f, r] = [median(t.ours), median(t.floor), median(t.raw)];
  console.log(
    `append p50: ours ${o.toFixed(3)} ms, floor + session update ${f.toFixed(3)} ms (${(o / f).toFixed(2)}x), our statement raw ${r.toFixed(3)} ms (${(r / f).toFixed(2)}x)`,
  );
} finally {
  await raw.end();
  await backend.close();
}
