import { PostgresSessionService } from '../../src/postgres/service.js';
import { describeServer, withServerSchema } from '../support/database.js';
import { runConformanceSuite } from './suite.js';

type ServerSchema = Awaited<ReturnType<typeof withServerSchema>>;

// One random schema for the whole file, created with the tables by the first service and
// dropped in teardown; every case works under its own random app name. The services get the
// schema explicitly, so the schema option is exercised on a real server.
let fixture: Promise<ServerSchema> | undefined;

function schema(): Promise<ServerSchema> {
  fixture ??= withServerSchema().then(async (s) => {
    await (await PostgresSessionService.create({ pool: s.pool, schema: s.schema })).close();
    return s;
  });
  return fixture;
}

// Registered (and skipped) without a server, so the file always has a suite.
describeServer('server PostgreSQL', () => {
  runConformanceSuite({
    name: 'PostgreSQL server',
    create: async (options) => {
      const s = await schema();
      return PostgresSessionService.create({ ...options, pool: s.pool, schema: s.schema, skipDbInit: true });
    },
    sweepNow: async (service) => {
      await (service as PostgresSessionService).sweepNow();
    },
    teardown: async () => {
      await (await fixture)?.drop();
    },
  });
});
