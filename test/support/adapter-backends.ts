/**
 * The backends the AI SDK, LangChain and OpenAI Agents adapter tests run on: in-memory, PGlite
 * and server PostgreSQL (when AGENT_SESSIONS_TEST_DATABASE_URL is set), each with synchronous and
 * asynchronous persistence. With async persistence an append resolves once accepted, so a test
 * that reads what an earlier request wrote calls `settle()` first.
 */
import { InMemorySessionService, type SessionService, type SessionServiceOptions } from '../../src/index.js';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { openPgliteDatabase, openServerDatabase, serverUrl, type TestDatabase } from './database.js';

export interface Backend {
  service: SessionService;
  /** Makes every accepted write durable (a no-op in sync mode). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a backend; `options` are service options every backend shares (summarizer, hooks, limits). */
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
      settle: () => service.flush(),
      close: async () => {
        await service.close();
        await db.close();
      },
    };
  };
}

const memory: OpenBackend = async (options = {}) => {
  const service = new InMemorySessionService(options);
  return { service, settle: () => service.flush(), close: () => service.close() };
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
