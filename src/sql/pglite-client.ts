/// <reference types="emscripten" preserve="true" />
// PGlite's declarations use the Emscripten globals without referencing their types; the
// reference (and @types/emscripten as a dependency) lets a user's strict type check pass
// without skipLibCheck.
/**
 * The PGlite (embedded PostgreSQL in WebAssembly) adapter of {@link SqlClient}.
 */
import { realpathSync, statSync } from 'node:fs';
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlResult } from './client.js';
import { SqlConfigError } from './errors.js';
import { JsonArrayParam } from './json-array.js';
import { resultParsers } from './parsers.js';
import { type DataDirLock, lockDataDir } from './pglite-lock.js';
import { PglitePrepared } from './pglite-prepared.js';
import { pgliteStartParams } from './pglite-settings.js';
import { checkDataDirVersion } from './pglite-version.js';
import { ISO_DATE_STYLE } from './timestamps.js';

// Per-query parsers, so an instance the caller shares with us keeps its own configuration.
const queryOptions: QueryOptions = { rowMode: 'object', parsers: { ...resultParsers } };

function toResult<Row>(result: Results<Row>): SqlResult<Row> {
  // rowCount comes from the command tag of this statement (rows of a SELECT, rows changed by
  // INSERT/UPDATE/DELETE); affectedRows is the fallback for older results without a tag.
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

/** A parameter as PGlite takes it: a {@link JsonArrayParam} goes as its JSON text. */
const driverValue = (value: unknown): unknown => (value instanceof JsonArrayParam ? value.text() : value);

/**
 * Runs statements on `target`; those with parameters as prepared statements when `prepared` is
 * given (`inTransaction`: `target` is the transaction PGlite handed us).
 */
function executor(
  target: Pick<PGlite, 'query'> | Transaction,
  prepared?: PglitePrepared,
  inTransaction = false,
): SqlExecutor {
  return {
    async query<Row>(text: string, params?: readonly unknown[]) {
      const values = params ? params.map(driverValue) : undefined;
      const named = prepared && values ? await prepared.query<Row>(text, values, inTransaction) : undefined;
      return toResult(named ?? (await target.query<Row>(text, values ?? [], queryOptions)));
    },
  };
}

/** Options of {@link pgliteClient}. */
export interface PgliteClientOptions {
  /**
   * Run statements with parameters as named prepared statements, planned once per instance
   * (default true): on PGlite, planning the service's statements costs more than running them.
   */
  preparedStatements?: boolean;
  /**
   * PostgreSQL settings to start the database with, as in postgresql.conf (`{ work_mem: '8MB' }`),
   * when pgliteClient opens it; an instance you pass in keeps the settings you started it with.
   * pgliteClient starts PostgreSQL with `shared_buffers` of 16 MB rather than PGlite's 128 MB
   * (see pglite-settings.ts); `{ shared_buffers: '128MB' }` gives those back. `DateStyle` stays ISO,
   * as the result parsers need.
   */
  settings?: Readonly<Record<string, string>>;
}

/**
 * PGlite's error when PostgreSQL does not start ("PGlite failed to initialize properly") says
 * nothing of why; with settings of the caller's, they are the likely reason.
 */
function refusedSettings(settings: Readonly<Record<string, string>>, error: unknown): SqlConfigError {
  // Names only: a value could be anything, a secret included.
  const names = Object.keys(settings).join(', ');
  return new SqlConfigError(
    'settings',
    `PostgreSQL did not start with the settings ${names}: a name it does not know or a value it refuses`,
    { cause: error },
  );
}

/**
 * The directory itself when `path` is a symbolic link to one: PGlite cannot open its database
 * through a link (its file system fails with a bare errno), and two links to one directory then
 * share one lock. A path that does not exist yet is PGlite's to create.
 *
 * @throws SqlConfigError (field `dataDir`) when the path is something other than a directory
 */
function realDirectory(path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return path;
  }
  if (!statSync(real).isDirectory())
    throw new SqlConfigError(
      'dataDir',
      `${path} is not a directory: give a directory for the embedded database`,
    );
  return real;
}

