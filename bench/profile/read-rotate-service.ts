/**
 * getSession limit 20 through the service, on one 5,000-event session again and again (as W3
 * reads) or rotating over sessions of 100, 1,000 and 10,000 events (as W5 reads), alternated.
 */
import { openServer } from '../backends.js';
import { seededSession } from '../data.js';
import { median, timed } from '../measure.js';

const rounds = Number(process.argv[2] ?? 2000);
const backend = await openServer(process.env.DATABASE_URL!);
try {
  const service = await backend.service('sync');
  const keys = [
    await seededSession(backend, 100, 'r100'),
    await seededSession(backend, 1000, 'r1000'),
    await seededSession(backend, 10000, 'r10000'),
  ];
  const one = await seededSession(backend, 5000, 'r5000');
  const t = { one: [] as number[], rotate: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const a = await timed(() => service.getSession(one, { eventNum: 20 }));
    const b = await timed(() => service.getSession(keys[i % 3]!, { eventNum: 20 }));
    if (i >= 200) {
      t.one.push(a);
      t.rotate.push(b);
    }
  }
  console.log(`one ${median(t.one).toFixed(3)} ms, rotate ${median(t.rotate).toFixed(3)} ms`);
  for (const k of [...keys, one]) {
    const s = await service.getSession(k, { eventNum: 20 });
    console.log(k.sessionId, s?.events.length, s?.events[0]?.author);
  }
} finally {
  await backend.close();
}
