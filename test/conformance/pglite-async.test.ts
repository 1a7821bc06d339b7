/**
 * The conformance suite on PGlite with asynchronous persistence: appends resolve once accepted
 * by the background writers, and the suite's reading helpers flush before they read.
 */
import { beforeEach } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import type { SqlClient } from '../../src/sql/client.js';
import { newPglite } from '../support/database.js';
import { runConformanceSuite } from './suite.js';

/**
 * The cases that expect an append to a missing session to reject with NOT_FOUND. With
 * asyncPersist that cannot be known when the append is accepted: the failure goes to onError
 * and makes the next flush() reject instead, which test/postgres/async-service.test.ts checks
 * (for a missing, a deleted and a swept session). Every other case runs unchanged.
 */
const APPEND_TIME_NOT_FOUND = new Set([
  'refuses to append to a missing or deleted session with NOT_FOUND',
  'refuses a track event for a missing session with NOT_FOUND',
  'sweeps expired data and leaves live data',
]);

beforeEach((context) => {
  if (APPEND_TIME_NOT_FOUND.has(context.task.name)) context.skip();
});

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
  sweepNow: async (service) => {
    await (service as PostgresSessionService).sweepNow();
  },
  teardown: async () => {
    await db?.close();
  },
});
