/**
 * W2's async shape (50 sessions x 100 appends, 16 callers at a time, then flush) with its two
 * phases timed apart: how long the appends take to be accepted, and how long flush() then waits.
 */
import { openPglite, openServer } from '../backends.js';
import { freshKey, makeEvents } from '../data.js';

const which = process.argv[2] ?? 'server';
const rounds = Number(process.argv[3] ?? 5);
const backend = which === 'server' ? await openServer(process.env.DATABASE_URL!) : await openPglite();
try {
  const service = await backend.service('async');
  for (let r = 0; r < rounds; r++) {
    const opened = await Promise.all(
      Array.from({ length: 50 }, () => service.createSession(freshKey('burst'))),
    );
    const events = opened.map(() => makeEvents(100));
    const started = performance.now();
    const cpu = process.cpuUsage();
    const faults = process.resourceUsage().minorPageFault;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 50) {
          const s = next++;
          for (const event of events[s]!) await service.appendEvent(opened[s]!, event);
        }
      }),
    );
    const accepted = performance.now();
    await service.flush();
    const done = performance.now();
    const used = process.cpuUsage(cpu);
    console.log(
      `${which}: ${(5000 / ((done - started) / 1000)).toFixed(0)} events/s; accepted in ${(accepted - started).toFixed(0)} ms, flushed in ${(done - accepted).toFixed(0)} ms; ${((used.user + used.system) / 5000).toFixed(1)} µs CPU per event, ${((process.resourceUsage().minorPageFault - faults) / 5000).toFixed(1)} page faults per event`,
    );
  }
} finally {
  await backend.close();
}
