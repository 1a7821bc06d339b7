import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeExpectedSchema,
  initSchema,
  schemaDdl,
  type TableNames,
  tableNames,
  verifySchema,
} from '../../src/postgres/schema/index.js';
import { ConfigError } from '../../src/session/errors.js';
import type { SqlClient, SqlExecutor } from '../../src/sql/client.js';
import { createPgPool, pgClient } from '../../src/sql/pg-client.js';
import { describeServer, newPglite, serverUrl, withServerSchema } from '../support/database.js';

// ---------------------------------------------------------------------------------------------
// The reference: trpc-agent-go's DDL (session/postgres/init.go) and naming (internal/session/sqldb),
// restated independently of the code under test, unquoted exactly as Go sends it.

const goTable = (prefix: string, base: string) =>
  prefix === '' ? base : `${prefix.endsWith('_') ? prefix : `${prefix}_`}${base}`;
const goQualified = (schema: string, prefix: string, base: string) =>
  schema ? `${schema}.${goTable(prefix, base)}` : goTable(prefix, base);
const goIndex = (schema: string, prefix: string, base: string, suffix: string) =>
  schema ? `idx_${schema}_${goTable(prefix, base)}_${suffix}` : `idx_${goTable(prefix, base)}_${suffix}`;

const common = `id BIGSERIAL PRIMARY KEY, app_name VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL,
  session_id VARCHAR(255) NOT NULL,`;
const stamps = `created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, expires_at TIMESTAMP DEFAULT NULL,
  deleted_at TIMESTAMP DEFAULT NULL`;
const GO_TABLES: [string, string][] = [
  ['session_states', `${common} state JSONB DEFAULT NULL, ${stamps}`],
  ['session_events', `${common} event JSONB NOT NULL, ${stamps}`],
  ['session_track_events', `${common} track VARCHAR(255) NOT NULL, event JSONB NOT NULL, ${stamps}`],
  [
    'session_summaries',
    `${common} filter_key VARCHAR(255) NOT NULL DEFAULT '', summary JSONB DEFAULT NULL,
     updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, expires_at TIMESTAMP DEFAULT NULL,
     deleted_at TIMESTAMP DEFAULT NULL`,
  ],
  [
    'app_states',
    `id BIGSERIAL PRIMARY KEY, app_name VARCHAR(255) NOT NULL, key VARCHAR(255) NOT NULL,
     value TEXT DEFAULT NULL, ${stamps}`,
  ],
  [
    'user_states',
    `id BIGSERIAL PRIMARY KEY, app_name VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL,
     key VARCHAR(255) NOT NULL, value TEXT DEFAULT NULL, ${stamps}`,
  ],
];
const ALL = GO_TABLES.map(([base]) => base);
const GO_INDEXES: [string, string, string][] = [
  ['session_states', 'unique_active', 'UNIQUE|(app_name, user_id, session_id) WHERE deleted_at IS NULL'],
  [
    'session_summaries',
    'unique_active',
    'UNIQUE|(app_name, user_id, session_id, filter_key) WHERE deleted_at IS NULL',
  ],
  ['app_states', 'unique_active', 'UNIQUE|(app_name, key) WHERE deleted_at IS NULL'],
  ['user_states', 'unique_active', 'UNIQUE|(app_name, user_id, key) WHERE deleted_at IS NULL'],
  ['session_events', 'lookup', '|(app_name, user_id, session_id, created_at)'],
  ['session_track_events', 'lookup', '|(app_name, user_id, session_id, track, created_at)'],
  ...ALL.map((base): [string, string, string] => [
    base,
    'expires',
    '|(expires_at) WHERE expires_at IS NOT NULL',
  ]),
];

