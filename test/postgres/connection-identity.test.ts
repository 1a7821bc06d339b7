/**
 * The database identity behind the summary lock's scope: services that reach the same database
 * alike share it, anything else is told apart. Nothing here connects.
 */
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type OpenedConnection, openConnection } from '../../src/postgres/connection/open.js';
import { type PostgresSessionServiceOptions, resolvePostgresOptions } from '../../src/postgres/options.js';

const opened: OpenedConnection[] = [];
const identity = (options: PostgresSessionServiceOptions) => {
  const connection = openConnection(resolvePostgresOptions(options));
  opened.push(connection);
  return connection.identity;
};

afterAll(async () => {
  // Pools that never connected: ending them is instant. Embedded ones were never opened.
  for (const connection of opened) if (connection.owned) await connection.client.close();
});

describe('the database identity of a connection', () => {
  it('is the same for two services on one server and database, whatever the user, password or pool settings', () => {
    const a = identity({ dsn: 'postgres://alice:one@db.example:5433/app' });
    expect(identity({ dsn: 'postgres://bob:two@db.example:5433/app', extraOptions: { max: 3 } })).toBe(a);
    expect(identity({ host: 'db.example', port: 5433, database: 'app', user: 'carol' })).toBe(a);
  });

  it('tells apart other hosts, ports, databases and server options', () => {
    const a = identity({ dsn: 'postgres://db.example:5433/app' });
    expect(identity({ dsn: 'postgres://other.example:5433/app' })).not.toBe(a);
    expect(identity({ dsn: 'postgres://db.example:5434/app' })).not.toBe(a);
    expect(identity({ dsn: 'postgres://db.example:5433/other' })).not.toBe(a);
    expect(identity({ dsn: 'postgres://db.example:5433/app?options=-c%20search_path%3Dx' })).not.toBe(a);
  });

  it('is the object for a pool or client passed in, the directory for embedded PGlite', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1 });
    const other = new pg.Pool({ host: '127.0.0.1', port: 1 });
    expect(identity({ pool })).toBe(identity({ pool }));
    expect(identity({ pool: other })).not.toBe(identity({ pool }));
    expect(identity({ dataDir: './some-dir' })).toBe(identity({ dataDir: resolve('some-dir') }));
    expect(identity({ dataDir: './some-dir' })).not.toBe(identity({ dataDir: './another-dir' }));
    // Each in-memory embedded database is one of its own.
    expect(identity({ dataDir: 'memory://' })).not.toBe(identity({ dataDir: 'memory://' }));
    await pool.end();
    await other.end();
  });
});
