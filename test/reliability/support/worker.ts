/**
 * A service in a process of its own, driven line by line over stdin, answering with one JSON line
 * per command on stdout. Compiled by build-worker.ts before the tests that spawn it.
 *
 * argv[2] is a JSON WorkerConfig. Commands: `create <id...>` (race to create these sessions),
 * `append <sessions> <count>` (append `count` events to each listed session, one session after
 * another in parallel, each with a state delta and app/user state updates), `sweep`, `close`.
 * After `close` the worker closes the service and returns from main: the process must then exit
 * by itself.
 */
import { createInterface } from 'node:readline';
import { PostgresSessionService } from '../../../src/postgres/service.js';
import { isAgentSessionsError } from '../../../src/session/errors.js';
import { createEvent } from '../../../src/session/event.js';
import { stateOf } from '../../../src/session/state.js';

export interface WorkerConfig {
  dsn: string;
  schema: string;
  applicationName: string;
  appName: string;
  worker: number;
  sessionTtlMs?: number;
  cleanupIntervalMs?: number;
  asyncPersist?: boolean;
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const codeOf = (error: unknown) => (isAgentSessionsError(error) ? error.code : `raw:${String(error)}`);

async function main(): Promise<void> {
  const service = await PostgresSessionService.create({
    dsn: config.dsn,
    schema: config.schema,
    sessionTtlMs: config.sessionTtlMs,
    cleanupIntervalMs: config.cleanupIntervalMs,
    asyncPersist: config.asyncPersist,
    extraOptions: { application_name: config.applicationName },
    summarizer: {
      shouldSummarize: () => true,
      summarize: async (session) => `${session.events.length} events`,
    },
    onError: (error) => reply({ background: error.message }),
  });
  reply({ ready: true, pid: process.pid });
  const w = config.worker;
  const userId = 'u';

  for await (const line of createInterface({ input: process.stdin })) {
    const [command, ...args] = line.trim().split(' ');
    if (command === 'create') {
      const outcomes: Record<string, string> = {};
      await Promise.all(
        args.map(async (sessionId) => {
          try {
            await service.createSession(
              { appName: config.appName, userId, sessionId },
              stateOf({ by: `w${w}` }),
            );
            outcomes[sessionId] = 'won';
          } catch (error) {
            outcomes[sessionId] = codeOf(error);
          }
        }),
      );
      reply({ create: outcomes });
    } else if (command === 'append') {
      const sessions = args[0]!.split(',');
      const count = Number(args[1]);
      const appended: Record<string, string[]> = {};
      const failed: string[] = [];
      await Promise.all(
        sessions.map(async (sessionId) => {
          const key = { appName: config.appName, userId, sessionId };
          const session = (await service.getSession(key))!;
          appended[sessionId] = [];
          for (let k = 0; k < count; k++) {
            const event = createEvent({ author: `w${w}`, message: { role: 'user', content: `w${w} #${k}` } });
            event.id = `w${w}-${sessionId}-${k}`;
            event.stateDelta = stateOf({ [`w${w}`]: String(k), [`seen:${event.id}`]: '1' });
            try {
              await service.appendEvent(session, event);
              appended[sessionId]!.push(event.id);
            } catch (error) {
              failed.push(`${event.id}:${codeOf(error)}`);
            }
            if (k % 5 === 0) {
              await service.updateAppState(
                config.appName,
                stateOf({ [`app:w${w}`]: String(k), 'app:last': `w${w}` }),
              );
              await service.updateUserState(
                { appName: config.appName, userId },
                stateOf({ [`user:w${w}`]: String(k) }),
              );
            }
          }
          await service.enqueueSummaryJob(session);
        }),
      );
      await service.flush();
      reply({ append: appended, failed });
    } else if (command === 'sweep') {
      try {
        reply({ sweep: await service.sweepNow() });
      } catch (error) {
        reply({ sweep: null, error: codeOf(error) });
      }
    } else if (command === 'close') {
      await service.close();
      reply({ closed: true });
      // Stop reading stdin as well, so only the service could keep the process alive.
      process.stdin.destroy();
      return;
    }
  }
}

main().catch((error: unknown) => {
  reply({ fatal: String(error) });
  process.exitCode = 1;
});