function goDdl(schema: string, prefix: string): string[] {
  const tables = GO_TABLES.map(
    ([base, body]) => `CREATE TABLE IF NOT EXISTS ${goQualified(schema, prefix, base)} (${body})`,
  );
  const indexes = GO_INDEXES.map(([base, suffix, spec]) => {
    const [unique, rest] = spec.split('|');
    return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${goIndex(schema, prefix, base, suffix)}
      ON ${goQualified(schema, prefix, base)}${rest}`;
  });
  return [...tables, ...indexes];
}

async function runAll(db: SqlExecutor, statements: string[]) {
  for (const s of statements) await db.query(s);
}

/** Columns and indexes of `schema`, with `schema` itself replaced by `<s>` so two schemas compare. */
async function catalog(db: SqlExecutor, schema: string) {
  const columns = await db.query<Record<string, unknown>>(
    `SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable,
       column_default
     FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const indexes = await db.query<Record<string, unknown>>(
    'SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
    [schema],
  );
  const placeholder = (value: unknown) =>
    typeof value === 'string' ? value.split(schema).join('<s>') : value;
  const normalize = (rows: Record<string, unknown>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, placeholder(v)])));
  return { columns: normalize(columns.rows), indexes: normalize(indexes.rows) };
}

const COMBOS: { label: string; schema: string; prefix: string }[] = [
  { label: 'no schema, no prefix', schema: '', prefix: '' },
  { label: 'prefix trpc', schema: '', prefix: 'trpc' },
  { label: 'schema s', schema: 's', prefix: '' },
  { label: 'schema s and prefix trpc', schema: 's', prefix: 'trpc' },
];

// ---------------------------------------------------------------------------------------------

