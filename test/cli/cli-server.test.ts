/**
 * The `agent-sessions` scenario on server PostgreSQL (AGENT_SESSIONS_TEST_DATABASE_URL), in a
 * random schema dropped afterwards; the import target is a second random schema.
 */
import { pgClient } from '../../src/sql/pg-client.js';
import { defineCliSuite } from './suite.js';
import { serverSchema, serverUrl, tempDir, urlWithSearchPath } from './support.js';

defineCliSuite(
  'server PostgreSQL',
  async () => {
    const dir = tempDir('agent-sessions-cli-server-');
    const first = await serverSchema();
    const second = await serverSchema();
    const client = pgClient(first.pool, { owned: false });
    return {
      cwd: dir.path,
      flags: ['--schema', first.schema],
      secondFlags: ['--schema', second.schema],
      env: { DATABASE_URL: serverUrl },
      schema: first.schema,
      demoEnv: { DATABASE_URL: urlWithSearchPath(serverUrl!, first.schema) },
      sql: (fn) => fn(client),
      close: async () => {
        dir.remove();
        await first.drop();
        await second.drop();
      },
    };
  },
  serverUrl !== undefined,
);
