/**
 * The conformance suite on PGlite with asynchronous persistence: appends resolve once accepted
 * by the background writers, and the suite's reading helpers flush before they read. An append
 * to a missing session is reported by the next flush() (deferredWriteErrors).
 */
import { openPgliteDatabase } from '../support/database.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

runConformanceSuite(
  postgresBackend('PostgreSQL on PGlite, asyncPersist', openPgliteDatabase, { asyncPersist: true }),
);
