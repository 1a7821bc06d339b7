/**
 * A process with asyncPersist and flushOnExit whose database stops answering: it creates a
 * session, prints `ready`, waits for a line on stdin (the parent freezes the proxy meanwhile),
 * appends `count` events, which are accepted but cannot be written, and prints `appended`. The
 * parent then signals it twice. onError reports go to stderr, one a line.
 */
import { createInterface } from 'node:readline';
import { PostgresSessionService } from '../../../src/postgres/service.js';
import { createEvent } from '../../../src/session/event.js';

export interface ExitTwiceConfig {
  dsn: string;
  schema: string;
  count: number;
}

const config = JSON.parse(process.argv[2]!) as ExitTwiceConfig;

const service = await PostgresSessionService.create({
  dsn: config.dsn,
  schema: config.schema,
  asyncPersist: true,
  flushOnExit: true,
  onError: (error) => process.stderr.write(`${error.message}\n`),
});
const session = await service.createSession({ appName: 'exit-twice', userId: 'u' });
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
for (let i = 0; i < config.count; i++) {
  await service.appendEvent(
    session,
    createEvent({ author: 'user', message: { role: 'user', content: `#${i}` } }),
  );
}
process.stdout.write('appended\n');