describe('table and index names', () => {
  it.each(COMBOS)('are named as trpc-agent-go names them ($label)', ({ schema, prefix }) => {
    const t = tableNames(schema, prefix);
    for (const def of describeExpectedSchema().tables) {
      const name = t[def.key];
      expect(name.name).toBe(goTable(prefix, def.base));
      expect(name.schema).toBe(schema);
      expect(name.qualified).toBe(
        schema ? `"${schema}"."${goTable(prefix, def.base)}"` : `"${goTable(prefix, def.base)}"`,
      );
    }
    for (const [base, suffix] of GO_INDEXES) {
      const def = describeExpectedSchema().tables.find((x) => x.base === base)!;
      expect(t[def.key].indexes[suffix as 'lookup']).toBe(goIndex(schema, prefix, base, suffix));
    }
  });

  it('gives prefix "trpc_" the same names as "trpc"', () => {
    expect(tableNames('s', 'trpc_')).toEqual(tableNames('s', 'trpc'));
    expect(tableNames('', 'trpc_').sessionEvents.name).toBe('trpc_session_events');
  });

  it('folds names to lower case, as PostgreSQL folds the unquoted names Go sends', () => {
    const t = tableNames('MySchema', 'Trpc');
    expect(t.sessionStates.qualified).toBe('"myschema"."trpc_session_states"');
    expect(t.sessionStates.indexes.unique_active).toBe('idx_myschema_trpc_session_states_unique_active');
  });

  it('is frozen', () => {
    const t = tableNames('', '');
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.sessionStates)).toBe(true);
    expect(t.all.map((x) => x.base)).toEqual(ALL);
  });

  it.each([
    ['schema', 'my-schema', ''],
    ['schema', '1schema', ''],
    ['schema', 'a b', ''],
    ['schema', 's"; DROP TABLE x; --', ''],
    ['tablePrefix', '', 'bad-prefix'],
    ['tablePrefix', '', '9lives'],
    ['tablePrefix', '', 'ünïcode'],
  ])('rejects %s %j / %j with a ConfigError naming the option', (field, schema, prefix) => {
    const error = (() => {
      try {
        tableNames(schema, prefix);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });

  it('rejects a prefix that makes an index name longer than 63 bytes, and accepts one that fits', () => {
    // The longest name is idx_<prefix>_session_summaries_unique_active.
    const fixed = 'idx_'.length + '_session_summaries_unique_active'.length;
    const fits = 'p'.repeat(63 - fixed);
    expect(tableNames('', fits).sessionSummaries.indexes.unique_active).toHaveLength(63);
    expect(() => tableNames('', `${fits}x`)).toThrow(ConfigError);
    try {
      tableNames('', `${fits}x`);
    } catch (e) {
      expect((e as ConfigError).field).toBe('tablePrefix');
      expect((e as Error).message).toMatch(/64 bytes long; PostgreSQL allows 63/);
    }
  });

  it('counts the schema in index names when checking the limit', () => {
    const schema = 's'.repeat(20);
    const room = 63 - `idx_${schema}_`.length - '_session_summaries_unique_active'.length;
    expect(() => tableNames(schema, 'p'.repeat(room))).not.toThrow();
    expect(() => tableNames(schema, 'p'.repeat(room + 1))).toThrow(ConfigError);
    expect(() => tableNames('s'.repeat(40), '')).toThrow(/PostgreSQL allows 63/);
  });
});

describe('DDL', () => {
  it('has 6 tables then 12 indexes, in trpc-agent-go order', () => {
    const ddl = schemaDdl(tableNames('s', 'trpc'));
    expect(ddl).toHaveLength(18);
    const created = ddl.map((s) => /(?:TABLE|INDEX) IF NOT EXISTS "([^"]+)"(?:\."([^"]+)")?/.exec(s)!);
    expect(created.slice(0, 6).map((m) => m[2])).toEqual(ALL.map((b) => `trpc_${b}`));
    expect(created.slice(6).map((m) => m[1])).toEqual(GO_INDEXES.map(([b, s]) => goIndex('s', 'trpc', b, s)));
    expect(ddl.every((s) => s.includes('IF NOT EXISTS'))).toBe(true);
  });

  it('matches the expected schema description', () => {
    const expected = describeExpectedSchema();
    expect(expected.tables.map((t) => t.base)).toEqual(ALL);
    expect(expected.indexes).toHaveLength(12);
    expect(expected.indexes.filter((i) => i.unique).map((i) => i.suffix)).toEqual(
      Array(4).fill('unique_active'),
    );
  });

  describe('on PGlite, compared with the reference DDL through the catalog', () => {
    let ours: { client: SqlClient; close(): Promise<void> };
    let reference: { client: SqlClient; close(): Promise<void> };
    beforeAll(async () => {
      [ours, reference] = await Promise.all([newPglite(), newPglite()]);
      await ours.client.query('CREATE SCHEMA s');
      await reference.client.query('CREATE SCHEMA s');
      for (const { schema, prefix } of COMBOS) {
        await runAll(reference.client, goDdl(schema, prefix));
        await initSchema(ours.client, tableNames(schema, prefix));
      }
    });
    afterAll(async () => {
      await Promise.all([ours.close(), reference.close()]);
    });

    it.each(['public', 's'])(
      'creates the same columns, types, defaults and indexes in schema %s',
      async (schema) => {
        const got = await catalog(ours.client, schema);
        const want = await catalog(reference.client, schema);
        expect(got.columns.length).toBe(2 * (9 + 9 + 10 + 9 + 8 + 9));
        expect(got.indexes.length).toBe(2 * (12 + 6));
        expect(got).toEqual(want);
      },
    );

    it('finds tables Go created with mixed-case options (folded by PostgreSQL)', async () => {
      await reference.client.query('CREATE SCHEMA MixedCase');
      await runAll(reference.client, goDdl('MixedCase', 'Trpc'));
      const report = await verifySchema(reference.client, tableNames('MixedCase', 'Trpc'));
      expect(report.warnings).toEqual([]);
    });

    it('verifies tables created by the reference DDL', async () => {
      for (const { schema, prefix } of COMBOS) {
        expect((await verifySchema(reference.client, tableNames(schema, prefix))).warnings).toEqual([]);
      }
    });
  });
});

