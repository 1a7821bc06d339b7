/**
 * The options of PostgresSessionService: the types and defaults (`options/types.ts`), the checks
 * of single fields (`options/fields.ts`), printing without secrets (`options/secrets.ts`) and the
 * resolution the service runs at construction (`options/resolve.ts`).
 */

export { resolvePostgresOptions } from './options/resolve.js';
export { maskSecrets } from './options/secrets.js';
export * from './options/types.js';
