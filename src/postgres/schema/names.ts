/** The tables' names: schema and prefix validated, quoted once, frozen. */
import { ConfigError } from '../../session/errors.js';
import { EXPECTED, type IndexSuffix, type TableKey } from './expected.js';

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
