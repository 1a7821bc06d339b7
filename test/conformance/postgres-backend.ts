/**
 * The PostgreSQL service as a conformance backend: one database for the whole file (the tables
 * are created by the first service; the others skip the check), every case under its own random
 * app name.
 */
import { PostgresSessionService } from '../../src/postgres/service.js';
import type { TestDatabase } from '../support/database.js';
import type { ConformanceBackend } from './suite.js';

export function postgresBackend(
  name: string,
  open: () => Promise<TestDatabase>,
  { asyncPersist }: { asyncPersist: boolean },
): ConformanceBackend {
  let database: Promise<TestDatabase> | undefined;
  const ready = () =>
    (database ??= open().then(async (db) => {
      await (await PostgresSessionService.create(db.connect)).close();
      return db;
    }));
  return {
    name,
    create: async (options) =>
      PostgresSessionService.create({
        ...options,
        ...(await ready()).connect,
        skipDbInit: true,
        ...(asyncPersist ? { asyncPersist: true, asyncPersisterNum: 4 } : {}),
      }),
    sweepNow: async (service) => {
      await (service as PostgresSessionService).sweepNow();
    },
    // With asyncPersist, an append to a missing session is reported by the next flush().
    deferredWriteErrors: asyncPersist,
    teardown: async () => {
      await (await database)?.close();
    },
  };
}
