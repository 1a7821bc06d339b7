/** Creating what is missing at start-up, safe against other services creating the same objects. */
import { ConfigError, StorageError } from '../../session/errors.js';
import type { SqlClient, SqlExecutor } from '../../sql/client.js';
import { isUniqueViolation, SqlConfigError, sqlState } from '../../sql/errors.js';
import { asConfigError } from '../connection/connection-string.js';
import { ddlPlan, lockTables } from './ddl.js';
import { quoteIdentifier, type TableNames } from './names.js';
import { existingRelations, type SchemaReport, schemaInfo, verifySchema } from './verify.js';

// Schemas PostgreSQL keeps for itself: no role may create tables there, so no grant helps.
const SYSTEM_SCHEMA = /^(pg_|information_schema$)/;

function asStorageError(error: unknown, tables: TableNames): Error {
  if (error instanceof ConfigError || error instanceof StorageError) return error;
  if (error instanceof SqlConfigError) return asConfigError(error);
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (state === '3F000') {
    return new ConfigError(
      'schema',
      `${message}; create the schema first (CREATE SCHEMA ${quoteIdentifier(tables.schema || 'public')})`,
      {
        cause: error,
      },
    );
  }
  if (state === '42501' && SYSTEM_SCHEMA.test(tables.schema)) {
    return new ConfigError(
      'schema',
      `${message}; ${tables.schema} is a system schema, which cannot hold the session tables: choose another schema`,
      { cause: error },
    );
  }
  if (state === '42501') {
    return new StorageError(
      `creating the session tables failed: ${message}; grant CREATE on the schema, or create the tables with \`agent-sessions migrate\` as an owner and start with skipDbInit`,
      { cause: error },
    );
  }
  if (isUniqueViolation(error)) {
    // Not a race (see isRace): live rows of the table share the new unique index's key.
    const detail = (error as { detail?: unknown }).detail;
    return new StorageError(
      `creating the session tables failed: ${message}${typeof detail === 'string' ? ` (${detail})` : ''}; live rows (deleted_at IS NULL) share the index's key: soft-delete or delete the duplicates, then run again`,
      { cause: error },
    );
  }
  return new StorageError(`creating the session tables failed: ${message}`, { cause: error });
}

// Codes a CREATE ... IF NOT EXISTS can still raise when another session (e.g. a Go service, which
// takes no lock) creates the same object at the same moment: unique_violation on the catalog,
// duplicate_table, duplicate_object, duplicate_schema.
const RACE_STATES = new Set(['42P07', '42710', '42P06']);

// How often a statement (or the whole creation) is tried again after colliding with a service
// that creates the same objects without our lock (trpc-agent-go).
const CREATE_ATTEMPTS = 5;

async function createWhatIsMissing(client: SqlClient, tables: TableNames): Promise<string[]> {
  const info = await schemaInfo(client, tables);
  const plan = ddlPlan(tables);
  const existing =
    info.name !== null && info.exists
      ? await existingRelations(
          client,
          info.name,
          plan.map((s) => s.object),
        )
      : new Set<string>();
  if (plan.every((s) => existing.has(s.object))) return [];
  return againAfterRace(() => createMissing(client, tables));
}

/**
 * Runs a whole creation transaction, and runs it again (up to CREATE_ATTEMPTS times in all) when it
 * collided with a service that creates the same objects without our lock; any other error, or the
 * last collision, is thrown as it came.
 */
async function againAfterRace<T>(create: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (!isRace(error) || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}

// The catalog's own unique indexes (pg_type_typname_nsp_index, pg_class_relname_nsp_index,
// pg_namespace_nspname_index): a unique violation there is another session creating the same name.
// One on our index is live rows sharing its key, which no retry cures.
const CATALOG_INDEX = /^pg_\w+_index$/;

function isRace(error: unknown): boolean {
  if (RACE_STATES.has(sqlState(error) ?? '')) return true;
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return isUniqueViolation(error) && typeof constraint === 'string' && CATALOG_INDEX.test(constraint);
}

/**
 * Whether the DDL failed on the shape of what exists (a CREATE INDEX naming a column an existing
 * table lacks, of another type), which the verifier explains with the fix. A refusal (no
 * privilege), bad data (duplicate rows) or a failing server is reported as it is.
 */
function shapeError(error: unknown): boolean {
  const state = sqlState(error);
  return state?.startsWith('42') === true && state !== '42501';
}

/**
 * Runs one CREATE ... IF NOT EXISTS inside a savepoint. When a service that takes no lock created
 * the same object at the same moment, only this statement is rolled back and run again (now a
 * no-op), so the work done so far is kept. Returns whether this call created the object.
 */
async function createRacing(tx: SqlExecutor, sql: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    await tx.query('SAVEPOINT agent_sessions_create');
    try {
      await tx.query(sql);
      await tx.query('RELEASE SAVEPOINT agent_sessions_create');
      return attempt === 1;
    } catch (error) {
      if (!isRace(error) || attempt >= CREATE_ATTEMPTS) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT agent_sessions_create');
    }
  }
}

