/**
 * The six tables of trpc-agent-go's PostgreSQL session store: their names (schema + prefix), the
 * DDL that creates them, and the check that an existing database has them as we need them.
 * Columns, types, defaults, indexes and index names are exactly Go's, so a Go and a TypeScript
 * service can share the tables.
 */
import { ConfigError, StorageError } from '../../session/errors.js';
import type { SqlClient, SqlExecutor } from '../../sql/client.js';
import { isUniqueViolation, sqlState } from '../../sql/errors.js';

/** The six tables, by the keys the rest of the code uses. */
export type TableKey =
  | 'sessionStates'
  | 'sessionEvents'
  | 'sessionTrackEvents'
  | 'sessionSummaries'
  | 'appStates'
  | 'userStates';

export type IndexSuffix = 'unique_active' | 'lookup' | 'expires';

/** `data_type` as information_schema.columns reports it. */
export type ColumnDataType =
  | 'bigint'
  | 'character varying'
  | 'jsonb'
  | 'text'
  | 'timestamp without time zone';

export interface ExpectedColumn {
  readonly name: string;
  readonly dataType: ColumnDataType;
  readonly nullable: boolean;
  /** Whether the column has a default (information_schema.columns.column_default is not null). */
  readonly hasDefault: boolean;
  /** The column's definition in CREATE TABLE, e.g. `VARCHAR(255) NOT NULL`. */
  readonly definition: string;
}

export interface ExpectedTable {
  readonly key: TableKey;
  /** The name without prefix, e.g. `session_states`. */
  readonly base: string;
  readonly columns: readonly ExpectedColumn[];
}

export interface ExpectedIndex {
  readonly table: TableKey;
  readonly suffix: IndexSuffix;
  readonly unique: boolean;
  readonly columns: readonly string[];
  /** The partial-index predicate, e.g. `deleted_at IS NULL`. */
  readonly where: string | undefined;
}

/** Tables in creation order, and indexes in creation order (Go's tableDefs and indexDefs). */
export interface ExpectedSchema {
  readonly tables: readonly ExpectedTable[];
  readonly indexes: readonly ExpectedIndex[];
}

const column = (
  name: string,
  dataType: ColumnDataType,
  definition: string,
  nullable: boolean,
  hasDefault: boolean,
): ExpectedColumn => Object.freeze({ name, dataType, definition, nullable, hasDefault });

const VARCHAR = 'character varying';
const TIMESTAMP = 'timestamp without time zone';

const id = column('id', 'bigint', 'BIGSERIAL PRIMARY KEY', false, true);
const appName = column('app_name', VARCHAR, 'VARCHAR(255) NOT NULL', false, false);
const userId = column('user_id', VARCHAR, 'VARCHAR(255) NOT NULL', false, false);
const sessionId = column('session_id', VARCHAR, 'VARCHAR(255) NOT NULL', false, false);
const createdAt = column(
  'created_at',
  TIMESTAMP,
  'TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP',
  false,
  true,
);
const updatedAt = column(
  'updated_at',
  TIMESTAMP,
  'TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP',
  false,
  true,
);
// PostgreSQL stores no default for an explicit DEFAULT NULL, so these report no column_default.
const expiresAt = column('expires_at', TIMESTAMP, 'TIMESTAMP DEFAULT NULL', true, false);
const deletedAt = column('deleted_at', TIMESTAMP, 'TIMESTAMP DEFAULT NULL', true, false);
const eventJson = column('event', 'jsonb', 'JSONB NOT NULL', false, false);
const stateKey = column('key', VARCHAR, 'VARCHAR(255) NOT NULL', false, false);
const stateValue = column('value', 'text', 'TEXT DEFAULT NULL', true, false);

const table = (key: TableKey, base: string, columns: ExpectedColumn[]): ExpectedTable =>
  Object.freeze({ key, base, columns: Object.freeze(columns) });

const index = (table: TableKey, suffix: IndexSuffix, columns: string[], where?: string): ExpectedIndex =>
  Object.freeze({
    table,
    suffix,
    unique: suffix === 'unique_active',
    columns: Object.freeze(columns),
    where,
  });

