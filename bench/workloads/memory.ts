/**
 * W6: memory. (1) What one getSession with limit 20 leaves on the heap, on a 100-event and a
 * 10,000-event session (after a full collection before each read, so the figure is what the read
 * allocated), and the process's peak RSS while reading each. (2) The peak heap and RSS, above
 * where they started, while async-appending 100,000 events.
 *
 * The heap figures need `--expose-gc` (the bench script passes it); without it they are noise.
 */
import { encodeEvent } from '../../src/session/codec/index.js';
import type { Session } from '../../src/session/session.js';
import { freshKey, makeEvent } from '../data.js';
import { floorRead } from '../floor.js';
import { clock, collectGarbage, type Figure, KB, MB, median, PeakMemory } from '../measure.js';
import type { Run } from '../run.js';
import { SMALL_LIMIT } from '../sizes.js';
import { growthSessions } from './growth.js';

/** Heap growth of one call (bytes), measured from a collected heap; the result is kept until after. */
async function heapOf(call: () => Promise<unknown>): Promise<number> {
  collectGarbage(1);
  const before = process.memoryUsage().heapUsed;
  const result = await call();
  const after = process.memoryUsage().heapUsed;
  if (result === undefined) throw new Error('W6: a read returned nothing');
  return after - before;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** W6, part 1: a limited read's memory does not depend on the session's length. */
export async function w6Read(run: Run): Promise<Figure[]> {
  const { backend, sizes } = run;
  const service = await backend.service('sync');
  const g = await growthSessions(run);
  const lengths = [sizes.w5.lengths[0]!, sizes.w5.lengths[sizes.w5.lengths.length - 1]!];
  const samples = sizes.w6.readSamples;
  const heap = new Map(lengths.map((l) => [l, { ours: [] as number[], floor: [] as number[] }]));
  const rss = new Map<number, number>();
  // Warm both paths so that code compiled on first use is not counted.
  for (const length of lengths) {
    for (let i = 0; i < sizes.warmup; i++) {
      await service.getSession(g.read.get(length)!, { eventNum: SMALL_LIMIT });
      await floorRead(backend.floor, backend.tables, g.read.get(length)!, SMALL_LIMIT);
    }
  }
  for (const length of lengths) {
    const key = g.read.get(length)!;
    const h = heap.get(length)!;
    collectGarbage();
    const peak = new PeakMemory();
    for (let i = 0; i < samples; i++) {
      h.ours.push(await heapOf(() => service.getSession(key, { eventNum: SMALL_LIMIT })));
      peak.sample();
      h.floor.push(await heapOf(() => floorRead(backend.floor, backend.tables, key, SMALL_LIMIT)));
    }
    rss.set(length, peak.stop().rss);
  }
  const [short, long] = lengths as [number, number];
  const oursLong = median(heap.get(long)!.ours) / KB;
  const oursShort = median(heap.get(short)!.ours) / KB;
  const floorLong = median(heap.get(long)!.floor) / KB;
  const base = { workload: 'W6', backend: backend.name, samples } as const;
  const read = `getSession limit ${SMALL_LIMIT}`;
  return [
    {
      ...base,
      name: `${read} of ${fmt(long)} events: heap per read`,
      unit: 'KB',
      ours: oursLong,
      floor: floorLong,
      ratio: oursLong / floorLong,
    },
    {
      ...base,
      name: `${read}: heap per read at ${fmt(long)} vs ${fmt(short)} events (flat)`,
      unit: 'KB',
      ours: oursLong,
      floor: oursShort,
      reference: `ours at ${fmt(short)} events`,
      ratio: oursLong / oursShort,
      target: { op: '<=', value: 1.2 },
    },
    {
      ...base,
      name: `${read}: peak RSS reading ${fmt(long)} vs ${fmt(short)} events (flat)`,
      unit: 'MB',
      ours: rss.get(long)! / MB,
      floor: rss.get(short)! / MB,
      reference: `peak RSS at ${fmt(short)} events`,
      ratio: rss.get(long)! / rss.get(short)!,
      target: { op: '<=', value: 1.2 },
    },
  ];
}

/**
 * W6, part 2: async-appending 100,000 events over 10 sessions, in turns of 4 events. The caller
 * drops its copy of a session after each turn, as a server handling requests does, so what the
 * heap holds is what the service buffers, not the caller's ever-growing event lists.
 */
export async function w6Append(run: Run): Promise<Figure[]> {
  const { backend, sizes } = run;
  const { appendEvents, appendSessions } = sizes.w6;
  const service = await backend.service('async');
  const sessions: Session[] = [];
  for (let s = 0; s < appendSessions; s++) sessions.push(await service.createSession(freshKey('w6')));
  const turn = 4;
  // The JSON the events encode to, on average over one turn: what the appends hand over.
  const perEvent =
    Array.from({ length: turn }, (_, k) => encodeEvent(makeEvent(k)).length).reduce((a, b) => a + b) / turn;
  const bytes = perEvent * appendEvents;
  collectGarbage();
  const start = process.memoryUsage();
  const peak = new PeakMemory();
  // The live heap (after a full collection) every tenth of the way: what the service holds,
  // without the garbage a raw peak also counts.
  let live = start.heapUsed;
  const every = Math.max(turn, Math.floor(appendEvents / 10 / turn) * turn);
  const began = clock();
  for (let i = 0; i < appendEvents; i += turn) {
    const base = sessions[(i / turn) % appendSessions]!;
    const handle: Session = { ...base, state: { ...base.state }, events: [] };
    for (let k = 0; k < turn && i + k < appendEvents; k++) {
      await service.appendEvent(handle, makeEvent(i + k));
    }
    if (i % every === 0 && i > 0) {
      peak.sample();
      if (collectGarbage()) live = Math.max(live, process.memoryUsage().heapUsed);
    }
  }
  await service.flush();
  const ms = clock() - began;
  const top = peak.stop();
  const base = { workload: 'W6', backend: backend.name, samples: 1 } as const;
  const name = `async-appending ${fmt(appendEvents)} events`;
  const data = bytes / MB;
  return [
    {
      ...base,
      name: `${name}: peak heap above start`,
      unit: 'MB',
      ours: (top.heap - start.heapUsed) / MB,
      floor: data,
      reference: 'event JSON appended',
      ratio: (top.heap - start.heapUsed) / bytes,
      details: { eventsPerSecond: (appendEvents * 1000) / ms, startHeapMB: start.heapUsed / MB },
    },
    {
      ...base,
      name: `${name}: peak live heap above start`,
      unit: 'MB',
      ours: (live - start.heapUsed) / MB,
      floor: data,
      reference: 'event JSON appended',
      ratio: (live - start.heapUsed) / bytes,
    },
    {
      ...base,
      name: `${name}: peak RSS above start`,
      unit: 'MB',
      ours: (top.rss - start.rss) / MB,
      floor: data,
      reference: 'event JSON appended',
      ratio: (top.rss - start.rss) / bytes,
      details: { peakRssMB: top.rss / MB, startRssMB: start.rss / MB },
    },
  ];
}
