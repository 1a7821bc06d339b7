/**
 * The embedded database a service opens itself (the `dataDir` option): PGlite in a directory,
 * opened on first use and closed by the service's close(), so a script that closes its service
 * exits by itself. PGlite is imported only here and only then: a service on a PostgreSQL server
 * never loads its WebAssembly build.
 */
import type { SqlClient, SqlExecutor, SqlResult } from '../../sql/client.js';
import { pgliteClient } from '../../sql/pglite-client.js';
import { asConfigError } from './connection-string.js';

/** A SqlClient that opens PGlite in `dataDir` ('memory://' for memory) when first used. */
export function embeddedClient(dataDir: string): SqlClient {
  let opening: Promise<SqlClient> | undefined;
  let closed = false;
  const open = () => {
    if (closed) return Promise.reject(new Error('the embedded database has been closed'));
    opening ??= pgliteClient(dataDir).catch((error: unknown) => {
      // A failed open (the directory is locked by another process) is tried again next time.
      opening = undefined;
      throw asConfigError(error);
    });
    return opening;
  };
  return {
    kind: 'pglite',
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      return (await open()).query<Row>(text, params);
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      return (await open()).transaction(fn);
    },
    async withConnection<T>(fn: (conn: SqlExecutor) => Promise<T>): Promise<T> {
      return (await open()).withConnection(fn);
    },
    async close(): Promise<void> {
      closed = true;
      const client = await opening?.catch(() => undefined);
      await client?.close();
    },
  };
}