const EXPECTED: ExpectedSchema = Object.freeze({
  tables: Object.freeze([
    table('sessionStates', 'session_states', [
      id,
      appName,
      userId,
      sessionId,
      column('state', 'jsonb', 'JSONB DEFAULT NULL', true, false),
      createdAt,
      updatedAt,
      expiresAt,
      deletedAt,
    ]),
    table('sessionEvents', 'session_events', [
      id,
      appName,
      userId,
      sessionId,
      eventJson,
      createdAt,
      updatedAt,
      expiresAt,
      deletedAt,
    ]),
    table('sessionTrackEvents', 'session_track_events', [
      id,
      appName,
      userId,
      sessionId,
      column('track', VARCHAR, 'VARCHAR(255) NOT NULL', false, false),
      eventJson,
      createdAt,
      updatedAt,
      expiresAt,
      deletedAt,
    ]),
    // No created_at: Go's summaries table has none.
    table('sessionSummaries', 'session_summaries', [
      id,
      appName,
      userId,
      sessionId,
      column('filter_key', VARCHAR, "VARCHAR(255) NOT NULL DEFAULT ''", false, true),
      column('summary', 'jsonb', 'JSONB DEFAULT NULL', true, false),
      updatedAt,
      expiresAt,
      deletedAt,
    ]),
    table('appStates', 'app_states', [
      id,
      appName,
      stateKey,
      stateValue,
      createdAt,
      updatedAt,
      expiresAt,
      deletedAt,
    ]),
    table('userStates', 'user_states', [
      id,
      appName,
      userId,
      stateKey,
      stateValue,
      createdAt,
      updatedAt,
      expiresAt,
      deletedAt,
    ]),
  ]),
  indexes: Object.freeze([
    index('sessionStates', 'unique_active', ['app_name', 'user_id', 'session_id'], 'deleted_at IS NULL'),
    index(
      'sessionSummaries',
      'unique_active',
      ['app_name', 'user_id', 'session_id', 'filter_key'],
      'deleted_at IS NULL',
    ),
    index('appStates', 'unique_active', ['app_name', 'key'], 'deleted_at IS NULL'),
    index('userStates', 'unique_active', ['app_name', 'user_id', 'key'], 'deleted_at IS NULL'),
    index('sessionEvents', 'lookup', ['app_name', 'user_id', 'session_id', 'created_at']),
    index('sessionTrackEvents', 'lookup', ['app_name', 'user_id', 'session_id', 'track', 'created_at']),
    ...(
      [
        'sessionStates',
        'sessionEvents',
        'sessionTrackEvents',
        'sessionSummaries',
        'appStates',
        'userStates',
      ] as const
    ).map((key) => index(key, 'expires', ['expires_at'], 'expires_at IS NOT NULL')),
  ]),
});

/** The tables, columns and indexes trpc-agent-go creates; shared by the DDL, the verifier and tests. */
export function describeExpectedSchema(): ExpectedSchema {
  return EXPECTED;
}

// ---------------------------------------------------------------------------------------------
// Names

/** One table's names. */
export interface TableName {
  readonly key: TableKey;
  /** `session_states` */
  readonly base: string;
  /** The table's name without schema: `trpc_session_states`. */
  readonly name: string;
  /** The schema option (lower-cased); '' means the connection's current_schema(). */
  readonly schema: string;
  /** Ready for SQL: `"my_schema"."trpc_session_states"`, or `"trpc_session_states"`. */
  readonly qualified: string;
  /** Index names by suffix, as Go names them (only the suffixes this table has). */
  readonly indexes: Readonly<Partial<Record<IndexSuffix, string>>>;
}

/**
 * All six tables' names, resolved once from the schema and prefix options:
 * `tables.sessionEvents.qualified` is `"s"."trpc_session_events"`, ready for SQL text.
 */
export type TableNames = Readonly<Record<TableKey, TableName>> & {
  /** The schema option (lower-cased), '' for current_schema(). */
  readonly schema: string;
  /** The prefix as used in names: '' or ending in `_` (lower-cased). */
  readonly prefix: string;
  /** The six tables in creation order. */
  readonly all: readonly TableName[];
};

/** Names of schemas, prefixes, tables and indexes: what PostgreSQL accepts unquoted. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1), which could make two names collide. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Quotes an identifier for SQL text. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Resolves the table and index names for a schema and a table prefix, with trpc-agent-go's
 * rules: `_` is appended to a prefix that lacks it (`trpc` and `trpc_` both give
 * `trpc_session_states`); index names are `idx_<schema>_<table>_<suffix>` with a schema and
 * `idx_<table>_<suffix>` without.
 *
 * Names are lower-cased: Go writes them unquoted into its DDL, so PostgreSQL folds
 * `MySchema`/`Trpc` to `myschema`/`trpc_...`; folding here finds the same tables while still
 * quoting every name (so a schema called `user` works).
 *
 * @throws ConfigError (field `schema` or `tablePrefix`) when a name has characters other than
 *   letters, digits and `_`, starts with a digit, or makes a table or index name longer than 63 bytes.
 */
