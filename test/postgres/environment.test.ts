/**
 * Connection settings from the environment (DATABASE_URL, libpq's PG* variables) for the library
 * (optionsFromEnv) and the command line, below the options given in code.
 */
import { userInfo } from 'node:os';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentDsn, optionsFromEnv } from '../../src/postgres/connection/environment.js';
import { openConnection, planConnection } from '../../src/postgres/connection/open.js';
import { resolvePostgresOptions } from '../../src/postgres/options.js';
import { quoteIdentifier } from '../../src/postgres/schema/names.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { cli, ensureBuilt, ok, serverSchema, tempDir } from '../cli/support.js';
import { describeServer, serverUrl } from '../support/database.js';

const PG = {
  PGHOST: 'db.internal',
  PGPORT: '6432',
  PGUSER: 'agent',
  PGPASSWORD: 's3cret',
  PGDATABASE: 'sessions',
  PGSSLMODE: 'require',
};

describe('optionsFromEnv', () => {
  it('takes host, port, user, password, database and sslmode from the PG* variables', () => {
    expect(optionsFromEnv({}, PG)).toEqual({
      host: 'db.internal',
      port: 6432,
      user: 'agent',
      password: 's3cret',
      database: 'sessions',
      sslMode: 'require',
    });
  });

  it('prefers DATABASE_URL over the PG* variables, which fill in only its TLS settings', () => {
    expect(optionsFromEnv({}, { ...PG, DATABASE_URL: 'postgres://u@h/db' })).toEqual({
      dsn: 'postgres://u@h/db',
      sslMode: 'require',
    });
  });

  it('gives a connection string the TLS settings it leaves out, as libpq does; its own win', () => {
    const tls = {
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/ca.pem',
      PGSSLCERT: '/c.pem',
      PGSSLKEY: '/k.pem',
    };
    const files = { sslRootCert: '/ca.pem', sslCert: '/c.pem', sslKey: '/k.pem' };
    expect(optionsFromEnv({}, { ...tls, DATABASE_URL: 'postgres://u@h/db' })).toEqual({
      dsn: 'postgres://u@h/db',
      sslMode: 'verify-full',
      ...files,
    });
    expect(optionsFromEnv({ dsn: 'postgres://u@h/db' }, tls)).toEqual({
      dsn: 'postgres://u@h/db',
      sslMode: 'verify-full',
      ...files,
    });
    expect(optionsFromEnv({ instance: 'main', sslMode: 'disable' }, tls)).toEqual({
      instance: 'main',
      sslMode: 'disable',
      ...files,
    });
    const described = (env: Record<string, string>) =>
      planConnection(resolvePostgresOptions(optionsFromEnv({}, env))).describe;
    expect(described({ PGSSLMODE: 'require', DATABASE_URL: 'postgres://u@h/db' })).toBe(
      'postgres://u@h/db?sslmode=require',
    );
    expect(described({ PGSSLMODE: 'require', DATABASE_URL: 'postgres://u@h/db?sslmode=disable' })).toBe(
      'postgres://u@h/db?sslmode=disable',
    );
    expect(described({ PGSSLMODE: 'prefer', DATABASE_URL: 'postgres://u@h/db' })).toBe(
      'postgres://u@h/db?sslmode=disable',
    );
  });

  it('takes the values as given, blanks included', () => {
    expect(optionsFromEnv({}, { PGHOST: 'h', PGPASSWORD: ' sp ace ', PGUSER: ' u ' })).toMatchObject({
      password: ' sp ace ',
      user: ' u ',
    });
    expect(environmentDsn({ PGHOST: 'h', PGPASSWORD: ' sp ace ' })).toBe("host='h' password=' sp ace '");
  });

  it('names the variable that is malformed', () => {
    for (const [name, bad] of [
      ['PGSSLMODE', 'Require'],
      ['PGPORT', '64x41'],
      ['PGPORT', '70000'],
      ['PGHOST', 'a,b'],
    ] as const) {
      const env = { PGHOST: 'h', [name]: bad };
      expect(() => optionsFromEnv({}, env), name).toThrow(new RegExp(`^${name}: `));
      expect(() => environmentDsn(env), name).toThrow(new RegExp(`^${name}: `));
      expect(() => environmentDsn({ ...env, DATABASE_URL: 'postgres://u@h/db' }), name).toThrow(
        new RegExp(`^${name}: `),
      );
    }
    expect(() => optionsFromEnv({ dsn: 'postgres://u@h/db' }, { PGSSLMODE: 'Require' })).toThrow(
      /^PGSSLMODE: /,
    );
    // Without a server named, the command line uses the embedded database and reads none of them.
    expect(environmentDsn({ PGSSLMODE: 'Require' })).toBeUndefined();
  });

  it('refuses the variables of the parameters a connection string may not ask for, naming them, as the DSN does', () => {
    const refused: [string, string, string][] = [
      ['PGHOSTADDR', '10.0.0.9', 'give the address as PGHOST'],
      ['PGSERVICE', 'svc-marker', 'write out the service file entry as PG* variables or a connection string'],
      ['PGSSLCRL', '/crl-marker.pem', 'certificate revocation lists cannot be checked'],
      ['PGSSLCRLDIR', '/crl-marker', 'certificate revocation lists cannot be checked'],
      ['PGCHANNELBINDING', 'require', 'only disable and prefer can be honoured'],
      ['PGREQUIREAUTH', 'scram-sha-256', 'the authentication method cannot be restricted'],
      ['PGREQUIREPEER', 'postgres', "the socket peer's user cannot be checked"],
      ['PGGSSENCMODE', 'require', 'GSSAPI encryption is not available'],
      ['PGSSLMINPROTOCOLVERSION', 'TLSv1.3', "Node's minimum TLS version applies (TLSv1.2 by default)"],
    ];
    for (const [name, bad, instead] of refused) {
      const message = `${name}: is not supported (${instead})`;
      const env = { [name]: bad };
      // Every way to a server that reads the environment: PG*, DATABASE_URL, a DSN or instance in code.
      const ways: (() => unknown)[] = [
        () => optionsFromEnv({}, { PGHOST: 'h', ...env }),
        () => optionsFromEnv({}, env),
        () => optionsFromEnv({ host: 'h' }, env),
        () => optionsFromEnv({}, { DATABASE_URL: 'postgres://u@h/db', ...env }),
        () => optionsFromEnv({ dsn: 'postgres://u@h/db' }, env),
        () => optionsFromEnv({ instance: 'main' }, env),
        () => environmentDsn({ PGHOST: 'h', ...env }),
        () => environmentDsn({ DATABASE_URL: 'postgres://u@h/db', ...env }),
      ];
      for (const way of ways) {
        expect(way, name).toThrow(message);
        // The value is not printed: the DSN's message does not print it either.
        try {
          way();
        } catch (error) {
          expect((error as Error).message, name).not.toContain(bad);
          expect((error as { code?: string }).code, name).toBe('CONFIG');
        }
      }
      // A client or pool in code takes nothing from the environment.
      expect(optionsFromEnv({ client: {} as never }, env), name).toEqual({ client: {} });
    }
    // With no server named, the command line opens its embedded database, unless a variable
    // that names the server itself is set: libpq would connect to it, so it is refused.
    // The library's embedded database (a dataDir, nothing naming a server) is held to the same.
    for (const name of ['PGHOSTADDR', 'PGSERVICE']) {
      expect(() => environmentDsn({ [name]: 'x' }), name).toThrow(new RegExp(`^${name}: is not supported`));
      expect(() => optionsFromEnv({ dataDir: './d' }, { [name]: 'x' }), name).toThrow(
        new RegExp(`^${name}: is not supported`),
      );
    }
    for (const [name, bad] of refused.filter(([n]) => !['PGHOSTADDR', 'PGSERVICE'].includes(n))) {
      expect(environmentDsn({ [name]: bad }), name).toBeUndefined();
      expect(optionsFromEnv({ dataDir: './d' }, { [name]: bad }), name).toEqual({ dataDir: './d' });
    }
    // A server named after all (PGHOST beside the dataDir) takes them again.
    expect(() => optionsFromEnv({ dataDir: './d' }, { PGHOST: 'h', PGSSLCRL: '/c' })).toThrow(/^PGSSLCRL: /);
  });

  it('takes PGSERVICEFILE, which libpq reads only for a service named (and PGSERVICE is refused)', () => {
    const env = { PGSERVICEFILE: '/etc/pg_service.conf' };
    expect(environmentDsn(env)).toBeUndefined();
    expect(environmentDsn({ ...PG, ...env })).toBe(environmentDsn(PG));
    expect(optionsFromEnv({}, { ...PG, ...env })).toEqual(optionsFromEnv({}, PG));
    expect(optionsFromEnv({ dsn: 'postgres://u@h/db' }, env)).toEqual({ dsn: 'postgres://u@h/db' });
    expect(optionsFromEnv({ dataDir: './d' }, env)).toEqual({ dataDir: './d' });
  });

  it('takes the values of those variables that ask for nothing more, and empty ones as unset', () => {
    const fine = [
      ['PGCHANNELBINDING', 'disable'],
      ['PGCHANNELBINDING', 'prefer'],
      ['PGGSSENCMODE', 'disable'],
      ['PGGSSENCMODE', 'prefer'],
      ['PGSSLMINPROTOCOLVERSION', 'TLSv1.2'],
      // libpq compares this one without case.
      ['PGSSLMINPROTOCOLVERSION', 'tlsv1.2'],
      ['PGSSLMINPROTOCOLVERSION', 'TLSV1.1'],
      ...['PGHOSTADDR', 'PGSERVICE', 'PGSSLCRL', 'PGSSLCRLDIR', 'PGCHANNELBINDING'].map((n) => [n, '']),
      ...['PGREQUIREAUTH', 'PGREQUIREPEER', 'PGGSSENCMODE', 'PGSSLMINPROTOCOLVERSION'].map((n) => [n, '']),
    ];
    for (const [name, v] of fine) {
      const env = { ...PG, [name!]: v };
      expect(optionsFromEnv({}, env), `${name}=${v}`).toEqual(optionsFromEnv({}, PG));
      expect(environmentDsn(env), `${name}=${v}`).toBe(environmentDsn(PG));
      expect(optionsFromEnv({ dsn: 'postgres://u@h/db' }, { [name!]: v }), `${name}=${v}`).toEqual({
        dsn: 'postgres://u@h/db',
      });
    }
  });

  it('lets every option given in code win over the environment', () => {
    expect(optionsFromEnv({ database: 'mine', sslMode: 'disable' }, PG)).toMatchObject({
      host: 'db.internal',
      database: 'mine',
      sslMode: 'disable',
    });
    // A host in code is not moved elsewhere by PGHOST; the other PG* fields fill in, as libpq does.
    expect(optionsFromEnv({ host: 'primary' }, { ...PG, DATABASE_URL: 'postgres://u@h/db' })).toEqual({
      host: 'primary',
      port: 6432,
      user: 'agent',
      password: 's3cret',
      database: 'sessions',
      sslMode: 'require',
    });
    // A connection string in code takes only the TLS settings it leaves out (PGSSLMODE here).
    for (const chosen of [{ dsn: 'postgres://x@y/z' }, { instance: 'main' }]) {
      expect(optionsFromEnv(chosen, { ...PG, DATABASE_URL: 'postgres://u@h/db' })).toEqual({
        ...chosen,
        sslMode: 'require',
      });
    }
  });

  it('keeps the non-connection options and ignores empty variables', () => {
    expect(optionsFromEnv({ tablePrefix: 'agent' }, { PGHOST: '', DATABASE_URL: ' ' })).toEqual({
      tablePrefix: 'agent',
    });
  });

  it('reads libpq allow/prefer as disable, and refuses a PGPORT that is not a number, naming it', () => {
    expect(optionsFromEnv({}, { PGSSLMODE: 'prefer' }).sslMode).toBe('disable');
    expect(() => optionsFromEnv({}, { PGPORT: 'five' })).toThrow(/PGPORT/);
  });

  it('prints without the secrets it took from the environment, keeping them for the service', () => {
    const password = "p@ss w'rd:/?#%";
    const fromPg = optionsFromEnv(
      { extraOptions: { ssl: { passphrase: 'k3y-pass' } } },
      { ...PG, PGPASSWORD: password },
    );
    const fromUrl = optionsFromEnv({}, { DATABASE_URL: `postgres://u:${encodeURIComponent(password)}@h/db` });
    for (const options of [fromPg, fromUrl]) {
      for (const printed of [inspect(options, { depth: 10 }), JSON.stringify(options), String(options)]) {
        expect(printed).not.toContain(encodeURIComponent(password));
        expect(printed).not.toContain(password);
        expect(printed).not.toContain('k3y-pass');
        expect(printed).toContain('***');
      }
    }
    expect(fromPg.password).toBe(password);
    // A pool of the caller's (whose options keep its connection string) prints as a pool, as a service's options print it.
    const pool = new pg.Pool({ connectionString: `postgres://u:${encodeURIComponent(password)}@h/db` });
    const withPool = optionsFromEnv({ pool }, PG);
    expect(inspect(withPool, { depth: 10 })).toContain('[pg.Pool]');
    for (const printed of [inspect(withPool, { depth: 10 }), JSON.stringify(withPool)]) {
      expect(printed).not.toContain(encodeURIComponent(password));
    }
    expect(withPool.pool).toBe(pool);
    void pool.end();
    expect(resolvePostgresOptions(fromUrl).dsn).toBe(`postgres://u:${encodeURIComponent(password)}@h/db`);
  });

  it('is what the connection plan uses, password hidden in its description', () => {
    const plan = planConnection(resolvePostgresOptions(optionsFromEnv({}, PG)));
    expect(plan.source).toBe('host');
    expect(plan.poolConfig).toMatchObject({
      host: 'db.internal',
      port: 6432,
      user: 'agent',
      database: 'sessions',
    });
    expect(plan.describe).toBe('postgres://agent:***@db.internal:6432/sessions?sslmode=require');
  });
});

