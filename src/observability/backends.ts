/** What each backend tells its telemetry about itself (see {@link Backend}). */
import type { Backend } from './telemetry.js';

/** The in-process store. */
export const memoryBackend: Backend = { system: 'memory' };

/** The async queue of a PostgresSessionService, through its public getters. */
interface QueueView {
  readonly asyncQueueDepth: number;
  readonly asyncQueueWaiting: number;
}

/**
 * A PostgreSQL service: `db.namespace` becomes `database|schema` (or the database alone without
 * an explicit schema) once it has connected and read `current_database()`.
 */
export function postgresBackend(options: { asyncPersist: boolean; tables: { schema: string } }): Backend {
  return {
    system: 'postgresql',
    schema: options.tables.schema,
    asyncPersist: options.asyncPersist,
    queue: (service) => {
      const view = service as QueueView;
      return { depth: view.asyncQueueDepth, waiting: view.asyncQueueWaiting };
    },
  };
}