export function tableNames(schema: string, prefix: string): TableNames {
  if (typeof schema !== 'string' || (schema !== '' && !IDENTIFIER.test(schema))) {
    throw new ConfigError(
      'schema',
      `must match ${IDENTIFIER.source} (letters, digits and _), got "${schema}"`,
    );
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !IDENTIFIER.test(prefix))) {
    throw new ConfigError(
      'tablePrefix',
      `must match ${IDENTIFIER.source} (letters, digits and _), got "${prefix}"`,
    );
  }
  const s = schema.toLowerCase();
  const p = prefix === '' || prefix.endsWith('_') ? prefix.toLowerCase() : `${prefix.toLowerCase()}_`;
  const entries = EXPECTED.tables.map((t): TableName => {
    const name = p + t.base;
    const indexes: Partial<Record<IndexSuffix, string>> = {};
    for (const i of EXPECTED.indexes) {
      if (i.table === t.key)
        indexes[i.suffix] = s ? `idx_${s}_${name}_${i.suffix}` : `idx_${name}_${i.suffix}`;
    }
    for (const n of [name, ...Object.values(indexes)]) {
      if (Buffer.byteLength(n) > MAX_IDENTIFIER_BYTES) {
        // Blame the schema when the name would be too long even without the prefix.
        const field =
          s && n.startsWith(`idx_${s}_`) && n.length - p.length > MAX_IDENTIFIER_BYTES
            ? 'schema'
            : 'tablePrefix';
        throw new ConfigError(
          field,
          `makes the name ${n} ${Buffer.byteLength(n)} bytes long; PostgreSQL allows ${MAX_IDENTIFIER_BYTES} (shorten the schema or the table prefix)`,
        );
      }
    }
    return Object.freeze({
      key: t.key,
      base: t.base,
      name,
      schema: s,
      qualified: s ? `${quoteIdentifier(s)}.${quoteIdentifier(name)}` : quoteIdentifier(name),
      indexes: Object.freeze(indexes),
    });
  });
  const byKey = Object.fromEntries(entries.map((e) => [e.key, e])) as Record<TableKey, TableName>;
  return Object.freeze({ ...byKey, schema: s, prefix: p, all: Object.freeze(entries) });
}

// ---------------------------------------------------------------------------------------------
// DDL

interface DdlStatement {
  /** The table or index the statement creates. */
  readonly object: string;
  readonly sql: string;
}

function indexDdl(tables: TableNames, i: ExpectedIndex): string {
  const t = tables[i.table];
  const name = t.indexes[i.suffix]!;
  const where = i.where ? ` WHERE ${i.where}` : '';
  return `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdentifier(name)} ON ${t.qualified} (${i.columns.join(', ')})${where}`;
}

function ddlPlan(tables: TableNames): DdlStatement[] {
  const creates = EXPECTED.tables.map((def) => {
    const t = tables[def.key];
    const columns = def.columns.map((c) => `  ${c.name} ${c.definition}`).join(',\n');
    return { object: t.name, sql: `CREATE TABLE IF NOT EXISTS ${t.qualified} (\n${columns}\n)` };
  });
  const indexes = EXPECTED.indexes.map((i) => ({
    object: tables[i.table].indexes[i.suffix]!,
    sql: indexDdl(tables, i),
  }));
  return [...creates, ...indexes];
}

/**
 * The 6 CREATE TABLE IF NOT EXISTS and 12 CREATE [UNIQUE] INDEX IF NOT EXISTS statements, in
 * trpc-agent-go's order (tables, then unique indexes, lookup indexes, expiry indexes).
 */
export function schemaDdl(tables: TableNames): string[] {
  return ddlPlan(tables).map((s) => s.sql);
}

// ---------------------------------------------------------------------------------------------
// Advisory locks

/**
 * Takes a transaction-scoped advisory lock named by `purpose`, the database, the schema and the
 * table prefix, so services sharing one set of tables take turns while other table sets (another
 * schema or prefix) are not blocked. With `wait: false`, returns false instead of waiting.
 */
export async function lockTables(
  tx: SqlExecutor,
  tables: TableNames,
  purpose: string,
  { wait = true }: { wait?: boolean } = {},
): Promise<boolean> {
  const fn = wait ? 'pg_advisory_xact_lock' : 'pg_try_advisory_xact_lock';
  const { rows } = await tx.query<{ locked: boolean | null }>(
    `SELECT ${fn}(hashtextextended(concat_ws(':', 'agent-sessions', $1::text, current_database(),
       coalesce(nullif($2::text, ''), current_schema()), $3::text), 0))${wait ? ' IS NULL' : ''} AS locked`,
    [purpose, tables.schema, tables.prefix],
  );
  // pg_advisory_xact_lock returns void, so "IS NULL" turns its result into true.
  return rows[0]?.locked === true;
}

