/**
 * Does the way our read fetches an event cost its JSON.parse anything? Fetches the newest 1,000
 * events of a 2,000-event session with our read statement (the event's JSON a slice of the
 * packed row) and with the floor's (`event::text`), and times JSON.parse of each side's texts,
 * alternated, on server PostgreSQL (DATABASE_URL).
 */
import {
  isPackedEvent,
  type PackedRow,
  selectSession,
  unpackEvent,
} from '../../src/postgres/queries/read.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { openServer } from '../backends.js';
import { seededSession } from '../data.js';
import { floorRead } from '../floor.js';
import { median } from '../measure.js';

const rounds = Number(process.argv[2] ?? 60);
const backend = await openServer(process.env.DATABASE_URL!);
try {
  const key = await seededSession(backend, 2000, 'read-parse');
  const q = selectSession(backend.tables, {
    key,
    now: toSqlTimestamp(new Date()),
    events: { kind: 'window', limit: 1000 },
    tracks: { after: undefined, limit: null },
  });
  const ours = async () => {
    const { rows } = await backend.floor.query(q.text, q.params as unknown[]);
    return (rows as PackedRow[])
      .filter((row) => isPackedEvent(row.packed))
      .map((row) => unpackEvent(row.packed).json);
  };
  const floor = async () =>
    ((await floorRead(backend.floor, backend.tables, key, 1000)) as { event: string }[]).map(
      (row) => row.event,
    );
  const parse = (texts: string[]) => {
    const start = performance.now();
    for (const text of texts) JSON.parse(text);
    return performance.now() - start;
  };
  const t = { ours: [] as number[], floor: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    t.ours.push(parse(await ours()));
    t.floor.push(parse(await floor()));
  }
  const [a, b] = [await ours(), await floor()];
  if (a.length !== b.length || a.some((text, i) => text !== b[i])) throw new Error('the two reads differ');
  console.log(
    `JSON.parse of 1,000 events, p50: our read's texts ${median(t.ours).toFixed(2)} ms, the floor's ${median(t.floor).toFixed(2)} ms`,
  );
} finally {
  await backend.close();
}
