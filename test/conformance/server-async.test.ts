/**
 * The conformance suite on a PostgreSQL server with asynchronous persistence (skipped without
 * AGENT_SESSIONS_TEST_DATABASE_URL). Appends resolve once accepted; an append to a missing session
 * is reported by the next flush() (deferredWriteErrors).
 */
import { PostgresSessionService } from '../../src/postgres/service.js';
import { describeServer, withServerSchema } from '../support/database.js';
import { runConformanceSuite } from './suite.js';

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
    deferredWriteErrors: true,
    teardown: async () => {
      await (await fixture)?.drop();
    },
  });
});
