/**
 * Garbage collection during getSession of the newest 20 events of a 2,000-event session, against
 * the floor's loop (the same rows read with plain `pg`, each event JSON.parse'd): time in minor
 * and major collections per 1,000 reads, from the process's own GC entries. Run with
 * `node --trace-gc-nvp` as well to see the bytes each minor collection promoted: a dead read's
 * rows kept alive by old-space objects show up there, since the collection copies them.
 */
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { openServer } from '../backends.js';
import { seededSession } from '../data.js';
import { floorRead } from '../floor.js';

const rounds = Number(process.argv[2] ?? 10_000);
const backend = await openServer(process.env.DATABASE_URL!);
let entries: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
observer.observe({ entryTypes: ['gc'] });

/** Runs `read` `rounds` times; returns ms per 1,000 reads in minor and major collections. */
async function measure(read: () => Promise<unknown>) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  entries = [];
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await read();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 10));
  const kind = (k: number) =>
    entries
      .filter((e) => (e as { detail?: { kind?: number } }).detail?.kind === k)
      .reduce((t, e) => t + e.duration, 0);
  const per = (x: number) => ((x * 1000) / rounds).toFixed(1);
  return `${per(ms)} ms per 1,000 reads, of which minor GC ${per(kind(constants.NODE_PERFORMANCE_GC_MINOR))} ms, major GC ${per(kind(constants.NODE_PERFORMANCE_GC_MAJOR))} ms`;
}

try {
  const service = await backend.service('sync');
  const key = await seededSession(backend, 2000, 'gc');
  const floor = async () => {
    const rows = (await floorRead(backend.floor, backend.tables, key, 20)) as { event: string }[];
    for (const row of rows) JSON.parse(row.event);
  };
  for (let turn = 0; turn < 2; turn++) {
    console.log(`ours:  ${await measure(() => service.getSession(key, { eventNum: 20 }))}`);
    console.log(`floor: ${await measure(floor)}`);
  }
} finally {
  observer.disconnect();
  await backend.close();
}
