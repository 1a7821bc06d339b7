/**
 * The six tables of trpc-agent-go's PostgreSQL session store as Go creates them: columns, types,
 * defaults, indexes and index names, exactly, so a Go and a TypeScript service can share the tables.
 */

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

export const VARCHAR = 'character varying';
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

export const EXPECTED: ExpectedSchema = Object.freeze({
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
