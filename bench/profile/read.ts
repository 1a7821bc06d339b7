/**
 * A read loop to profile with `node --cpu-prof`: getSession of a 5,000-event session (limit 1,000
 * and 20) and listSessions of 1,000 sessions, on server PostgreSQL (DATABASE_URL) or PGlite.
 */
import { openPglite, openServer } from '../backends.js';
import { analyze, freshKey, seedEvents, seedUser } from '../data.js';

const which = process.argv[2] ?? 'server';
const rounds = Number(process.argv[3] ?? 300);
const backend = which === 'server' ? await openServer(process.env.DATABASE_URL!) : await openPglite();
try {
  const service = await backend.service('sync');
  const key = freshKey('profile');
  await service.createSession(key);
  await seedEvents(backend.floor, backend.tables, key, 5000);
  const user = { appName: key.appName, userId: `${key.userId}-list` };
  await seedUser(backend.floor, backend.tables, user, 1000, 12);
  await analyze(backend.floor, backend.tables);
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    await service.getSession(key, { eventNum: 1000 });
    await service.getSession(key, { eventNum: 20 });
    await service.listSessions(user, { onlyMeta: true });
  }
  console.log(`${which}: ${rounds} rounds in ${(performance.now() - started).toFixed(0)} ms`);
} finally {
  await backend.close();
}
