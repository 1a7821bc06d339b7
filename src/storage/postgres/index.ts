/**
 * `agent-sessions/storage/postgres`: named PostgreSQL instances, registered once at start-up and
 * referred to by name from any service (`new PostgresSessionService({ instance: 'main' })`). The
 * clients the service runs on are exported by `agent-sessions/postgres`.
 */
export {
  getPostgresInstance,
  type PostgresInstance,
  type PostgresInstanceOptions,
  registerPostgresInstance,
  unregisterPostgresInstance,
} from './registry.js';