describe('environmentDsn (the command line)', () => {
  it('is DATABASE_URL when set, else the PG* variables as libpq key=value pairs when PGHOST is set', () => {
    expect(environmentDsn({ ...PG, DATABASE_URL: 'postgres://u@h/db' })).toBe('postgres://u@h/db');
    expect(environmentDsn({ ...PG, PGPASSWORD: "it's" })).toBe(
      "host='db.internal' port='6432' user='agent' password='it\\'s' dbname='sessions' sslmode='require'",
    );
    expect(environmentDsn({ PGUSER: 'agent' })).toBeUndefined();
  });
});

describeServer('the environment on a real server', () => {
  const url = new URL(serverUrl ?? 'postgres://localhost/test');
  const env = {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username || 'postgres'),
    PGDATABASE: url.pathname.slice(1),
    ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
  };
  let schema: Awaited<ReturnType<typeof serverSchema>>;
  // The account the tests run as, with a role of its own on the server (made here when missing).
  const account = userInfo().username;
  const role = quoteIdentifier(account);
  let madeRole = false;
  beforeAll(async () => {
    schema = await serverSchema();
    const { rowCount } = await schema.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [account]);
    if (rowCount === 0) {
      await schema.pool.query(`CREATE ROLE ${role} LOGIN`);
      madeRole = true;
    }
    await schema.pool.query(`GRANT ALL ON SCHEMA "${schema.schema}" TO ${role}`);
    ensureBuilt();
  }, 300_000);
  afterAll(async () => {
    if (madeRole) {
      await schema.pool.query(`DROP OWNED BY ${role}`);
      await schema.pool.query(`DROP ROLE ${role}`);
    }
    await schema?.drop();
  });

  it('connects a service with the PG* variables alone', async () => {
    const service = await PostgresSessionService.create(optionsFromEnv({ schema: schema.schema }, env));
    try {
      const session = await service.createSession({ appName: 'env', userId: 'u' });
      expect(session.id).not.toBe('');
    } finally {
      await service.close();
    }
  });

  /** The server's URL without a user name: whoever runs the program logs in. */
  const anonymous = () => {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  };

  it('logs in as the operating system account when nothing names a user and $USER is unset', async () => {
    // node-postgres reads $USER once, when it loads; this is what it sends when that was unset.
    const saved = { defaults: pg.defaults.user, PGUSER: process.env.PGUSER };
    pg.defaults.user = undefined;
    delete process.env.PGUSER;
    const opened = openConnection(resolvePostgresOptions({ dsn: anonymous(), extraOptions: { max: 1 } }));
    try {
      const { rows } = await opened.client.query<{ user: string }>('SELECT current_user AS user');
      expect(rows).toEqual([{ user: account }]);
    } finally {
      pg.defaults.user = saved.defaults;
      if (saved.PGUSER !== undefined) process.env.PGUSER = saved.PGUSER;
      await opened.client.close();
    }
  });

  it('runs the command line with a DSN that names no user, from a process without $USER', async () => {
    const dir = tempDir('agent-sessions-env-');
    try {
      const result = await cli(['migrate', '--dsn', anonymous(), '--schema', schema.schema], {
        cwd: dir.path,
        env: { USER: undefined, LOGNAME: undefined, DATABASE_URL: undefined },
      });
      ok(result);
    } finally {
      dir.remove();
    }
  }, 300_000);

  /** The server's URL without an sslmode of its own. */
  const withoutSslmode = () => {
    const u = new URL(url);
    u.searchParams.delete('sslmode');
    return u.toString();
  };

  it('refuses plaintext when PGSSLMODE=require and DATABASE_URL says no sslmode (the server offers no TLS)', async () => {
    const tlsEnv = { DATABASE_URL: withoutSslmode(), PGSSLMODE: 'require' };
    await expect(
      PostgresSessionService.create(optionsFromEnv({ schema: schema.schema }, tlsEnv)),
    ).rejects.toThrow(/does not support SSL/);
    const dir = tempDir('agent-sessions-env-');
    try {
      for (const [args, extra] of [
        [['ls', '--schema', schema.schema], tlsEnv],
        [['ls', '--schema', schema.schema, '--dsn', withoutSslmode()], { PGSSLMODE: 'require' }],
      ] as const) {
        const result = await cli([...args], { cwd: dir.path, env: { ...extra } });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/does not support SSL/);
      }
      // The URL's own sslmode wins over the variable.
      ok(
        await cli(['migrate', '--schema', schema.schema], {
          cwd: dir.path,
          env: {
            DATABASE_URL: `${withoutSslmode()}${withoutSslmode().includes('?') ? '&' : '?'}sslmode=disable`,
            PGSSLMODE: 'require',
          },
        }),
      );
    } finally {
      dir.remove();
    }
  }, 300_000);

  it('runs the command line and connects a service with PGCHANNELBINDING and PGGSSENCMODE asking for nothing more', async () => {
    const fine = { ...env, PGCHANNELBINDING: 'prefer', PGGSSENCMODE: 'disable', PGSSLCRL: '' };
    const service = await PostgresSessionService.create(optionsFromEnv({ schema: schema.schema }, fine));
    await service.close();
    const dir = tempDir('agent-sessions-env-');
    try {
      ok(await cli(['migrate', '--schema', schema.schema], { cwd: dir.path, env: fine }));
    } finally {
      dir.remove();
    }
  }, 300_000);

  it('points the command line at the server with the PG* variables (no DATABASE_URL)', async () => {
    const dir = tempDir('agent-sessions-env-');
    try {
      ok(await cli(['migrate', '--schema', schema.schema], { cwd: dir.path, env }));
      const { rows } = await schema.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'session_states'",
        [schema.schema],
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      dir.remove();
    }
  }, 300_000);
});
