/**
 * The conformance suite on a PostgreSQL server with asynchronous persistence (skipped without
 * AGENT_SESSIONS_TEST_DATABASE_URL).
 */
import { beforeEach } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { describeServer, withServerSchema } from '../support/database.js';
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

type ServerSchema = Awaited<ReturnType<typeof withServerSchema>>;

let fixture: Promise<ServerSchema> | undefined;

function schema(): Promise<ServerSchema> {
  fixture ??= withServerSchema().then(async (s) => {
    await (await PostgresSessionService.create({ pool: s.pool, schema: s.schema })).close();
    return s;
  });
  return fixture;
}

describeServer('server PostgreSQL, asyncPersist', () => {
  runConformanceSuite({
    name: 'PostgreSQL server, asyncPersist',
    create: async (options) => {
      const s = await schema();
      return PostgresSessionService.create({
        ...options,
        pool: s.pool,
        schema: s.schema,
        skipDbInit: true,
        asyncPersist: true,
        asyncPersisterNum: 4,
      });
    },
    sweepNow: async (service) => {
      await (service as PostgresSessionService).sweepNow();
    },
    teardown: async () => {
      await (await fixture)?.drop();
    },
  });
});
