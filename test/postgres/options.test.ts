import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type PostgresSessionServiceOptions,
  type ResolvedPostgresOptions,
  resolvePostgresOptions,
} from '../../src/postgres/options.js';
import { ManualClock, systemClock } from '../../src/session/clock.js';
import { ConfigError } from '../../src/session/errors.js';
import type { SqlClient } from '../../src/sql/client.js';
import { registerPostgresInstance, unregisterPostgresInstance } from '../../src/storage/postgres/registry.js';

function configError(options: unknown): ConfigError {
  try {
    resolvePostgresOptions(options as PostgresSessionServiceOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const fakeClient: SqlClient = {
  kind: 'pglite',
  query: async () => ({ rows: [], rowCount: 0 }),
  transaction: async (fn) => fn({ query: async () => ({ rows: [], rowCount: 0 }) }),
  withConnection: async (fn) => fn({ query: async () => ({ rows: [], rowCount: 0 }) }),
  close: async () => {},
};

describe('option defaults', () => {
  it('fills every option of SPEC §2 with its default', () => {
    const o = resolvePostgresOptions({});
    expect({ ...o, tables: undefined }).toEqual({
      dsn: undefined,
      host: undefined,
      port: undefined,
      user: undefined,
      password: undefined,
      database: undefined,
      sslMode: undefined,
      sslRootCert: undefined,
      sslCert: undefined,
      sslKey: undefined,
      // Undefined: the server's own unless set (sent per transaction behind a pooler).
      connectTimeoutMs: undefined,
      statementTimeoutMs: undefined,
      lockTimeoutMs: undefined,
      dataDir: undefined,
      flushOnExit: false,
      instance: undefined,
      extraOptions: {},
      // Undefined: decided per connection (on when direct, off behind a pooler).
      preparedStatements: undefined,
      pool: undefined,
      client: undefined,
      sessionEventLimit: 1000,
      sessionTtlMs: 0,
      appStateTtlMs: 0,
      userStateTtlMs: 0,
      trackEventTtlMs: 0,
      cleanupIntervalMs: 0,
      softDelete: true,
      asyncPersist: false,
      asyncPersisterNum: 10,
      summarizer: undefined,
      asyncSummaryNum: 3,
      summaryQueueSize: 100,
      summaryJobTimeoutMs: 60_000,
      summaryFilterAllowlist: undefined,
      cascadeFullSessionSummary: true,
      schema: '',
      tablePrefix: '',
      skipDbInit: false,
      appendEventHooks: [],
      getSessionHooks: [],
      clock: systemClock,
      onError: undefined,
      tables: undefined,
    });
    expect(o.tables.sessionStates.qualified).toBe('"session_states"');
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('treats 0 counts as "use the default", where Go treats numbers below 1 so', () => {
    const o = resolvePostgresOptions({
      sessionEventLimit: 0,
      asyncPersisterNum: 0,
      asyncSummaryNum: 0,
      summaryQueueSize: 0,
      summaryJobTimeoutMs: 0,
    });
    expect([
      o.sessionEventLimit,
      o.asyncPersisterNum,
      o.asyncSummaryNum,
      o.summaryQueueSize,
      o.summaryJobTimeoutMs,
    ]).toEqual([1000, 10, 3, 100, 60_000]);
  });

  it('keeps values that are given', () => {
    const clock = new ManualClock();
    const hook = async () => {};
    const o = resolvePostgresOptions({
      sessionEventLimit: 5,
      asyncPersist: true,
      asyncPersisterNum: 2,
      softDelete: false,
      cascadeFullSessionSummary: false,
      skipDbInit: true,
      schema: 'app',
      tablePrefix: 'trpc',
      clock,
      appendEventHooks: [hook],
    });
    expect(o).toMatchObject({
      sessionEventLimit: 5,
      asyncPersist: true,
      asyncPersisterNum: 2,
      softDelete: false,
    });
    expect(o).toMatchObject({ cascadeFullSessionSummary: false, skipDbInit: true, clock });
    expect(o.appendEventHooks).toEqual([hook]);
    expect(o.tables.sessionEvents.qualified).toBe('"app"."trpc_session_events"');
  });

  it('uses the session TTL for track events unless given; an explicit 0 disables them', () => {
    expect(resolvePostgresOptions({ sessionTtlMs: 60_000 }).trackEventTtlMs).toBe(60_000);
    expect(resolvePostgresOptions({ sessionTtlMs: 60_000, trackEventTtlMs: 5_000 }).trackEventTtlMs).toBe(
      5_000,
    );
    expect(resolvePostgresOptions({ sessionTtlMs: 60_000, trackEventTtlMs: 0 }).trackEventTtlMs).toBe(0);
  });

  it('sweeps every 5 minutes when any TTL is set and no interval is given, never otherwise', () => {
    expect(resolvePostgresOptions({}).cleanupIntervalMs).toBe(0);
    for (const ttl of ['sessionTtlMs', 'appStateTtlMs', 'userStateTtlMs', 'trackEventTtlMs'] as const) {
      expect(resolvePostgresOptions({ [ttl]: 1000 }).cleanupIntervalMs).toBe(300_000);
    }
    expect(resolvePostgresOptions({ sessionTtlMs: 1000, cleanupIntervalMs: 7000 }).cleanupIntervalMs).toBe(
      7000,
    );
    expect(
      resolvePostgresOptions({ sessionTtlMs: 1000, trackEventTtlMs: 0, cleanupIntervalMs: 0 })
        .cleanupIntervalMs,
    ).toBe(300_000);
  });

  it('trims the summary allowlist and drops empty entries, keeping an empty list empty', () => {
    expect(
      resolvePostgresOptions({ summaryFilterAllowlist: [' a/b ', '', '  ', 'c'] }).summaryFilterAllowlist,
    ).toEqual(['a/b', 'c']);
    expect(resolvePostgresOptions({ summaryFilterAllowlist: [] }).summaryFilterAllowlist).toEqual([]);
  });

  it('copies arrays so later changes by the caller do not leak in', () => {
    const hooks = [async () => {}];
    const o = resolvePostgresOptions({ getSessionHooks: hooks as never });
    hooks.push(async () => {});
    expect(o.getSessionHooks).toHaveLength(1);
  });
});

describe('option validation', () => {
  afterEach(() => unregisterPostgresInstance('known'));

  it.each([
    'sessionTtlMs',
    'appStateTtlMs',
    'userStateTtlMs',
    'trackEventTtlMs',
    'cleanupIntervalMs',
    'sessionEventLimit',
    'asyncPersisterNum',
    'asyncSummaryNum',
    'summaryQueueSize',
    'summaryJobTimeoutMs',
  ])('rejects a negative, fractional or non-number %s, naming it', (field) => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10']) {
      const error = configError({ [field]: bad });
      expect(error.field).toBe(field);
      expect(error.message).toMatch(new RegExp(`^${field}: must be`));
    }
  });

  it('rejects intervals a Node timer cannot hold', () => {
    expect(configError({ cleanupIntervalMs: 2 ** 31 }).field).toBe('cleanupIntervalMs');
    expect(configError({ summaryJobTimeoutMs: 2 ** 31 }).field).toBe('summaryJobTimeoutMs');
    expect(resolvePostgresOptions({ cleanupIntervalMs: 2 ** 31 - 1 }).cleanupIntervalMs).toBe(2 ** 31 - 1);
  });

  it.each([0, 65536, -1, 1.5, '5432'])('rejects port %j', (port) => {
    const error = configError({ port });
    expect(error.field).toBe('port');
    expect(error.message).toContain('1 to 65535');
  });

  it('accepts ports 1 and 65535', () => {
    expect(resolvePostgresOptions({ port: 1 }).port).toBe(1);
    expect(resolvePostgresOptions({ port: 65535 }).port).toBe(65535);
  });

  it.each(['prefer', 'allow', 'DISABLE', 'verify_full', 'true'])('rejects sslMode %j', (sslMode) => {
    const error = configError({ sslMode });
    expect(error.field).toBe('sslMode');
    expect(error.message).toContain('disable, require, verify-ca, verify-full');
  });

  it.each([
    ['schema', { schema: 'has-dash' }],
    ['schema', { schema: '9x' }],
    ['tablePrefix', { tablePrefix: 'a.b' }],
    ['tablePrefix', { tablePrefix: 'x'.repeat(40) }],
    ['schema', { schema: 's'.repeat(64) }],
  ])('rejects a bad %s', (field, options) => {
    expect(configError(options).field).toBe(field);
  });

  it('rejects pool and client together', () => {
    const error = configError({ client: fakeClient, pool: { connect() {}, query() {} } });
    expect(error.field).toBe('client');
    expect(error.message).toContain('not both');
  });

  it('rejects an instance name nobody registered, when it is the connection used', () => {
    const error = configError({ instance: 'nobody' });
    expect(error.field).toBe('instance');
    expect(error.message).toContain('registerPostgresInstance("nobody"');
    // A DSN takes precedence, so the instance is never looked up (as in Go).
    expect(resolvePostgresOptions({ instance: 'nobody', dsn: 'postgres://h/db' }).instance).toBe('nobody');
  });

  it('accepts a registered instance', () => {
    registerPostgresInstance('known', { connectionString: 'postgres://h/db' });
    expect(resolvePostgresOptions({ instance: 'known' }).instance).toBe('known');
  });

  it.each([
    ['dsn', { dsn: 'mysql://u:p@h/db' }],
    ['dsn', { dsn: 'this is not = valid' }],
    ['extraOptions', { extraOptions: 'max=5' }],
    ['extraOptions', { extraOptions: [1] }],
    [
      'extraOptions.connectionString',
      { dsn: 'postgres://h/db', extraOptions: { connectionString: 'postgres://x/y' } },
    ],
    ['pool', { pool: {} }],
    ['client', { client: { query() {} } }],
    ['summarizer', { summarizer: {} }],
    ['clock', { clock: Date }],
    ['onError', { onError: 'log' }],
    ['appendEventHooks', { appendEventHooks: ['x'] }],
    ['getSessionHooks', { getSessionHooks: () => {} }],
    ['summaryFilterAllowlist', { summaryFilterAllowlist: 'a' }],
    ['softDelete', { softDelete: 'yes' }],
    ['asyncPersist', { asyncPersist: 1 }],
    ['cascadeFullSessionSummary', { cascadeFullSessionSummary: null }],
    ['skipDbInit', { skipDbInit: 'true' }],
    ['preparedStatements', { preparedStatements: 'off' }],
    ['host', { host: 5 }],
    ['password', { password: 123456 }],
  ])('rejects a bad %s, naming it', (field, options) => {
    expect(configError(options).field).toBe(field);
  });

  it('rejects options that are not an object', () => {
    expect(configError('postgres://h/db').field).toBe('options');
  });
});

describe('printing resolved options', () => {
  const secret = 'hunter2-secret';
  const printed = (o: ResolvedPostgresOptions) => [
    inspect(o, { depth: 10 }),
    JSON.stringify(o),
    String(o),
    `${o}`,
  ];

  it('never shows the password or the password inside the DSN', () => {
    const o = resolvePostgresOptions({
      dsn: `postgres://alice:${secret}@db.example:5432/sessions?sslmode=require`,
      password: secret,
      user: 'alice',
      extraOptions: { max: 5, password: secret, ssl: { key: secret, ca: 'public-ca' } },
    });
    for (const text of printed(o)) {
      expect(text).not.toContain(secret);
    }
    const json = JSON.parse(JSON.stringify(o));
    expect(json.dsn).toBe('postgres://alice:***@db.example:5432/sessions?sslmode=require');
    expect(json.password).toBe('***');
    expect(json.extraOptions).toEqual({ max: 5, password: '***', ssl: { key: '***', ca: 'public-ca' } });
    // The real values stay usable.
    expect(o.password).toBe(secret);
  });

  it('hides a password in a key=value DSN', () => {
    const o = resolvePostgresOptions({ dsn: `host=h user=u password=${secret} dbname=d` });
    for (const text of printed(o)) expect(text).not.toContain(secret);
  });

  it('shows a pool or client by kind only', () => {
    const o = resolvePostgresOptions({ client: fakeClient });
    expect(inspect(o)).toContain('[SqlClient pglite]');
  });
});
