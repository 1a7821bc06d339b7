/**
 * `agent-sessions/storage/postgres`: named PostgreSQL instances and the database clients the
 * session service runs on.
 */

export { redactConnectionString } from '../../postgres/connection/connection-string.js';
export type { SqlClient, SqlExecutor, SqlResult } from '../../sql/client.js';
export { isConnectionError, isTransientError, isUniqueViolation, sqlState } from '../../sql/errors.js';
export {
  type CreatePgPoolOptions,
  createPgPool,
  type PgClientOptions,
  pgClient,
} from '../../sql/pg-client.js';
export { pgliteClient } from '../../sql/pglite-client.js';
export {
  getPostgresInstance,
  type PostgresInstance,
  type PostgresInstanceOptions,
  registerPostgresInstance,
  unregisterPostgresInstance,
} from './registry.js';
