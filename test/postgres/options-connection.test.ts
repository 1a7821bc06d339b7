import { inspect } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseConnectionString,
  redactConnectionString,
  redactSecrets,
} from '../../src/postgres/connection/connection-string.js';
import { optionsFromEnv } from '../../src/postgres/connection/environment.js';
import { checkConnection, openConnection, planConnection } from '../../src/postgres/connection/open.js';
import { DEFAULT_POOL_SETTINGS } from '../../src/postgres/connection/pool-settings.js';
import { redactorFor, secretsOf } from '../../src/postgres/connection/secrets.js';
import { sslFor } from '../../src/postgres/connection/tls.js';
import { type PostgresSessionServiceOptions, resolvePostgresOptions } from '../../src/postgres/options.js';
import { ConfigError, StorageError } from '../../src/session/errors.js';
import type { SqlClient } from '../../src/sql/client.js';
import { registerPostgresInstance, unregisterPostgresInstance } from '../../src/storage/postgres/registry.js';
import { describeServer, serverUrl } from '../support/database.js';

const plan = (options: PostgresSessionServiceOptions) => planConnection(resolvePostgresOptions(options));

const fakeClient: SqlClient = {
  kind: 'pglite',
  query: async () => ({ rows: [], rowCount: 0 }),
  transaction: async (fn) => fn({ query: async () => ({ rows: [], rowCount: 0 }) }),
  withConnection: async (fn) => fn({ query: async () => ({ rows: [], rowCount: 0 }) }),
  close: async () => {},
};

afterEach(() => {
  unregisterPostgresInstance('main');
});

describe('connection precedence', () => {
  const everything = (): PostgresSessionServiceOptions => {
    registerPostgresInstance('main', { connectionString: 'postgres://inst@instance-host/instdb' });
    return {
      client: fakeClient,
      pool: undefined,
      dsn: 'postgres://dsnuser@dsn-host:6000/dsndb',
      host: 'direct-host',
      instance: 'main',
    };
  };

  it('uses the client first', () => {
    expect(plan(everything()).source).toBe('client');
  });

  it('uses the pool when there is no client', () => {
    const pool = new pg.Pool();
    const p = plan({ ...everything(), client: undefined, pool });
    expect(p.source).toBe('pool');
    expect(p.poolConfig).toBeUndefined();
    return pool.end();
  });

  it('fills a DSN without a password from the password option; a DSN password wins', () => {
    expect(plan({ dsn: 'postgres://alice@h/db', password: 'from-option' }).poolConfig!.password).toBe(
      'from-option',
    );
    expect(
      plan({ dsn: 'postgres://alice:from-dsn@h/db', password: 'from-option' }).poolConfig!.password,
    ).toBe('from-dsn');
    expect(plan({ dsn: 'host=h user=alice', password: 'from-option' }).describe).toBe(
      'postgres://alice:***@h/?sslmode=disable',
    );
  });

  it('uses the DSN before host settings and the instance', () => {
    const p = plan({ ...everything(), client: undefined });
    expect(p.source).toBe('dsn');
    expect(p.poolConfig).toMatchObject({ host: 'dsn-host', port: 6000, user: 'dsnuser', database: 'dsndb' });
  });

  it('uses host settings before the instance, when host is set', () => {
    const p = plan({
      ...everything(),
      client: undefined,
      dsn: undefined,
      port: 7000,
      user: 'u',
      password: 'pw',
      database: 'd',
    });
    expect(p.source).toBe('host');
    expect(p.poolConfig).toMatchObject({
      host: 'direct-host',
      port: 7000,
      user: 'u',
      password: 'pw',
      database: 'd',
    });
  });

  it('ignores port/user/database for the instance when host is not set', () => {
    const p = plan({
      ...everything(),
      client: undefined,
      dsn: undefined,
      host: undefined,
      port: 7000,
      database: 'd',
    });
    expect(p.source).toBe('instance');
    expect(p.poolConfig).toMatchObject({ host: 'instance-host', user: 'inst', database: 'instdb' });
    expect(p.poolConfig!.port).toBeUndefined();
  });

  it("falls back to trpc-agent-go's defaults", () => {
    const p = plan({});
    expect(p.source).toBe('default');
    expect(p.poolConfig).toEqual({
      ...DEFAULT_POOL_SETTINGS,
      host: 'localhost',
      port: 5432,
      database: 'trpc-agent-go-pgsession',
      ssl: false,
    });
    expect(p.describe).toBe('postgres://localhost:5432/trpc-agent-go-pgsession?sslmode=disable');
  });

  it('describes a Unix socket directory as a URL host, percent-encoded, not as part of the path', () => {
    for (const dsn of [
      'host=/var/run/postgresql dbname=app user=me',
      'postgres://me@%2Fvar%2Frun%2Fpostgresql/app',
    ]) {
      const p = plan({ dsn });
      expect(p.poolConfig?.host).toBe('/var/run/postgresql');
      expect(p.describe).toBe('postgres://me@%2Fvar%2Frun%2Fpostgresql/app?sslmode=disable');
    }
    expect(plan({ host: '/tmp', database: 'app' }).describe).toBe(
      'postgres://%2Ftmp:5432/app?sslmode=disable',
    );
  });

  it('applies port, user, password and database to the default host', () => {
    const p = plan({ port: 6543, user: 'me', password: 'pw', database: 'sessions' });
    expect(p.source).toBe('default');
    expect(p.poolConfig).toMatchObject({
      host: 'localhost',
      port: 6543,
      user: 'me',
      password: 'pw',
      database: 'sessions',
    });
  });

  it('treats empty strings as not given, as Go does', () => {
    expect(plan({ dsn: '', host: '' }).source).toBe('default');
  });
});

