/**
 * The backends every AI SDK adapter test runs on: in-memory, PGlite and server PostgreSQL (when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set), with synchronous and asynchronous persistence. With
 * async persistence an append resolves once accepted, so `settle()` flushes before a later request
 * reads, as the next HTTP request of a real app would find the writes durable.
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
  /** Makes every accepted write durable (a no-op in sync mode). */
  settle(): Promise<void>;
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
      settle: () => service.flush(),
      close: async () => {
        await service.close();
        await db.close();
      },
    };
  };
}

const memory: OpenBackend = async () => {
  const service = new InMemorySessionService();
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
