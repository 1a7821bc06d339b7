/** The DDL that creates the tables and their indexes, and the lock taken while it runs. */
import type { SqlExecutor } from '../../sql/client.js';
import { EXPECTED, type ExpectedIndex } from './expected.js';
import { quoteIdentifier, type TableNames } from './names.js';

// ---------------------------------------------------------------------------------------------
// DDL

interface DdlStatement {
  /** The table or index the statement creates. */
  readonly object: string;
  readonly sql: string;
}

export function indexDdl(tables: TableNames, i: ExpectedIndex): string {
  const t = tables[i.table];
  const name = t.indexes[i.suffix]!;
  const where = i.where ? ` WHERE ${i.where}` : '';
  return `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdentifier(name)} ON ${t.qualified} (${i.columns.join(', ')})${where}`;
}

export function ddlPlan(tables: TableNames): DdlStatement[] {
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
