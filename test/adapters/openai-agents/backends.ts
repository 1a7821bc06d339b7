/**
 * The backends every OpenAI Agents adapter test runs on: in-memory, PGlite and server PostgreSQL
 * (when AGENT_SESSIONS_TEST_DATABASE_URL is set), each with synchronous and asynchronous
 * persistence. The adapter's writes (appendEvents, popEvent, clearEvents) land before they
 * resolve in both modes, so no test needs a flush between a write and the next read.
 */
import { InMemorySessionService, type SessionService } from '../../../src/index.js';
import { PostgresSessionService } from '../../../src/postgres/index.js';
import {
  openPgliteDatabase,
  openServerDatabase,
  serverUrl,
  type TestDatabase,
} from '../../support/database.js';

export interface Backend {
  service: SessionService;
  close(): Promise<void>;
}

export type OpenBackend = () => Promise<Backend>;

function postgres(open: () => Promise<TestDatabase>, asyncPersist: boolean): OpenBackend {
  return async () => {
    const db = await open();
    const service = await PostgresSessionService.create({
      ...db.connect,
      ...(asyncPersist ? { asyncPersist: true, asyncPersisterNum: 4 } : {}),
    });
    return {
      service,
      close: async () => {
        await service.close();
        await db.close();
      },
    };
  };
}

const memory: OpenBackend = async () => {
  const service = new InMemorySessionService();
  return { service, close: () => service.close() };
};

export const backends: readonly (readonly [name: string, open: OpenBackend])[] = [
  ['memory', memory],
  ['PGlite', postgres(openPgliteDatabase, false)],
  ['PGlite, asyncPersist', postgres(openPgliteDatabase, true)],
  ...(serverUrl
    ? ([
        ['server PostgreSQL', postgres(openServerDatabase, false)],
        ['server PostgreSQL, asyncPersist', postgres(openServerDatabase, true)],
      ] as const)
    : []),
];
