/**
 * A service in a process of its own, driven line by line over stdin, answering with one JSON line
 * per command on stdout. Compiled by build-worker.ts before the tests that spawn it.
 *
 * argv[2] is a JSON WorkerConfig. Commands: `create <id...>` (race to create these sessions),
 * `append <sessions> <count>` (append `count` events to each listed session, one session after
 * another in parallel, each with a state delta and app/user state updates), `race <sessions>
 * <count>` (the same writes of every kind — events, track events, summaries, session state —
 * to sessions another process deletes meanwhile: NOT_FOUND is expected), `delete <sessions>`
 * (each after a short random pause, so it lands among the writes), `sweep`, `close`.
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
  softDelete?: boolean;
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
    softDelete: config.softDelete,
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
    } else if (command === 'race') {
      const sessions = args[0]!.split(',');
      const count = Number(args[1]);
      const acknowledged: string[] = [];
      const codes: Record<string, number> = {};
      const messages: string[] = [];
      const attempt = async (what: () => Promise<unknown>, id?: string) => {
        try {
          await what();
          if (id) acknowledged.push(id);
        } catch (error) {
          const code = codeOf(error);
          codes[code] = (codes[code] ?? 0) + 1;
        }
      };
      await Promise.all(
        sessions.map(async (sessionId) => {
          const key = { appName: config.appName, userId, sessionId };
          const session = await service.getSession(key);
          if (!session) return;
          for (let k = 0; k < count; k++) {
            const event = createEvent({ author: `w${w}`, message: { role: 'user', content: `w${w} #${k}` } });
            event.id = `w${w}-${sessionId}-${k}`;
            event.stateDelta = stateOf({ [`w${w}`]: String(k) });
            await attempt(() => service.appendEvent(session, event), event.id);
            if (k % 3 === 0) {
              await attempt(() =>
                service.appendTrackEvent(session, { track: 'tool', payload: { k }, timestamp: new Date() }),
              );
              await attempt(() => service.updateSessionState(key, stateOf({ [`k${k}`]: 'x' })));
            }
            if (k % 4 === 0) await attempt(() => service.createSessionSummary(session, '', true));
          }
        }),
      );
      // Asynchronous writes that failed are reported by flush(), one AsyncWriteError per kind.
      try {
        await service.flush();
      } catch (error) {
        // An AsyncWriteError (with a `failed` count) stands for its failures: its cause is the first.
        const leaves = (e: unknown): unknown[] =>
          e instanceof AggregateError
            ? e.errors.flatMap(leaves)
            : typeof (e as { failed?: unknown }).failed === 'number'
              ? leaves((e as Error).cause)
              : [e];
        for (const leaf of leaves(error)) {
          const code = codeOf(leaf);
          codes[code] = (codes[code] ?? 0) + 1;
          if (code !== 'NOT_FOUND') messages.push(String((leaf as Error).message));
        }
      }
      reply({ race: acknowledged, codes, messages: messages.slice(0, 3) });
    } else if (command === 'delete') {
      const sessions = args[0]!.split(',');
      await Promise.all(
        sessions.map(async (sessionId) => {
          await new Promise((done) => setTimeout(done, Math.random() * 30));
          await service.deleteSession({ appName: config.appName, userId, sessionId });
        }),
      );
      reply({ deleted: sessions.length });
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
