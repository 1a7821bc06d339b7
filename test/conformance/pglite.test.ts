import { PostgresSessionService } from '../../src/postgres/service.js';
import type { SqlClient } from '../../src/sql/client.js';
import { newPglite } from '../support/database.js';
import { runConformanceSuite } from './suite.js';

// One in-memory PGlite for the whole file: the tables are created by the first service and
// verified by the others; every case works under its own random app name.
let db: { client: SqlClient; close(): Promise<void> } | undefined;
let schemaReady: Promise<unknown> | undefined;

async function client(): Promise<SqlClient> {
  db ??= await newPglite();
  schemaReady ??= PostgresSessionService.create({ client: db.client }).then((s) => s.close());
  await schemaReady;
  return db.client;
}

runConformanceSuite({
  name: 'PostgreSQL on PGlite',
  create: async (options) =>
    PostgresSessionService.create({ ...options, client: await client(), skipDbInit: true }),
  sweepNow: async (service) => {
    await (service as PostgresSessionService).sweepNow();
  },
  teardown: async () => {
    await db?.close();
  },
});