describe('sslMode', () => {
  it('maps each mode to node-postgres ssl settings', () => {
    expect(sslFor('disable')).toBe(false);
    expect(sslFor('require')).toEqual({ rejectUnauthorized: false });
    const verifyCa = sslFor('verify-ca') as {
      rejectUnauthorized: boolean;
      checkServerIdentity: () => unknown;
    };
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
    expect(sslFor('verify-full')).toEqual({ rejectUnauthorized: true });
  });

  it.each(['disable', 'require', 'verify-ca', 'verify-full'] as const)(
    'applies sslMode %s to host settings',
    (mode) => {
      const p = plan({ host: 'h', sslMode: mode });
      expect(JSON.stringify(p.poolConfig!.ssl)).toBe(JSON.stringify(sslFor(mode)));
      expect(p.describe).toContain(`sslmode=${mode}`);
    },
  );

  it.each(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const)(
    'honours sslmode=%s in a DSN the same way',
    (mode) => {
      const p = plan({ dsn: `postgres://h/db?sslmode=${mode}` });
      expect(JSON.stringify(p.poolConfig!.ssl)).toBe(JSON.stringify(sslFor(mode)));
    },
  );

  it("lets a DSN's own sslmode win over the option, and the option fill in when the DSN has none", () => {
    expect(plan({ dsn: 'postgres://h/db?sslmode=disable', sslMode: 'require' }).poolConfig!.ssl).toBe(false);
    expect(plan({ dsn: 'postgres://h/db', sslMode: 'require' }).poolConfig!.ssl).toEqual({
      rejectUnauthorized: false,
    });
    expect(plan({ dsn: 'postgres://h/db' }).poolConfig!.ssl).toBe(false);
  });

  it('rejects an unknown sslmode in a DSN, naming the option', () => {
    expect(() => plan({ dsn: 'postgres://u:pw@h/db?sslmode=sometimes' })).toThrow(ConfigError);
    try {
      plan({ dsn: 'postgres://u:pw@h/db?sslmode=sometimes' });
    } catch (e) {
      expect((e as ConfigError).field).toBe('dsn');
      expect((e as Error).message).not.toContain(':pw@');
    }
  });

  it('merges an ssl object from extraOptions over the mode (e.g. a CA)', () => {
    const p = plan({ host: 'h', sslMode: 'verify-full', extraOptions: { ssl: { ca: 'PEM' } } });
    expect(p.poolConfig!.ssl).toEqual({ rejectUnauthorized: true, ca: 'PEM' });
  });
});

