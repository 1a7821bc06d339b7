/**
 * The conformance suite on a PostgreSQL server (skipped without AGENT_SESSIONS_TEST_DATABASE_URL),
 * in a random schema for the whole file that the services are given explicitly, so the schema
 * option is exercised on a real server.
 */
import { describeServer, openServerDatabase } from '../support/database.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

// Registered (and skipped) without a server, so the file always has a suite.
describeServer('server PostgreSQL', () => {
  runConformanceSuite(postgresBackend('PostgreSQL server', openServerDatabase, { asyncPersist: false }));
});
