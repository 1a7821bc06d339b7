/**
 * A process that appends to one session on the embedded database in `dataDir` (argv[2]), sync or
 * with asyncPersist and a flush (argv[3]), sets the user's state to the append's number, and
 * prints each event id once both resolved, until it is killed. For embedded-crash.test.ts.
 */
import { PostgresSessionService } from '../../../src/postgres/index.js';
import { createEvent } from '../../../src/session/event.js';

const [dataDir, mode] = [process.argv[2]!, process.argv[3] ?? 'sync'];
const service = await PostgresSessionService.create({ dataDir, asyncPersist: mode === 'async' });
const key = { appName: 'crash', userId: 'u', sessionId: 's' };
const session = (await service.getSession(key)) ?? (await service.createSession(key));
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const content = `message ${i} ${'x'.repeat(500)}`;
  const event = createEvent({ author: 'user', message: { role: 'user', content } });
  await service.appendEvent(session, event);
  if (mode === 'async') await service.flush();
  await service.updateUserState(key, { n: new TextEncoder().encode(event.id) });
  process.stdout.write(`${event.id}\n`);
}
