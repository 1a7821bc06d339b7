/** The conformance suite on the PostgreSQL service over an in-memory PGlite. */
import { openPgliteDatabase } from '../support/database.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

runConformanceSuite(postgresBackend('PostgreSQL on PGlite', openPgliteDatabase, { asyncPersist: false }));