describe('extraOptions', () => {
  it('reach the pool settings and override the defaults', () => {
    const p = plan({
      dsn: 'postgres://h/db',
      extraOptions: {
        max: 20,
        statement_timeout: 5000,
        connectionTimeoutMillis: 2000,
        idleTimeoutMillis: 30_000,
      },
    });
    expect(p.poolConfig).toMatchObject({
      max: 20,
      statement_timeout: 5000,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
    });
  });

  it('default the connection timeout to 10 s when not given', () => {
    expect(plan({ host: 'h' }).poolConfig!.connectionTimeoutMillis).toBe(10_000);
  });

  it("layer the instance's extraOptions under the service's", () => {
    registerPostgresInstance('main', {
      connectionString: 'postgres://h/db',
      extraOptions: { max: 3, idleTimeoutMillis: 1000 },
    });
    const p = plan({ instance: 'main', extraOptions: { max: 9 } });
    expect(p.poolConfig).toMatchObject({ max: 9, idleTimeoutMillis: 1000 });
  });
});

describe('connection strings', () => {
  it('read the libpq key=value form that Go services use', () => {
    const p = plan({ dsn: "host=db port=6432 dbname='my db' user=alice password='p w\\'x' sslmode=require" });
    expect(p.poolConfig).toMatchObject({
      host: 'db',
      port: 6432,
      database: 'my db',
      user: 'alice',
      password: "p w'x",
    });
    expect(p.poolConfig!.ssl).toEqual({ rejectUnauthorized: false });
  });

  it('decode URL parts and send server settings at connect, as pgx does', () => {
    const parsed = parseConnectionString(
      'postgres://us%40er:p%2Fw@[::1]:5433/d%20b?search_path=app&statement_timeout=5000&target_session_attrs=any&application_name=svc&connect_timeout=3&pool_max_conns=7',
    );
    expect(parsed).toEqual({
      host: '::1',
      port: 5433,
      user: 'us@er',
      password: 'p/w',
      database: 'd b',
      options: '-c search_path=app -c statement_timeout=5000',
      applicationName: 'svc',
      connectTimeoutMs: 3000,
      maxConnections: 7,
    });
  });

  it('read a socket directory given as host', () => {
    expect(parseConnectionString('postgresql:///db?host=%2Fvar%2Frun%2Fpostgresql')).toMatchObject({
      host: '/var/run/postgresql',
      database: 'db',
    });
  });

  it('read a user with no host, as libpq does: the host from a parameter or the default', () => {
    expect(parseConnectionString('postgres://me:p%40ss@/db?host=/var/run/postgresql')).toEqual({
      host: '/var/run/postgresql',
      user: 'me',
      password: 'p@ss',
      database: 'db',
    });
    expect(parseConnectionString('postgresql://me@:5433/db')).toEqual({
      port: 5433,
      user: 'me',
      database: 'db',
    });
    expect(parseConnectionString('postgres://me@')).toEqual({ user: 'me' });
    expect(parseConnectionString('postgres://me@h/db')).toMatchObject({ host: 'h', user: 'me' });
    expect(redactConnectionString('postgres://me:s3cret@/db?host=/tmp')).toBe(
      'postgres://me:***@/db?host=/tmp',
    );
  });

  it.each([
    'mysql://u:pw@h/db',
    'postgres://u:pw@h:99999/db',
    'postgres://u:pw@h1,h2/db',
    'host=h password=pw port=x',
    'just words password=pw',
  ])('reject %s with a ConfigError that hides the password', (dsn) => {
    try {
      parseConnectionString(dsn);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe('dsn');
      expect((e as Error).message).not.toMatch(/\bpw\b/);
    }
  });

  it.each([
    'postgres://u:pw@h1,h2/db',
    'postgres://u:pw@h1:5432,h2:5433/db',
    'postgresql://h1:5432,h2/db?sslmode=disable',
    'host=h1,h2 port=5432,5433 password=pw',
  ])('refuses the host list of %s as such, not as a malformed string', (dsn) => {
    expect(() => parseConnectionString(dsn)).toThrow(/^dsn: several hosts are not supported/);
  });

  it.each([
    ['postgres://alice:s3cret@h:5432/db?sslmode=disable', 'postgres://alice:***@h:5432/db?sslmode=disable'],
    ['postgresql://alice:p@ss@h/db', 'postgresql://alice:***@h/db'],
    [
      'postgres://alice@h/db?password=s3cret&sslmode=disable',
      'postgres://alice@h/db?password=***&sslmode=disable',
    ],
    ['host=h user=alice password=s3cret dbname=db', 'host=h user=alice password=*** dbname=db'],
    ["host=h password='s3 cret' dbname=db", 'host=h password=*** dbname=db'],
    ['postgres://h/db', 'postgres://h/db'],
    // A space or a tab ends the pattern's guess; the string's own parsed password is hidden whole.
    ['postgres://app:hunter2 secret@127.0.0.1:5432/test', 'postgres://app:***@127.0.0.1:5432/test'],
    ['postgres://app:hunter2\tsecret@127.0.0.1:5432/test', 'postgres://app:***@127.0.0.1:5432/test'],
    ['postgres://app@h/db?sslpassword=KeyPassphrase', 'postgres://app@h/db?sslpassword=***'],
    ['host=h dbname=db user=app sslpassword=KeyPassphrase', 'host=h dbname=db user=app sslpassword=***'],
    // A short password is hidden where it stands alone, not inside a word it would give away.
    ['host=h sslmode=disable password=ab', 'host=h sslmode=disable password=***'],
  ])('redacts %s', (dsn, redacted) => {
    expect(redactConnectionString(dsn)).toBe(redacted);
  });

  it.each([
    ['hostaddr=192.0.2.1 port=5432 dbname=db', 'hostaddr'],
    ['postgres://u@h/db?hostaddr=192.0.2.1', 'hostaddr'],
    ['service=prod dbname=db', 'service'],
    ['host=h sslmode=verify-full sslcrl=/crl.pem', 'sslcrl'],
    ['host=h sslcrldir=/crl', 'sslcrldir'],
    ['postgres://u@h/db?channel_binding=require', 'channel_binding'],
    ['host=h require_auth=scram-sha-256', 'require_auth'],
    ['host=h ssl_min_protocol_version=TLSv1.3', 'ssl_min_protocol_version'],
    ['host=/tmp requirepeer=postgres', 'requirepeer'],
    ['host=h gssencmode=require', 'gssencmode'],
  ])('refuses %s, naming %s, instead of ignoring it', (dsn, parameter) => {
    expect(() => parseConnectionString(dsn)).toThrow(ConfigError);
    expect(() => parseConnectionString(dsn)).toThrow(new RegExp(`^dsn: ${parameter} is not supported`));
  });

  it('accepts the values of those parameters that ask for nothing more, and ignores harmless pgx ones', () => {
    expect(
      parseConnectionString(
        'host=h channel_binding=prefer gssencmode=disable ssl_min_protocol_version=TLSv1.2 target_session_attrs=any pool_min_conns=1 keepalives=1',
      ),
    ).toEqual({ host: 'h' });
    // libpq compares the TLS floor without case; channel binding and GSS modes with it.
    expect(parseConnectionString('host=h ssl_min_protocol_version=tlsv1.1')).toEqual({ host: 'h' });
    expect(() => parseConnectionString('host=h ssl_min_protocol_version=tlsv1.3')).toThrow(
      /^dsn: ssl_min_protocol_version is not supported/,
    );
  });

  it.each([
    ['postgres://app:My#Secret@db/prod', 'postgres://app:***@db/prod'],
    ['postgres://app:My?Sec@ret@db/prod?sslmode=disable', 'postgres://app:***@db/prod?sslmode=disable'],
    ['postgres://app:s3cr/et@db.internal:5432/prod', 'postgres://app:***@db.internal:5432/prod'],
  ])('hides a raw password holding ?, # or / whole: %s', (dsn, redacted) => {
    expect(redactConnectionString(dsn)).toBe(redacted);
    expect(redactSecrets(`echoed '--dns=${dsn}'`)).toBe(`echoed '--dns=${redacted}'`);
  });

  it.each([
    [
      "argument 'host=127.0.0.1 password=ab&cd port=abc' is invalid",
      "argument 'host=127.0.0.1 password=*** port=abc' is invalid",
    ],
    ["host=h password=a'b'c port=1", 'host=h password=*** port=1'],
    ["port=5432 password=s3cr'et", 'port=5432 password=***'],
    ['host=h password="dq secret" port=1', 'host=h password=*** port=1'],
    ["host=h password='quoted'tail port=1", 'host=h password=*** port=1'],
    ['postgres://u@h/db?password=x&sslmode=disable', 'postgres://u@h/db?password=***&sslmode=disable'],
  ])('hides a key=value password whole, whatever it holds but blanks: %s', (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it('does not mask a secret inside the fixed words of a message, where the mask would tell it', () => {
    const message = 'password authentication failed for user "app" (postgres://app:***@db/prod)';
    for (const secret of ['pass', 'password', 'postgres', 'authentication', 'fail'])
      expect(redactSecrets(message, [secret])).toBe(message);
    // The client sends `pa<TAB>ss` as `pass` (WHATWG's parser drops the tab): both are hidden,
    // and the server's message keeps its words.
    const p = plan({ dsn: 'postgres://app:pa\tss@db/prod' });
    expect(p.redact(`password authentication failed: pass, pa\tss`)).toBe(
      'password authentication failed: ***, ***',
    );
    expect(plan({ dsn: 'postgres://postgres:postgres@db/prod' }).describe).toBe(
      'postgres://postgres:***@db/prod?sslmode=disable',
    );
  });

  it('hides a short known secret where it stands alone, never inside a word it would give away', () => {
    const message = 'cannot reach host=h sslmode=disable as ab (password ab, "ab")';
    expect(redactSecrets(message, ['ab'])).toBe(
      'cannot reach host=h sslmode=disable as *** (password ***, "***")',
    );
    // Four characters and more are hidden wherever they appear.
    expect(redactSecrets('xxabcdxx abcd', ['abcd'])).toBe('xx***xx ***');
  });
});

describe('describing and printing a connection', () => {
  const secret = 's3cret-pw';

  it('describes each source with the password hidden', () => {
    registerPostgresInstance('main', { connectionString: `postgres://alice:${secret}@inst/db` });
    const described = [
      plan({ dsn: `postgres://alice:${secret}@h/db` }).describe,
      plan({ host: 'h', user: 'alice', password: secret }).describe,
      plan({ instance: 'main' }).describe,
      plan({ client: fakeClient }).describe,
    ];
    expect(described).toEqual([
      'postgres://alice:***@h/db?sslmode=disable',
      'postgres://alice:***@h:5432/trpc-agent-go-pgsession?sslmode=disable',
      'postgres://alice:***@inst/db?sslmode=disable (instance "main")',
      'a pglite client supplied by the caller',
    ]);
  });

  it("hides a DSN's sslpassword, the key's passphrase, wherever a redacted text holds it", () => {
    const passphrase = 'k3y p@ss/?#';
    const dsn = `postgres://alice@h/db?sslmode=require&sslpassword=${encodeURIComponent(passphrase)}`;
    expect(secretsOf({ dsn })).toContain(passphrase);
    const redact = redactorFor({ dsn });
    expect(redact(`bad decrypt with "${passphrase}"`)).toBe('bad decrypt with "***"');
    const p = plan({ dsn, extraOptions: {} });
    expect(inspect(p, { depth: 10 })).not.toContain(passphrase);
    expect(JSON.stringify(p)).not.toContain(passphrase);
  });

  it("hides a DSN's sslpassword however its key or value is spelled, when the DSN itself is printed", () => {
    for (const dsn of [
      'postgres://u@h/db?ssl%70assword=hunter22',
      'postgres://u@h/db?sslpassword=hunter22',
      "host=h sslpassword='ab&cdhunter22'",
      'host=h sslpassword=ab&cdhunter22',
    ]) {
      expect(redactConnectionString(dsn), dsn).not.toContain('hunter22');
      const printed = inspect(optionsFromEnv({ dsn }), { depth: 5 });
      expect(printed, dsn).not.toContain('hunter22');
    }
  });

  it('hides the password when a plan is inspected or serialized', () => {
    const p = plan({ host: 'h', password: secret, extraOptions: { ssl: { key: secret } } });
    expect(inspect(p, { depth: 10 })).not.toContain(secret);
    expect(JSON.stringify(p)).not.toContain(secret);
    expect(p.poolConfig!.password).toBe(secret);
  });
});

describe('opening a connection', () => {
  it('uses a given client as is and does not own it', () => {
    const opened = openConnection(resolvePostgresOptions({ client: fakeClient }));
    expect(opened.client).toBe(fakeClient);
    expect(opened.owned).toBe(false);
  });

  it('does not own a given pool', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1 });
    const opened = openConnection(resolvePostgresOptions({ pool }));
    expect(opened.owned).toBe(false);
    await opened.client.close();
    expect(pool.ended).toBe(false);
    await pool.end();
  });

  it('reports an unreachable server as a StorageError without the password', async () => {
    const secret = 'unreachable-secret';
    for (const options of [
      { dsn: `postgres://alice:${secret}@127.0.0.1:1/db` },
      { host: '127.0.0.1', port: 1, user: 'alice', password: secret },
    ]) {
      const opened = openConnection(
        resolvePostgresOptions({ ...options, extraOptions: { connectionTimeoutMillis: 2000 } }),
      );
      expect(opened.owned).toBe(true);
      try {
        const error = await checkConnection(opened).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageError);
        expect((error as StorageError).code).toBe('STORAGE');
        expect((error as Error).message).toMatch(
          /^cannot connect \(postgres:\/\/alice:\*\*\*@127\.0\.0\.1:1\//,
        );
        expect((error as Error).message).not.toContain(secret);
        expect((error as Error & { cause?: unknown }).cause).toBeDefined();
      } finally {
        await opened.client.close();
      }
    }
  });
});

describeServer('opening a connection to a server', () => {
  it('connects with a DSN and sends its server settings', async () => {
    const url = new URL(serverUrl!);
    url.searchParams.set('application_name', 'agent-sessions-test');
    url.searchParams.set('statement_timeout', '4321');
    url.searchParams.set('sslmode', 'disable');
    const opened = openConnection(resolvePostgresOptions({ dsn: url.toString() }));
    try {
      await checkConnection(opened);
      const { rows } = await opened.client.query<{ app: string; timeout: string }>(
        "SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
      );
      expect(rows[0]).toEqual({ app: 'agent-sessions-test', timeout: '4321ms' });
    } finally {
      await opened.client.close();
    }
  });

  it('reports a database that does not exist as a StorageError', async () => {
    const url = new URL(serverUrl!);
    url.pathname = '/no_such_database_here';
    const opened = openConnection(resolvePostgresOptions({ dsn: url.toString() }));
    try {
      const error = await checkConnection(opened).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toContain('no_such_database_here');
    } finally {
      await opened.client.close();
    }
  });
});
