/**
 * Concurrent asynchronous appends (16 sessions, 16 callers) and a flush, on server PostgreSQL
 * (or PGlite), to profile with --cpu-prof: where the async path spends its CPU per event.
 */
import { openPglite, openServer } from '../backends.js';
import { freshKey, makeEvents } from '../data.js';

const which = process.argv[2] ?? 'server';
const perSession = Number(process.argv[3] ?? 2000);
const sessions = 16;
const backend = which === 'server' ? await openServer(process.env.DATABASE_URL!) : await openPglite();
try {
  const service = await backend.service('async');
  const opened = await Promise.all(
    Array.from({ length: sessions }, () => service.createSession(freshKey('async'))),
  );
  const events = opened.map(() => makeEvents(perSession));
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    opened.map(async (session, s) => {
      for (const event of events[s]!) await service.appendEvent(session, event);
    }),
  );
  await service.flush();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  console.log(
    `${which}: ${((sessions * perSession) / (ms / 1000)).toFixed(0)} events/s, ${((used.user + used.system) / (sessions * perSession)).toFixed(1)} µs of this process's CPU per event`,
  );
} finally {
  await backend.close();
}
