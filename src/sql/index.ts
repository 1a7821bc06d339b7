export type { SqlClient, SqlExecutor, SqlResult } from './client.js';
export {
  isConnectionError,
  isTransientError,
  isUniqueViolation,
  sqlState,
  UNIQUE_VIOLATION,
} from './errors.js';
export { parseTimestampAsUtc, parseTimestampTz } from './parsers.js';
export { type CreatePgPoolOptions, createPgPool, type PgClientOptions, pgClient } from './pg-client.js';
export { pgliteClient } from './pglite-client.js';
