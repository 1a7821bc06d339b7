/** The check that an existing database has the tables as we need them (skipDbInit). */
import { ConfigError } from '../../session/errors.js';
import type { SqlExecutor } from '../../sql/client.js';
import { indexDdl } from './ddl.js';
import { EXPECTED, VARCHAR } from './expected.js';
import { quoteIdentifier, type TableName, type TableNames } from './names.js';

export async function schemaInfo(
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

export async function existingRelations(
  db: SqlExecutor,
  schema: string,
  names: string[],
): Promise<Set<string>> {
  const { rows } = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY (string_to_array($2::text, ','))`,
    [schema, names.join(',')],
  );
  return new Set(rows.map((r) => r.relname));
}

/**
 * The tables of `names` whose columns the current role may not see, as information_schema
 * decides it (neither the owner's role nor a SELECT, INSERT, UPDATE or REFERENCES privilege on
 * any column: a role with DELETE alone sees none), and whether it lacks USAGE on the schema;
 * `role` is set only when something is denied.
 */
async function unusableTables(
  db: SqlExecutor,
  schema: string,
  names: string[],
): Promise<{ role: string | undefined; schema: boolean; tables: Set<string> }> {
  const { rows } = await db.query<{ role: string; schema_usage: boolean; denied: string[] | null }>(
    `SELECT current_user::text AS role, has_schema_privilege(n.oid, 'USAGE') AS schema_usage,
       (SELECT array_agg(c.relname::text) FROM pg_class c
        WHERE c.relnamespace = n.oid AND c.relname = ANY (string_to_array($2::text, ','))
          AND NOT pg_has_role(c.relowner, 'USAGE')
          AND NOT has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')) AS denied
     FROM pg_namespace n WHERE n.nspname = $1`,
    [schema, names.join(',')],
  );
  const row = rows[0];
  const tables = new Set(row?.denied ?? []);
  const schemaDenied = row !== undefined && !row.schema_usage;
  return { role: schemaDenied || tables.size > 0 ? row!.role : undefined, schema: schemaDenied, tables };
}

/** What verification found that does not stop the service: missing or different non-unique indexes. */
export interface SchemaReport {
  /** Tables and indexes this call created (empty when everything existed). */
  readonly created: readonly string[];
  readonly warnings: readonly string[];
}

interface FoundIndex {
  /** The relation of that name: an index of this schema's tables, or another kind of relation. */
  readonly index_name: string;
  /** The table it is on; null when the name belongs to a table, sequence or view. */
  readonly table_name: string | null;
  readonly is_unique: boolean | null;
  /** False for an index a failed (or still running) CREATE INDEX CONCURRENTLY left. */
  readonly is_valid: boolean | null;
  readonly def: string | null;
}

/**
 * The relations of `schema` that bear our index names. Looked up by name, not by table: another
 * schema/prefix configuration can derive the same index name for its own table (schema `s` without
 * a prefix and prefix `s` in schema `s` both name `idx_s_session_states_unique_active`), and
 * CREATE INDEX IF NOT EXISTS then silently skips ours.
 */
async function indexesNamed(db: SqlExecutor, schema: string, tables: TableNames): Promise<FoundIndex[]> {
  const names = tables.all.flatMap((t) => Object.values(t.indexes));
  const { rows } = await db.query<FoundIndex>(
    `SELECT i.relname AS index_name, t.relname AS table_name, ix.indisunique AS is_unique,
       ix.indisvalid AND ix.indisready AND ix.indislive AS is_valid,
       CASE WHEN ix.indexrelid IS NOT NULL THEN pg_get_indexdef(i.oid) END AS def
     FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace
     LEFT JOIN pg_index ix ON ix.indexrelid = i.oid LEFT JOIN pg_class t ON t.oid = ix.indrelid
     WHERE n.nspname = $1 AND i.relname = ANY (string_to_array($2::text, ','))`,
    [schema, names.join(',')],
  );
  return rows;
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
 * @param options.cause the error that made the caller verify (a failed CREATE), kept as the cause.
 * @throws ConfigError (field `schema`) listing every problem, each with the statement that fixes it.
 */
export async function verifySchema(
  db: SqlExecutor,
  tables: TableNames,
  { cause }: { cause?: unknown } = {},
): Promise<SchemaReport> {
  const info = await schemaInfo(db, tables);
  if (info.name === null) {
    throw new ConfigError(
      'schema',
      'no schema is selected (no schema of the search_path exists); set the schema option (--schema on the command line)',
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
  // information_schema shows only the columns of tables the role may use, so a role without
  // privileges would be told its tables miss every column; name the privilege instead.
  const denied = await unusableTables(db, schema, names);
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
  const indexes = await indexesNamed(db, schema, tables);

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
    if (denied.role !== undefined && (denied.schema || denied.tables.has(t.name))) {
      const role = quoteIdentifier(denied.role);
      problems.push(
        denied.schema
          ? `role ${denied.role} has no USAGE privilege on schema ${schema}, which holds table ${display(t)}; grant it: GRANT USAGE ON SCHEMA ${quoteIdentifier(schema)} TO ${role}`
          : `role ${denied.role} may not read table ${display(t)} (no SELECT, INSERT, UPDATE or REFERENCES privilege); grant them: GRANT SELECT, INSERT, UPDATE, DELETE ON ${sqlName(t)} TO ${role}`,
      );
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

  const byName = new Map(indexes.map((r) => [r.index_name, r]));
  for (const i of EXPECTED.indexes) {
    const t = tables[i.table];
    if (!existing.has(t.name)) continue;
    const name = t.indexes[i.suffix]!;
    const got = byName.get(name);
    if (got && got.table_name !== t.name) {
      // Not ours to drop: it serves the other configuration's table.
      const owner = got.table_name === null ? 'a relation' : `table ${schema}.${got.table_name}`;
      problems.push(
        `index name ${name} is already used by ${owner} (another schema/table-prefix configuration); choose another tablePrefix or schema`,
      );
      continue;
    }
    const expectedText = `(${i.columns.join(', ')})${i.where ? ` WHERE ${i.where}` : ''}`;
    const create = indexDdl(tables, i).replace(' IF NOT EXISTS', '');
    const drop = `DROP INDEX ${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
    let problem: string | undefined;
    let fix = `replace it: ${drop}; ${create}`;
    if (!got) {
      problem = `index ${name} on ${display(t)} ${expectedText} does not exist`;
      fix = `${MIGRATE_HINT}, or run: ${create}`;
    } else {
      const parsed = parseIndexDef(got.def ?? '');
      const wrongShape =
        !parsed ||
        parsed.columns.join(', ') !== i.columns.join(', ') ||
        (parsed.where ?? '') !== (i.where ?? '').toLowerCase();
      if (i.unique && !got.is_unique) problem = `index ${name} on ${display(t)} is not unique`;
      else if (wrongShape)
        problem = `index ${name} on ${display(t)} is "${got.def}", expected ${expectedText}`;
      else if (!got.is_valid) {
        // PostgreSQL keeps an invalid index up to date but neither reads it nor lets ON CONFLICT
        // use it, so every upsert would fail.
        problem = `index ${name} on ${display(t)} is invalid (a CREATE INDEX CONCURRENTLY failed or is still running)`;
        fix = `rebuild it: ${drop}; ${create}`;
      }
    }
    if (!problem) continue;
    if (i.unique) {
      // Upserts name these indexes' columns in ON CONFLICT and creates rely on them to reject a
      // second live row, so without them the service would corrupt data; refuse to start.
      problems.push(`${problem}; ${fix}`);
    } else if (got && !got.is_valid) {
      warnings.push(`${problem}; queries will be slower (${fix})`);
    } else {
      warnings.push(`${problem}; queries will be slower (${got ? 'recreate' : 'create'} it: ${create})`);
    }
  }

  if (problems.length > 0) {
    throw new ConfigError(
      'schema',
      `the session tables do not match trpc-agent-go's schema:\n- ${problems.join('\n- ')}`,
      { cause },
    );
  }
  return Object.freeze({ created: Object.freeze([]), warnings: Object.freeze(warnings) });
}
