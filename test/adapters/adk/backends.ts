/**
 * The stores the ADK adapter tests run on: in-memory, PGlite and server PostgreSQL (when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set), each with sync and async persistence.
 */
import { type Clock, InMemorySessionService, type SessionService } from '../../../src/index.js';
import { PostgresSessionService } from '../../../src/postgres/index.js';
import type { SessionSummarizer } from '../../../src/summary/index.js';
import {
  openPgliteDatabase,
  openServerDatabase,
  serverUrl,
  type TestDatabase,
} from '../../support/database.js';

/** Store options the adapter tests set, on every backend. */
export interface StoreOptions {
  summarizer?: SessionSummarizer;
  /** A fixed clock gives sessions the same update time, for the order of ties. */
  clock?: Clock;
}

export interface AdapterBackend {
  name: string;
  /** Creates the backend's database and tables (slow on a busy machine: call it in a hook). */
  prepare(): Promise<void>;
  /** A new store on the backend's database (the same database for every call of one backend). */
  open(options?: StoreOptions): Promise<SessionService>;
  /**
   * Closes `store` and opens a new instance on the same data (a process restart); the in-memory
   * store has nothing beyond itself, so it is returned as it is.
   */
  reopen(store: SessionService): Promise<SessionService>;
  /** Drops the backend's database. */
  teardown(): Promise<void>;
}

function memoryBackend(): AdapterBackend {
  return {
    name: 'in-memory',
    open: async (options) => new InMemorySessionService({ ...options }),
    prepare: async () => {},
    reopen: async (store) => store,
    teardown: async () => {},
  };
}

function postgresBackend(
  name: string,
  openDatabase: () => Promise<TestDatabase>,
  asyncPersist: boolean,
): AdapterBackend {
  let database: Promise<TestDatabase> | undefined;
  const ready = () =>
    (database ??= openDatabase().then(async (db) => {
      await (await PostgresSessionService.create(db.connect)).close();
      return db;
    }));
  const open = async (options?: StoreOptions) =>
    PostgresSessionService.create({
      ...options,
      ...(await ready()).connect,
      skipDbInit: true,
      ...(asyncPersist ? { asyncPersist: true, asyncPersisterNum: 2 } : {}),
    });
  return {
    name,
    prepare: async () => {
      await ready();
    },
    open,
    reopen: async (store) => {
      await store.close();
      return open();
    },
    teardown: async () => {
      await (await database)?.close();
    },
  };
}

/** Backend factories for `describe.each`; each describe builds its own so databases are not shared. */
export const adapterBackends: readonly (readonly [string, () => AdapterBackend])[] = [
  ['in-memory', memoryBackend],
  ['PGlite sync', () => postgresBackend('PGlite sync', openPgliteDatabase, false)],
  ['PGlite async', () => postgresBackend('PGlite async', openPgliteDatabase, true)],
  ...(serverUrl
    ? ([
        ['server sync', () => postgresBackend('server sync', openServerDatabase, false)],
        ['server async', () => postgresBackend('server async', openServerDatabase, true)],
      ] as const)
    : []),
];
