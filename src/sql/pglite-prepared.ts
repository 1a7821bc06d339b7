/**
 * Named prepared statements on PGlite. `PGlite.query` parses and plans every statement anew
 * (an unnamed statement); on a single-threaded WebAssembly PostgreSQL, planning our CTE statements
 * costs several times what running them does (the getSession read: 4.6 ms unnamed, 1.0 ms
 * prepared). Here a statement with parameters is parsed once per PGlite instance under a name
 * from statement-names.ts, and each call only binds and executes it, speaking the extended
 * protocol through PGlite's own `execProtocolStream` and reading the answer with its own parser,
 * so rows come out exactly as `query` would give them.
 *
 * The locks are PGlite's own, taken as `query` takes them: outside a transaction, the transaction
 * lock (so the statement never lands inside someone's open transaction) and then the query lock;
 * inside one, the query lock only.
 */
import type { PGlite, QueryOptions, Results } from '@electric-sql/pglite';
import { statementName } from './statement-names.js';

type PgliteModule = typeof import('@electric-sql/pglite');
type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

/** SQLSTATE invalid_sql_statement_name: the statement was dropped (DEALLOCATE, DISCARD ALL). */
const UNKNOWN_STATEMENT = '26000';

/** Parameter type OIDs of the statements prepared on each instance, by statement name. */
const preparedOn = new WeakMap<PGlite, Map<string, number[]>>();

/** Runs statements on one PGlite instance as named prepared statements. */
export class PglitePrepared {
  readonly #db: PGlite;
  readonly #module: PgliteModule;
  readonly #options: QueryOptions;
  readonly #prepared: Map<string, number[]>;

  constructor(db: PGlite, module: PgliteModule, options: QueryOptions) {
    this.#db = db;
    this.#module = module;
    this.#options = options;
    let prepared = preparedOn.get(db);
    if (!prepared) {
      prepared = new Map();
      preparedOn.set(db, prepared);
    }
    this.#prepared = prepared;
  }

  /**
   * Runs `text` with `params` as a prepared statement, or returns undefined when it should run
   * unnamed instead (no parameters, or the bound on statement names is reached).
   * `inTransaction`: the caller holds PGlite's transaction (this is its `tx.query`).
   */
  async query<Row>(
    text: string,
    params: readonly unknown[],
    inTransaction: boolean,
  ): Promise<Results<Row> | undefined> {
    if (params.length === 0) return undefined;
    const name = statementName(text);
    if (name === undefined) return undefined;
    const db = this.#db;
    const run = () => db._runExclusiveQuery(() => this.#execute<Row>(name, text, params));
    if (inTransaction) return run();
    return db._runExclusiveTransaction(async () => {
      let result: Results<Row>;
      try {
        result = await run();
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNKNOWN_STATEMENT) throw error;
        // Dropped behind our back (and forgotten by #execute); Bind failed before anything ran,
        // so once more is safe here. Inside a transaction the error has aborted it: the caller
        // sees it.
        result = await run();
      }
      // As PGlite.query does after a statement outside a transaction: persist to the data
      // directory's file system (a no-op in memory).
      await db.syncToFs();
      return result;
    });
  }

  async #execute<Row>(name: string, text: string, params: readonly unknown[]): Promise<Results<Row>> {
    const { serialize } = this.#module.protocol;
    const db = this.#db;
    const send = (message: Uint8Array) => db.execProtocolStream(message, { syncToFs: false });
    const messages: BackendMessage[] = [];
    try {
      let types = this.#prepared.get(name);
      if (types === undefined) {
        // Close first: a statement left half-prepared by an earlier failure would make Parse
        // fail with "already exists"; closing one that does not exist is no error.
        await send(serialize.close({ type: 'S', name }));
        await send(serialize.parse({ name, text }));
        types = this.#module.parse.parseDescribeStatementResults(
          await send(serialize.describe({ type: 'S', name })),
        );
        this.#prepared.set(name, types);
      }
      const values = params.map((value, i) => {
        if (value === null || value === undefined) return null;
        const serializer = db.serializers[types![i]!];
        return serializer ? serializer(value) : String(value);
      });
      messages.push(
        ...(await send(serialize.bind({ statement: name, values }))),
        ...(await send(serialize.describe({ type: 'P' }))),
        ...(await send(serialize.execute({}))),
      );
    } catch (error) {
      // Dropped behind our back: parse it again next time. (A failed Parse recorded nothing; a
      // Bind refused for a bad value leaves the statement in place.)
      if ((error as { code?: unknown }).code === UNKNOWN_STATEMENT) this.#prepared.delete(name);
      throw error;
    } finally {
      // The extended protocol skips everything after an error until Sync; Sync also ends the
      // implicit transaction of a statement run outside an explicit one.
      messages.push(...(await send(serialize.sync())));
    }
    return this.#module.parse.parseResults(messages, db.parsers, this.#options)[0] as Results<Row>;
  }
}
