/**
 * Where the demo keeps its sessions: the PostgreSQL server in DATABASE_URL when it is set,
 * otherwise embedded PGlite persisted in ./.agent-sessions (no server needed).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { redactConnectionString } from '../../src/postgres/connection/connection-string.js';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';

export interface Store {
  /** The connection part of the service options: `dsn` or an embedded `client`. */
  options: PostgresSessionServiceOptions;
  /** Where the data lives, password hidden. */
  describe: string;
  close(): Promise<void>;
}

export async function openStore(env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  const dsn = env.DATABASE_URL?.trim();
  if (dsn) {
    // The services create (and close) their own pool from the DSN.
    return { options: { dsn }, describe: redactConnectionString(dsn), close: async () => {} };
  }
  const dataDir = resolve('.agent-sessions');
  mkdirSync(dataDir, { recursive: true });
  const client = await pgliteClient(dataDir);
  return {
    options: { client },
    describe: `embedded PGlite in ${dataDir}`,
    close: () => client.close(),
  };
}
