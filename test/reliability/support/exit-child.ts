/**
 * A process that appends events asynchronously (with flushOnExit) and then ends without calling
 * close(): by a signal it sends itself, or by running out of work. argv[2] is a JSON ExitConfig.
 * It prints `{"appended":[ids]}` once every append has resolved (been accepted).
 */
import { PostgresSessionService } from '../../../src/postgres/service.js';
import { createEvent } from '../../../src/session/event.js';

export interface ExitConfig {
  dsn: string;
  schema: string;
  appName: string;
  sessionId: string;
  count: number;
  /** How the process ends: a signal to itself, or `beforeExit` (nothing left to do). */
  end: 'SIGTERM' | 'SIGINT' | 'beforeExit';
  flushOnExit: boolean;
}

const config = JSON.parse(process.argv[2]!) as ExitConfig;

const service = await PostgresSessionService.create({
  dsn: config.dsn,
  schema: config.schema,
  asyncPersist: true,
  flushOnExit: config.flushOnExit,
  onError: (error) => process.stderr.write(`${error.message}\n`),
});
const session = await service.createSession({
  appName: config.appName,
  userId: 'u',
  sessionId: config.sessionId,
});
const ids: string[] = [];
await Promise.all(
  Array.from({ length: config.count }, async (_, i) => {
    const event = createEvent({ author: 'user', message: { role: 'user', content: `#${i}` } });
    event.id = `e${i}`;
    await service.appendEvent(session, event);
    ids.push(event.id);
  }),
);
process.stdout.write(`${JSON.stringify({ appended: ids })}\n`);
if (config.end !== 'beforeExit') process.kill(process.pid, config.end);
