/**
 * The PGlite (embedded PostgreSQL in WebAssembly) adapter of {@link SqlClient}.
 */
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlResult } from './client.js';
import { resultParsers } from './parsers.js';

// Per-query parsers, so an instance the caller shares with us keeps its own configuration.
const queryOptions: QueryOptions = { rowMode: 'object', parsers: { ...resultParsers } };

function toResult<Row>(result: Results<Row>): SqlResult<Row> {
  // rowCount comes from the command tag of this statement (rows of a SELECT, rows changed by
  // INSERT/UPDATE/DELETE); affectedRows is the fallback for older results without a tag.
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

function executor(target: Pick<PGlite, 'query'> | Transaction): SqlExecutor {
  return {
    query: async <Row>(text: string, params?: readonly unknown[]) =>
      toResult(await target.query<Row>(text, params ? [...params] : [], queryOptions)),
  };
}

function isPglite(value: unknown): value is PGlite {
  return typeof value === 'object' && value !== null && typeof (value as PGlite).transaction === 'function';
}

/**
 * Opens PGlite behind the {@link SqlClient} contract.
 *
 * @param target a data directory to persist in; `'memory://'` or nothing for an in-memory
 *   database; or an existing PGlite instance, which close() leaves open.
 *
 * PGlite has a single connection. A query issued outside a running transaction waits until the
 * transaction ends (PGlite queues it behind its transaction lock) rather than running inside it.
 * Inside `transaction(fn)`, use the executor `fn` receives: awaiting the client itself there
 * would wait for the transaction that is waiting for it.
 */
export async function pgliteClient(target?: string | PGlite): Promise<SqlClient> {
  let db: PGlite;
  let owned: boolean;
  if (isPglite(target)) {
    db = target;
    owned = false;
  } else {
    // Loaded on demand, so code that only talks to a server never loads the WebAssembly build.
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(target === undefined || target === '' ? 'memory://' : target);
    owned = true;
  }
  const outside = executor(db);
  let closing: Promise<void> | undefined;
  // withConnection callers take turns on the single connection; plain queries are not held up.
  let connectionTurn: Promise<unknown> = Promise.resolve();

  return {
    kind: 'pglite',
    query: outside.query,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => db.transaction((tx) => fn(executor(tx))),
    withConnection<T>(fn: (conn: SqlExecutor) => Promise<T>): Promise<T> {
      const turn = connectionTurn.then(() => fn(outside));
      connectionTurn = turn.catch(() => undefined);
      return turn;
    },
    close(): Promise<void> {
      if (!owned) return Promise.resolve();
      closing ??= db.closed ? Promise.resolve() : db.close();
      return closing;
    },
  };
}
