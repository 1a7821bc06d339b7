/** Sequential synchronous appends on server PostgreSQL (or PGlite), to profile with --cpu-prof. */
import { openPglite, openServer } from '../backends.js';
import { freshKey, makeEvents } from '../data.js';

const which = process.argv[2] ?? 'server';
const count = Number(process.argv[3] ?? 3000);
const backend = which === 'server' ? await openServer(process.env.DATABASE_URL!) : await openPglite();
try {
  const service = await backend.service('sync');
  const session = await service.createSession(freshKey('profile-append'));
  const events = makeEvents(count);
  const started = performance.now();
  for (const event of events) await service.appendEvent(session, event);
  console.log(`${which}: ${count} appends, ${((performance.now() - started) / count).toFixed(3)} ms each`);
} finally {
  await backend.close();
}