/**
 * A PGlite instance the caller opened, as far as this adapter uses it. A structural type rather
 * than PGlite's class: TypeScript compares classes that have private members by declaration, so
 * an instance of another PGlite release than ours (an application on PGlite 0.6, this package on
 * 0.5) would not type-check, although it runs the same (test/conformance/pglite-next.test.ts).
 */
export type PgliteInstance = Pick<
  PGlite,
  | 'query'
  | 'transaction'
  | 'execProtocolStream'
  | '_runExclusiveQuery'
  | '_runExclusiveTransaction'
  | 'parsers'
  | 'serializers'
  | 'syncToFs'
>;

const FILE_SCHEME = 'file://';

function isPglite(value: unknown): value is PgliteInstance {
  return (
    typeof value === 'object' && value !== null && typeof (value as PgliteInstance).transaction === 'function'
  );
}

/**
 * Opens PGlite behind the {@link SqlClient} contract.
 *
 * @param target a data directory to persist in; `'memory://'` or nothing for an in-memory
 *   database; or an existing PGlite instance, which close() leaves open. A data directory is
 *   locked for this process until close() (see pglite-lock.ts): opening it again, here or in
 *   another process, fails with a ConfigError instead of corrupting it.
 *
 * PGlite has a single connection. A query issued outside a running transaction waits until the
 * transaction ends (PGlite queues it behind its transaction lock) rather than running inside it.
 * Inside `transaction(fn)`, use the executor `fn` receives: awaiting the client itself there
 * would wait for the transaction that is waiting for it.
 */
export async function pgliteClient(
  target?: string | PgliteInstance,
  { preparedStatements = true, settings }: PgliteClientOptions = {},
): Promise<SqlClient> {
  // Loaded on demand, so code that only talks to a server never loads the WebAssembly build.
  const module = await import('@electric-sql/pglite');
  let db: PGlite;
  let owned: boolean;
  let lock: DataDirLock | undefined;
  if (isPglite(target)) {
    if (settings !== undefined)
      throw new SqlConfigError(
        'settings',
        'apply to a database pgliteClient opens: start your PGlite with them',
      );
    // Everything of PGlite this adapter touches is in PgliteInstance.
    db = target as PGlite;
    owned = false;
  } else {
    const given = target === undefined || target === '' ? 'memory://' : target;
    // PGlite reads `file://<path>` as the directory <path>: it gets the same checks and lock.
    const path = given.startsWith(FILE_SCHEME) ? given.slice(FILE_SCHEME.length) : given;
    const onDisk = !/^[a-z]+:\/\//.test(path);
    if (onDisk && path === '') throw new SqlConfigError('dataDir', `${given} names no directory`);
    const dataDir = onDisk ? realDirectory(path) : path;
    if (onDisk) checkDataDirVersion(dataDir);
    const startParams = pgliteStartParams(module.PGlite.defaultStartParams, settings);
    // A directory on disk takes a lock first: a second process on it would corrupt it.
    lock = onDisk ? lockDataDir(dataDir) : undefined;
    try {
      db = await module.PGlite.create(dataDir, { startParams });
    } catch (error) {
      lock?.release();
      throw settings === undefined ? error : refusedSettings(settings, error);
    }
    owned = true;
  }
  // An instance PGlite.create opened here is in ISO unless the caller's settings chose another
  // style (PGlite applies no per-database settings when it starts). A caller's instance may have
  // had another style set in its session.
  if (!owned || settings !== undefined) await db.query(`SELECT ${ISO_DATE_STYLE}`);
  const prepared = preparedStatements ? new PglitePrepared(db, module, queryOptions) : undefined;
  const outside = executor(db, prepared);
  let closing: Promise<void> | undefined;
  // withConnection callers take turns on the single connection; plain queries are not held up.
  let connectionTurn: Promise<unknown> = Promise.resolve();

  return {
    kind: 'pglite',
    query: outside.query,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) =>
      db.transaction((tx) => fn(executor(tx, prepared, true))),
    withConnection<T>(fn: (conn: SqlExecutor) => Promise<T>): Promise<T> {
      const turn = connectionTurn.then(() => fn(outside));
      connectionTurn = turn.catch(() => undefined);
      return turn;
    },
    close(): Promise<void> {
      if (!owned) return Promise.resolve();
      closing ??= (db.closed ? Promise.resolve() : db.close()).finally(() => lock?.release());
      return closing;
    },
  };
}
