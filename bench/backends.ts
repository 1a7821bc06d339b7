/**
 * The two databases a run measures, each with our service and the raw-SQL floor on the same
 * tables: server PostgreSQL (a fresh random schema, dropped at the end; the floor on its own
 * plain `pg.Pool`) and in-memory PGlite (one instance; the floor calls it directly).
 */
import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PostgresSessionService, type PostgresSessionServiceOptions } from '../src/postgres/index.js';
import { type TableNames, tableNames } from '../src/postgres/schema/index.js';
import { pgliteClient } from '../src/sql/pglite-client.js';

/** What the floor needs of a driver: one statement, rows as the driver returns them. */
export interface RawDb {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

export type BackendName = 'server' | 'pglite';
export type PersistMode = 'sync' | 'async';

/** Connections each side may open: enough for the concurrency of W2 (16). */
export const POOL_SIZE = 16;

export interface Backend {
  readonly name: BackendName;
  /** The engine and version, for the report. */
  readonly version: string;
  readonly tables: TableNames;
  /** The floor's connection: a plain pg.Pool, or the PGlite instance itself. */
  readonly floor: RawDb;
  /** Our service, one per persistence mode, created on first use. */
  service(mode: PersistMode): Promise<PostgresSessionService>;
  /** Closes the services and the floor; drops the server schema. Idempotent. */
  close(): Promise<void>;
}

function schemaName(): string {
  return `bench_${randomBytes(6).toString('hex')}`;
}

function services(
  base: PostgresSessionServiceOptions,
): Pick<Backend, 'service'> & { closeAll(): Promise<void> } {
  const made = new Map<PersistMode, Promise<PostgresSessionService>>();
  return {
    service(mode) {
      let service = made.get(mode);
      if (!service) {
        // The sync service creates the tables; the async one finds them.
        const first = made.size === 0;
        service = PostgresSessionService.create({
          ...base,
          asyncPersist: mode === 'async',
          skipDbInit: !first,
        });
        made.set(mode, service);
      }
      return service;
    },
    async closeAll() {
      const all = await Promise.allSettled([...made.values()]);
      await Promise.allSettled(all.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    },
  };
}

/**
 * Server PostgreSQL at `dsn`, in a new schema. With `keep`, close() leaves the schema and its
 * data in place (and says so), to run EXPLAIN against what a workload built.
 */
export async function openServer(dsn: string, keep = false): Promise<Backend> {
  const schema = schemaName();
  const floor = new pg.Pool({ connectionString: dsn, max: POOL_SIZE, application_name: 'bench-floor' });
  floor.on('error', () => {});
  const { rows } = await floor.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  await floor.query(`CREATE SCHEMA "${schema}"`);
  const own = services({ dsn, schema, extraOptions: { max: POOL_SIZE } });
  const tables = tableNames(schema, '');
  // The sync service creates the tables before the floor writes to them.
  await own.service('sync');
  let closing: Promise<void> | undefined;
  return {
    name: 'server',
    version: `PostgreSQL ${rows[0]?.v ?? '?'}`,
    tables,
    floor: { query: (text, params) => floor.query(text, params) },
    service: own.service,
    close() {
      closing ??= (async () => {
        await own.closeAll();
        try {
          if (keep)
            process.stderr.write(
              `[server] kept schema ${schema}: DROP SCHEMA "${schema}" CASCADE when done\n`,
            );
          else await floor.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await floor.end();
        }
      })();
      return closing;
    },
  };
}

/** In-memory PGlite, shared by our service (through its adapter) and the floor. */
export async function openPglite(): Promise<Backend> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db: PGlite = await PGlite.create('memory://');
  const schema = schemaName();
  await db.query(`CREATE SCHEMA "${schema}"`);
  const { rows } = await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  const client = await pgliteClient(db);
  const own = services({ client, schema });
  await own.service('sync');
  let closing: Promise<void> | undefined;
  return {
    name: 'pglite',
    version: `PGlite (PostgreSQL ${rows[0]?.v ?? '?'}, in memory)`,
    tables: tableNames(schema, ''),
    floor: { query: (text, params) => db.query(text, params) },
    service: own.service,
    close() {
      closing ??= (async () => {
        await own.closeAll();
        await db.close();
      })();
      return closing;
    },
  };
}
