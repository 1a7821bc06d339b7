/**
 * Where the CPU of concurrent appends goes, this process against the database server, per event:
 * W2's shape (50 sessions of `events` appends, 16 at a time), our asynchronous appends against the
 * floor's synchronous INSERTs, alternated. The server's CPU is read from /proc for every process
 * named `postgres`, so this needs Linux and a server on this machine (its background workers
 * count too). On a machine of two cores shared by both, the two sums bound the throughput.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { encodeEvent } from '../../src/session/codec/index.js';
import { openServer } from '../backends.js';
import { freshKey, makeEvents } from '../data.js';
import { floorAppend } from '../floor.js';

const events = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);
const sessions = 50;
const concurrency = 16;
const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** CPU time of every `postgres` process, in microseconds. */
function serverCpu(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // The process ended while the list was read.
    }
  }
  return ticks * TICK_US;
}

async function concurrent(append: (s: number, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < sessions) {
      const s = next++;
      for (let i = 0; i < events; i++) await append(s, i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function measure(label: string, run: () => Promise<void>, print: boolean): Promise<void> {
  const total = sessions * events;
  const db = serverCpu();
  const own = process.cpuUsage();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(own);
  if (!print) return;
  console.log(
    `${label.padEnd(12)} ${((total * 1000) / ms).toFixed(0).padStart(6)} events/s; per event: this process ${((used.user + used.system) / total).toFixed(1)} µs, the server ${((serverCpu() - db) / total).toFixed(1)} µs`,
  );
}

const backend = await openServer(process.env.DATABASE_URL!);
try {
  const service = await backend.service('async');
  // A first round of each warms up the code and the connections, and is not printed.
  for (let r = 0; r <= rounds; r++) {
    const opened = await Promise.all(
      Array.from({ length: sessions }, () => service.createSession(freshKey('cpu'))),
    );
    const batches = opened.map(() => makeEvents(events));
    await measure(
      'ours, async',
      async () => {
        await concurrent((s, i) => service.appendEvent(opened[s]!, batches[s]![i]!));
        await service.flush();
      },
      r > 0,
    );
    const keys = Array.from({ length: sessions }, () => freshKey('cpu-floor'));
    const bodies = keys.map(() => makeEvents(events).map((e) => encodeEvent(e)));
    await measure(
      'floor, sync',
      () => concurrent((s, i) => floorAppend(backend.floor, backend.tables, keys[s]!, bodies[s]![i]!)),
      r > 0,
    );
  }
} finally {
  await backend.close();
}
