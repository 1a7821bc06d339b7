/**
 * The conformance suite through a real PgBouncer in front of the test server, in transaction mode
 * (what hosted PostgreSQL mostly runs) and in session mode. The services connect with a DSN and
 * their default options, so this is what a user gets out of the box. Skipped without the server or
 * the pgbouncer binary (see test/support/pgbouncer.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import {
  describePgBouncer,
  openBouncerDatabase,
  type PgBouncer,
  startPgBouncer,
} from '../support/pgbouncer.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

for (const [mode, asyncPersist] of [
  ['transaction', false],
  ['transaction', true],
  ['session', false],
] as const) {
  describePgBouncer(`through PgBouncer, ${mode} mode${asyncPersist ? ', asyncPersist' : ''}`, () => {
    let bouncer: PgBouncer | undefined;
    beforeAll(async () => {
      bouncer = await startPgBouncer(mode);
    });
    afterAll(async () => {
      await bouncer?.stop();
    });
    runConformanceSuite(
      postgresBackend(
        `PostgreSQL through PgBouncer (${mode} mode${asyncPersist ? ', asyncPersist' : ''})`,
        () => openBouncerDatabase(bouncer!),
        { asyncPersist },
      ),
    );
  });
}
