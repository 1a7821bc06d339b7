/**
 * `agent-sessions/postgres`: the PostgreSQL session service, its options, the errors of its
 * asynchronous persistence, and the two clients it runs on (node-postgres and embedded PGlite),
 * re-exported for convenience.
 */

export type { SweepCounts, SweepReport } from '../session/observers.js';
export type { SqlClient, SqlExecutor, SqlResult } from '../sql/client.js';
export { redactConnectionString } from '../sql/connection-string.js';
export { type CreatePgPoolOptions, createPgPool, type PgClientOptions, pgClient } from '../sql/pg-client.js';
export type { ServerTimeouts } from '../sql/pg-session.js';
export { type PgliteClientOptions, type PgliteInstance, pgliteClient } from '../sql/pglite-client.js';
export { AsyncWriteError, EnqueueAbortedError } from './async/errors.js';
export { type Environment, optionsFromEnv } from './connection/environment.js';
export type { PostgresSessionServiceOptions, SslMode } from './options.js';
export type { IndexSuffix, TableKey } from './schema/expected.js';
export type { TableName, TableNames } from './schema/names.js';
export { PostgresSessionService } from './service.js';