async function createMissing(client: SqlClient, tables: TableNames): Promise<string[]> {
  return client.transaction(async (tx) => {
    await lockTables(tx, tables, 'init');
    const info = await schemaInfo(tx, tables);
    if (info.name === null || !info.exists) return [];
    const plan = ddlPlan(tables);
    // Checked again under the lock: another service may have created everything meanwhile.
    const existing = await existingRelations(
      tx,
      info.name,
      plan.map((s) => s.object),
    );
    const created: string[] = [];
    for (const statement of plan) {
      if (existing.has(statement.object)) continue;
      if (await createRacing(tx, statement.sql)) created.push(statement.object);
    }
    return created;
  });
}

/**
 * Creates the named schema (`tables.schema`, which must not be empty) unless it exists. Runs under
 * the tables' creation lock, so migrations of one new schema run at once do not collide, and is
 * tried again after a collision with a session that takes no lock (pg_namespace_nspname_index).
 *
 * @throws StorageError when the database refuses (no CREATE privilege on the database).
 */
export async function createSchemaIfMissing(client: SqlClient, tables: TableNames): Promise<void> {
  const sql = `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(tables.schema)}`;
  try {
    await againAfterRace(() =>
      client.transaction(async (tx) => {
        await lockTables(tx, tables, 'init');
        if (!(await schemaInfo(tx, tables)).exists) await tx.query(sql);
      }),
    );
  } catch (error) {
    if (sqlState(error) !== '42501') throw asStorageError(error, tables);
    throw new StorageError(
      `creating schema ${tables.schema} failed: ${error instanceof Error ? error.message : String(error)}; grant CREATE on the database, or create the schema as an owner (${sql})`,
      { cause: error },
    );
  }
}

/**
 * Creates whatever of the tables and indexes is missing, then verifies them (see verifySchema).
 *
 * Nothing is run when everything exists: CREATE INDEX IF NOT EXISTS locks its table against
 * writes even when the index exists, so a restarting service would otherwise stall traffic.
 * Creation runs in one transaction holding an advisory lock keyed by database, schema and prefix,
 * because several services starting at once on an empty database would otherwise race and fail
 * (concurrent CREATE TABLE IF NOT EXISTS can raise a unique violation on pg_type).
 *
 * @param options.skipCreate only verify.
 * @throws ConfigError when the tables do not match; StorageError when the database fails.
 */
export async function initSchema(
  client: SqlClient,
  tables: TableNames,
  options: { skipCreate?: boolean } = {},
): Promise<SchemaReport> {
  let created: string[] = [];
  if (!options.skipCreate) {
    try {
      created = await createWhatIsMissing(client, tables);
    } catch (error) {
      // The transaction itself was refused (a pooler in statement mode): nothing was checked.
      if (error instanceof SqlConfigError) throw asStorageError(error, tables);
      // A CREATE INDEX fails on a table that exists with other columns; the verifier's account
      // of what is wrong (and how to fix it) is more useful than the DDL error.
      if (shapeError(error)) {
        await verifySchema(client, tables, { cause: error }).catch((verification: unknown) => {
          if (verification instanceof ConfigError) throw verification;
        });
      }
      throw asStorageError(error, tables);
    }
  }
  let report: SchemaReport;
  try {
    report = await verifySchema(client, tables);
  } catch (error) {
    throw asStorageError(error, tables);
  }
  return Object.freeze({ created: Object.freeze(created), warnings: report.warnings });
}
