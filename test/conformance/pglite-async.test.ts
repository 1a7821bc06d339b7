/**
 * The conformance suite on PGlite with asynchronous persistence: appends resolve once accepted
 * by the background writers, and the suite's reading helpers flush before they read. An append
 * to a missing session is reported by the next flush() (deferredWriteErrors).
 */
import { PostgresSessionService } from '../../src/postgres/service.js';
import type { SqlClient } from '../../src/sql/client.js';
import { newPglite } from '../support/database.js';
import { runConformanceSuite } from './suite.js';

let db: { client: SqlClient; close(): Promise<void> } | undefined;
let schemaReady: Promise<unknown> | undefined;

async function client(): Promise<SqlClient> {
  db ??= await newPglite();
  schemaReady ??= PostgresSessionService.create({ client: db.client }).then((s) => s.close());
  await schemaReady;
  return db.client;
}

runConformanceSuite({
  name: 'PostgreSQL on PGlite, asyncPersist',
  create: async (options) =>
    PostgresSessionService.create({
      ...options,
      client: await client(),
      skipDbInit: true,
      asyncPersist: true,
      asyncPersisterNum: 4,
    }),
  deferredWriteErrors: true,
  sweepNow: async (service) => {
    await (service as PostgresSessionService).sweepNow();
  },
  teardown: async () => {
    await db?.close();
  },
});
