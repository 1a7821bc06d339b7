/**
 * The `agent-sessions` scenario on embedded PGlite, in the default ./.agent-sessions of a
 * temporary working directory (where the demo writes too).
 */
import { join } from 'node:path';
import { defineCliSuite } from './suite.js';
import { tempDir, withPglite } from './support.js';

defineCliSuite('embedded PGlite', async () => {
  const dir = tempDir('agent-sessions-cli-pglite-');
  // A database with other tables only: read commands must ask for migrate, not fail on SQL.
  await withPglite(join(dir.path, '.agent-sessions'), async (db) => {
    await db.query('CREATE TABLE unrelated (id int)');
  });
  return {
    cwd: dir.path,
    // No flags: the default database in ./.agent-sessions, where the demo writes too.
    flags: [],
    secondFlags: ['--data-dir', join(dir.path, 'second')],
    env: {},
    schema: '',
    demoEnv: {},
    sql: (fn) => withPglite(join(dir.path, '.agent-sessions'), fn),
    close: async () => dir.remove(),
  };
});
