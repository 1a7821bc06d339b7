/**
 * The backends every LangChain adapter test runs on: in-memory, PGlite and server PostgreSQL (when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set), with synchronous and asynchronous persistence.
 */
import {
  InMemorySessionService,
  type SessionService,
  type SessionServiceOptions,
} from '../../../src/index.js';
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

/** Opens a backend; `options` are the service options every backend shares (summarizer, hooks). */
export type OpenBackend = (options?: SessionServiceOptions) => Promise<Backend>;

function postgres(open: () => Promise<TestDatabase>, asyncPersist: boolean): OpenBackend {
  return async (options = {}) => {
    const db = await open();
    const service = await PostgresSessionService.create({
      ...options,
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

const memory: OpenBackend = async (options = {}) => {
  const service = new InMemorySessionService(options);
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
