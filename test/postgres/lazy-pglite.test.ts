/**
 * A service on a PostgreSQL server never loads PGlite (its WebAssembly build costs about half a
 * second and tens of MB to load, and hundreds of MB once a database is open: bench/import-cost.mjs);
 * a service with `dataDir` loads it on first use.
 */
import { expect, it, vi } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { serverUrl } from '../support/database.js';
import { freePort } from '../support/pgbouncer.js';

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('@electric-sql/pglite', async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

it('does not load PGlite for a server service, and loads it for an embedded one', async () => {
  // A server when there is one; otherwise a port where none listens (the call fails, after the
  // whole connection path has run).
  const dsn = serverUrl ?? `postgres://postgres@127.0.0.1:${await freePort()}/none`;
  const server = new PostgresSessionService({ dsn, skipDbInit: true, connectTimeoutMs: 2_000 });
  await server.listAppStates('lazy').catch(() => undefined);
  await server.close();
  expect(loads.count).toBe(0);

  const embedded = await PostgresSessionService.create({ dataDir: 'memory://' });
  await embedded.close();
  expect(loads.count).toBe(1);
}, 120_000);