// ---------------------------------------------------------------------------------------------
// Inspection and verification

async function schemaInfo(
  db: SqlExecutor,
  tables: TableNames,
): Promise<{ name: string | null; exists: boolean }> {
  const { rows } = await db.query<{ name: string | null; exists: boolean }>(
    `SELECT coalesce(nullif($1::text, ''), current_schema()) AS name,
       EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = coalesce(nullif($1::text, ''), current_schema())) AS exists`,
    [tables.schema],
  );
  return rows[0] ?? { name: null, exists: false };
}

async function existingRelations(db: SqlExecutor, schema: string, names: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY (string_to_array($2::text, ','))`,
    [schema, names.join(',')],
  );
  return new Set(rows.map((r) => r.relname));
}

/** What verification found that does not stop the service: missing or different non-unique indexes. */
export interface SchemaReport {
  /** Tables and indexes this call created (empty when everything existed). */
  readonly created: readonly string[];
  readonly warnings: readonly string[];
}

const normalizeDef = (def: string) => def.toLowerCase().replace(/"/g, '').replace(/\s+/g, ' ').trim();

/** Splits pg_get_indexdef's `... USING btree (a, b) WHERE (p)` into columns and predicate. */
function parseIndexDef(def: string): { columns: string[]; where: string | undefined } | undefined {
  const m = / using \w+ \((.+?)\)(?: where (.+))?$/.exec(normalizeDef(def));
  if (!m) return undefined;
  const where = m[2]?.replace(/^\((.*)\)$/, '$1');
  return { columns: m[1]!.split(',').map((c) => c.trim()), where };
}

function describeColumn(c: { dataType: string; nullable: boolean }): string {
  return `${c.dataType}${c.nullable ? ' NULL' : ' NOT NULL'}`;
}

const MIGRATE_HINT = 'run `agent-sessions migrate`, or start the service without skipDbInit, to create it';

/**
 * Checks that the tables exist with the columns and indexes the service needs. Extra columns and
 * indexes are fine. A missing or different non-unique index only slows queries and is returned as
 * a warning; anything else throws.
 *
 * @throws ConfigError (field `schema`) listing every problem, each with the statement that fixes it.
 */
export async function verifySchema(db: SqlExecutor, tables: TableNames): Promise<SchemaReport> {
  const info = await schemaInfo(db, tables);
  if (info.name === null) {
    throw new ConfigError(
      'schema',
      'no schema is selected (the search_path names no existing schema); set the schema option',
    );
  }
  if (!info.exists) {
    throw new ConfigError(
      'schema',
      `schema ${info.name} does not exist; create it with CREATE SCHEMA ${quoteIdentifier(info.name)}`,
    );
  }
  const schema = info.name;
  const names = tables.all.map((t) => t.name);

  const existing = await existingRelations(db, schema, names);
  const columns = await db.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
  }>(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = ANY (string_to_array($2::text, ','))`,
    [schema, names.join(',')],
  );
  const indexes = await db.query<{ table_name: string; index_name: string; is_unique: boolean; def: string }>(
    `SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS is_unique,
       pg_get_indexdef(i.oid) AS def
     FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_index ix ON ix.indrelid = t.oid JOIN pg_class i ON i.oid = ix.indexrelid
     WHERE n.nspname = $1 AND t.relname = ANY (string_to_array($2::text, ','))`,
    [schema, names.join(',')],
  );

  const problems: string[] = [];
  const warnings: string[] = [];
  const display = (t: TableName) => `${schema}.${t.name}`;
  const sqlName = (t: TableName) => `${quoteIdentifier(schema)}.${quoteIdentifier(t.name)}`;

  for (const def of EXPECTED.tables) {
    const t = tables[def.key];
    if (!existing.has(t.name)) {
      problems.push(`table ${display(t)} does not exist; ${MIGRATE_HINT}`);
      continue;
    }
    const actual = new Map(
      columns.rows.filter((r) => r.table_name === t.name).map((r) => [r.column_name, r]),
    );
    for (const c of def.columns) {
      const got = actual.get(c.name);
      if (!got) {
        problems.push(
          `table ${display(t)} is missing column ${c.name} (${describeColumn(c)}); add it: ALTER TABLE ${sqlName(t)} ADD COLUMN ${c.name} ${c.definition.replace(' PRIMARY KEY', '')}`,
        );
        continue;
      }
      if (got.data_type !== c.dataType) {
        problems.push(
          `column ${display(t)}.${c.name} has type ${got.data_type}, expected ${c.dataType}; change it: ALTER TABLE ${sqlName(t)} ALTER COLUMN ${c.name} TYPE ${c.definition.split(' ')[0]!.replace('BIGSERIAL', 'BIGINT')} USING ${c.name}::${c.dataType === VARCHAR ? 'varchar(255)' : c.dataType}`,
        );
      }
      const nullable = got.is_nullable === 'YES';
      if (nullable !== c.nullable) {
        problems.push(
          `column ${display(t)}.${c.name} is ${nullable ? 'nullable' : 'NOT NULL'}, expected ${c.nullable ? 'nullable' : 'NOT NULL'}; change it: ALTER TABLE ${sqlName(t)} ALTER COLUMN ${c.name} ${c.nullable ? 'DROP' : 'SET'} NOT NULL`,
        );
      }
    }
  }

  const byName = new Map(indexes.rows.map((r) => [r.index_name, r]));
  for (const i of EXPECTED.indexes) {
    const t = tables[i.table];
    if (!existing.has(t.name)) continue;
    const name = t.indexes[i.suffix]!;
    const got = byName.get(name);
    const expectedText = `(${i.columns.join(', ')})${i.where ? ` WHERE ${i.where}` : ''}`;
    const create = indexDdl(tables, i).replace(' IF NOT EXISTS', '');
    let problem: string | undefined;
    if (!got) {
      problem = `index ${name} on ${display(t)} ${expectedText} does not exist`;
    } else if (got.table_name !== t.name) {
      problem = `index ${name} is on table ${schema}.${got.table_name}, expected ${display(t)}`;
    } else {
      const parsed = parseIndexDef(got.def);
      const wrongShape =
        !parsed ||
        parsed.columns.join(', ') !== i.columns.join(', ') ||
        (parsed.where ?? '') !== (i.where ?? '').toLowerCase();
      if (i.unique && !got.is_unique) problem = `index ${name} on ${display(t)} is not unique`;
      else if (wrongShape)
        problem = `index ${name} on ${display(t)} is "${got.def}", expected ${expectedText}`;
    }
    if (!problem) continue;
    if (i.unique) {
      // Upserts name these indexes' columns in ON CONFLICT and creates rely on them to reject a
      // second live row, so without them the service would corrupt data; refuse to start.
      const fix = got
        ? `replace it: DROP INDEX ${quoteIdentifier(schema)}.${quoteIdentifier(name)}; ${create}`
        : `${MIGRATE_HINT}, or run: ${create}`;
      problems.push(`${problem}; ${fix}`);
    } else {
      warnings.push(`${problem}; queries will be slower (${got ? 'recreate' : 'create'} it: ${create})`);
    }
  }

  if (problems.length > 0) {
    throw new ConfigError(
      'schema',
      `the session tables do not match trpc-agent-go's schema:\n- ${problems.join('\n- ')}`,
    );
  }
  return Object.freeze({ created: Object.freeze([]), warnings: Object.freeze(warnings) });
}

function asStorageError(error: unknown, tables: TableNames): Error {
  if (error instanceof ConfigError || error instanceof StorageError) return error;
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
  if (state === '42501') {
    return new StorageError(
      `creating the session tables failed: ${message}; grant CREATE on the schema, or create the tables with \`agent-sessions migrate\` as an owner and start with skipDbInit`,
      { cause: error },
    );
  }
  return new StorageError(`creating the session tables failed: ${message}`, { cause: error });
}

// Codes a CREATE ... IF NOT EXISTS can still raise when another session (e.g. a Go service, which
// takes no lock) creates the same object at the same moment: unique_violation on the catalog,
// duplicate_table, duplicate_object.
const RACE_STATES = new Set(['42P07', '42710']);

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
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissing(client, tables);
    } catch (error) {
      if (!isRace(error) || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}

const isRace = (error: unknown) => isUniqueViolation(error) || RACE_STATES.has(sqlState(error) ?? '');

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
      // A CREATE INDEX fails on a table that exists with other columns; the verifier's account
      // of what is wrong (and how to fix it) is more useful than the DDL error.
      await verifySchema(client, tables).catch((verification: unknown) => {
        if (verification instanceof ConfigError) throw verification;
      });
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