describe('initSchema on PGlite', () => {
  let db: { client: SqlClient; close(): Promise<void> };
  beforeAll(async () => {
    db = await newPglite();
  });
  afterAll(() => db.close());

  it('creates everything once, and nothing the second time', async () => {
    const t = tableNames('', 'twice');
    const first = await initSchema(db.client, t);
    expect(first.created).toHaveLength(18);
    const before = await catalog(db.client, 'public');
    const second = await initSchema(db.client, t);
    expect(second).toEqual({ created: [], warnings: [] });
    expect(await catalog(db.client, 'public')).toEqual(before);
  });

  it('creates only what is missing', async () => {
    const t = tableNames('', 'partial');
    await initSchema(db.client, t);
    await db.client.query(`DROP INDEX ${t.sessionEvents.indexes.lookup}`);
    await db.client.query(`DROP TABLE ${t.userStates.qualified}`);
    const report = await initSchema(db.client, t);
    expect([...report.created].sort()).toEqual(
      [
        t.userStates.name,
        t.userStates.indexes.unique_active,
        t.userStates.indexes.expires,
        t.sessionEvents.indexes.lookup,
      ].sort(),
    );
  });

  it('lets concurrent callers on one database all succeed', async () => {
    const t = tableNames('', 'together');
    const reports = await Promise.all([1, 2, 3].map(() => initSchema(db.client, t)));
    expect(reports.flatMap((r) => r.created)).toHaveLength(18);
  });

  it('works with a schema whose name is a reserved word', async () => {
    await db.client.query('CREATE SCHEMA "user"');
    const report = await initSchema(db.client, tableNames('user', ''));
    expect(report.created).toHaveLength(18);
    expect((await db.client.query('SELECT count(*)::int AS n FROM "user".session_states')).rows).toEqual([
      { n: 0 },
    ]);
  });

  it('only verifies with skipCreate, naming every missing table', async () => {
    const error = await initSchema(db.client, tableNames('', 'absent'), { skipCreate: true }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe('schema');
    for (const base of ALL) expect(error.message).toContain(`table public.absent_${base} does not exist`);
    expect(error.message).toContain('agent-sessions migrate');
  });

  it('says how to fix a schema that does not exist', async () => {
    const error = await initSchema(db.client, tableNames('nowhere', '')).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe('schema');
    expect(error.message).toMatch(/schema nowhere does not exist; create it with CREATE SCHEMA "nowhere"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Server PostgreSQL

describeServer('DDL on a PostgreSQL server', () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await Promise.all(drops.map((d) => d()));
  });

  it.each(COMBOS)('matches the reference DDL through the catalog ($label)', async ({ schema, prefix }) => {
    const [mine, theirs] = await Promise.all([withServerSchema(), withServerSchema()]);
    drops.push(mine.drop, theirs.drop);
    // Each runs in its own scratch schema: as the schema option when the combination has one,
    // as the search path otherwise.
    await runAll(theirs.client, goDdl(schema ? theirs.schema : '', prefix));
    await initSchema(mine.client, tableNames(schema ? mine.schema : '', prefix));
    const got = await catalog(mine.client, mine.schema);
    const want = await catalog(theirs.client, theirs.schema);
    expect(got.indexes).toHaveLength(18); // 12 plus the six primary keys
    expect(got).toEqual(want);
  });

  it('is idempotent', async () => {
    const s = await withServerSchema();
    drops.push(s.drop);
    const t = tableNames(s.schema, 'idem');
    expect((await initSchema(s.client, t)).created).toHaveLength(18);
    expect(await initSchema(s.client, t)).toEqual({ created: [], warnings: [] });
  });

  it('lets 5 services initialize one empty schema at the same moment', async () => {
    const s = await withServerSchema();
    drops.push(s.drop);
    // Separate pools, so the five really run at once on five connections.
    const pools = Array.from({ length: 5 }, () => createPgPool({ connectionString: serverUrl, max: 1 }));
    try {
      const t: TableNames = tableNames(s.schema, 'race');
      const reports = await Promise.all(pools.map((p) => initSchema(pgClient(p, { owned: false }), t)));
      expect(reports.flatMap((r) => r.created)).toHaveLength(18);
      expect(reports.every((r) => r.warnings.length === 0)).toBe(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('survives racing services that take no lock (the reference DDL run at the same moment)', async () => {
    const s = await withServerSchema();
    drops.push(s.drop);
    const pools = Array.from({ length: 4 }, () => createPgPool({ connectionString: serverUrl, max: 1 }));
    try {
      for (const round of [1, 2, 3]) {
        const prefix = `mixed${round}`;
        const t = tableNames(s.schema, prefix);
        // Two unlocked peers may fail against each other (as two Go services can); ours must not.
        const unlocked = pools
          .slice(0, 2)
          .map((p) => runAll(pgClient(p, { owned: false }), goDdl(s.schema, prefix)).catch(() => undefined));
        const ours = pools.slice(2).map((p) => initSchema(pgClient(p, { owned: false }), t));
        const [a, b] = await Promise.all([...ours, ...unlocked]);
        expect(a?.warnings).toEqual([]);
        expect(b?.warnings).toEqual([]);
      }
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
