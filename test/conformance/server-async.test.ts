/**
 * The conformance suite on a PostgreSQL server with asynchronous persistence (skipped without
 * AGENT_SESSIONS_TEST_DATABASE_URL). Appends resolve once accepted; an append to a missing session
 * is reported by the next flush() (deferredWriteErrors).
 */
import { describeServer, openServerDatabase } from '../support/database.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

describeServer('server PostgreSQL, asyncPersist', () => {
  runConformanceSuite(
    postgresBackend('PostgreSQL server, asyncPersist', openServerDatabase, { asyncPersist: true }),
  );
});
