/**
 * TLS against a real server: a throwaway PostgreSQL cluster (test/support/cluster.ts) that accepts
 * only TLS connections, with a CA, a server certificate for `localhost` and a client certificate
 * made here by openssl. `require`, `verify-ca` and `verify-full` connect as they should; a wrong
 * CA, a host name the certificate is not for, and a missing client certificate are refused.
 * Skipped when initdb/pg_ctl or openssl are missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConnection, openConnection } from '../../src/postgres/connection/open.js';
import { type PostgresSessionServiceOptions, resolvePostgresOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { CLIENT_KEY_PASSPHRASE, hasOpenssl, makeCertificates } from '../support/certificates.js';
import { type Cluster, postgresBin, startCluster } from '../support/cluster.js';

const skip = !postgresBin
  ? 'initdb/pg_ctl are not installed'
  : !hasOpenssl
    ? 'openssl is missing'
    : undefined;
if (skip) console.info(`TLS tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('TLS to a server with a certificate made by the test', () => {
  let cluster: Cluster;
  let certs: string;
  const file = (name: string) => join(certs, name);

  beforeAll(async () => {
    certs = mkdtempSync(join(tmpdir(), 'agent-sessions-certs-'));
    const made = makeCertificates(certs);
    cluster = await startCluster({
      files: {
        'server.crt': made['server.crt']!,
        'server.key': made['server.key']!,
        'ca.crt': made['ca.crt']!,
      },
      conf: {
        ssl: 'on',
        ssl_cert_file: "'../server.crt'",
        ssl_key_file: "'../server.key'",
        ssl_ca_file: "'../ca.crt'",
        // `localhost` may resolve to ::1 first: listen on both.
        listen_addresses: "'127.0.0.1,::1'",
      },
      // TLS only: a plain connection is turned away, so a connection that works is encrypted.
      // Database `certdb` also wants a client certificate signed by the CA, for user postgres.
      hba: [
        'local all all trust',
        'hostssl certdb all 127.0.0.1/32 cert',
        'hostssl certdb all ::1/128 cert',
        'hostssl all all 127.0.0.1/32 trust',
        'hostssl all all ::1/128 trust',
        'host all all all reject',
      ].join('\n'),
    });
    execFileSync(
      join(postgresBin!, 'psql'),
      ['-h', cluster.dir, '-p', String(cluster.port), '-U', 'postgres', '-c', 'CREATE DATABASE certdb'],
      {
        stdio: 'pipe',
        env: { ...process.env, PGSSLMODE: 'disable' },
      },
    );
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    if (certs) rmSync(certs, { recursive: true, force: true });
  });

  const base = (extra: PostgresSessionServiceOptions): PostgresSessionServiceOptions => ({
    host: '127.0.0.1',
    port: cluster.port,
    user: 'postgres',
    database: 'postgres',
    connectTimeoutMs: 5_000,
    ...extra,
  });

  /** Connects, and returns whether the connection is encrypted; rejects when refused. */
  async function tlsInUse(options: PostgresSessionServiceOptions): Promise<boolean> {
    const opened = openConnection(resolvePostgresOptions(options));
    try {
      await checkConnection(opened);
      const { rows } = await opened.client.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return rows[0]!.ssl;
    } finally {
      await opened.client.close();
    }
  }

  /** The message of the StorageError a refused connection fails with. */
  async function refusal(options: PostgresSessionServiceOptions): Promise<string> {
    const error = await tlsInUse(options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'the connection must be refused').toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe('STORAGE');
    return `${(error as Error).message} / ${String((error as Error).cause)}`;
  }

  it('is refused without TLS by this server (so the cases below are encrypted)', async () => {
    expect(await refusal(base({ sslMode: 'disable' }))).toMatch(/pg_hba|reject|no encryption/i);
  });

  it('says to use TLS when the server takes no plain connection, and that prefer is no fallback', async () => {
    for (const options of [base({ sslMode: 'disable' }), { dsn: `${cluster.url}?sslmode=prefer` }]) {
      const refused = await refusal(options);
      expect(refused).toContain('set sslmode=require (or verify-full)');
      expect(refused).toContain('prefer and allow connect without TLS here');
    }
  });

  it('require: encrypts without checking the certificate', async () => {
    expect(await tlsInUse(base({ sslMode: 'require' }))).toBe(true);
  });

  it('verify-ca: connects with the CA file, whatever the host name', async () => {
    expect(await tlsInUse(base({ sslMode: 'verify-ca', sslRootCert: file('ca.crt') }))).toBe(true);
  });

  it('verify-ca: refuses a server whose certificate another CA signed', async () => {
    expect(await refusal(base({ sslMode: 'verify-ca', sslRootCert: file('other-ca.crt') }))).toMatch(
      /certificate/i,
    );
  });

  it('verify-ca: refuses without a CA file, since Node does not trust the test CA', async () => {
    expect(await refusal(base({ sslMode: 'verify-ca' }))).toMatch(/certificate/i);
  });

  it('says what a refused certificate means for the options: the CA, the host name', async () => {
    expect(await refusal(base({ sslMode: 'verify-ca', sslRootCert: file('other-ca.crt') }))).toContain(
      'not signed by a CA the client trusts: the one sslrootcert (sslRootCert) names',
    );
    expect(await refusal(base({ sslMode: 'verify-full', sslRootCert: file('ca.crt') }))).toContain(
      'not for this host name',
    );
  });

  it('says when extraOptions.ssl, not sslmode, decided the TLS of a refused connection', async () => {
    const refused = await refusal(
      base({ sslMode: 'disable', extraOptions: { ssl: { rejectUnauthorized: true } } }),
    );
    expect(refused).toContain('sslmode=disable (TLS as extraOptions.ssl sets it)');
    expect(refused).toContain('not signed by a CA the client trusts');
  });

  it('verify-full: connects to the host name the certificate is for', async () => {
    expect(
      await tlsInUse(base({ host: 'localhost', sslMode: 'verify-full', sslRootCert: file('ca.crt') })),
    ).toBe(true);
  });

  it('verify-full: refuses a host name the certificate is not for', async () => {
    expect(await refusal(base({ sslMode: 'verify-full', sslRootCert: file('ca.crt') }))).toMatch(
      /altnames|host ?name|does not match/i,
    );
  });

  it('sends a client certificate to a database that requires one, and is refused without it', async () => {
    const certOptions = base({
      database: 'certdb',
      sslMode: 'verify-full',
      host: 'localhost',
      sslRootCert: file('ca.crt'),
    });
    expect(await tlsInUse({ ...certOptions, sslCert: file('client.crt'), sslKey: file('client.key') })).toBe(
      true,
    );
    expect(await refusal(certOptions)).toMatch(/certificate/i);
  });

  it('reads sslmode and the certificate files from a DSN the same way', async () => {
    const dsn = `postgres://postgres@localhost:${cluster.port}/certdb?sslmode=verify-full&sslrootcert=${file('ca.crt')}&sslcert=${file('client.crt')}&sslkey=${file('client.key')}`;
    expect(await tlsInUse({ dsn })).toBe(true);
    const wrong = `postgres://postgres@127.0.0.1:${cluster.port}/postgres?sslmode=verify-full&sslrootcert=${file('ca.crt')}`;
    expect(await refusal({ dsn: wrong })).toMatch(/altnames|host ?name|does not match/i);
  });

  it('require with a root certificate checks the chain, as libpq and pgx do, from options and from a DSN', async () => {
    expect(await tlsInUse(base({ sslMode: 'require', sslRootCert: file('ca.crt') }))).toBe(true);
    expect(await refusal(base({ sslMode: 'require', sslRootCert: file('other-ca.crt') }))).toMatch(
      /certificate/i,
    );
    const dsn = (ca: string) =>
      `postgres://postgres@127.0.0.1:${cluster.port}/postgres?sslmode=require&sslrootcert=${file(ca)}`;
    expect(await tlsInUse({ dsn: dsn('ca.crt') })).toBe(true);
    expect(await refusal({ dsn: dsn('other-ca.crt') })).toMatch(/certificate/i);
  });

  it('refuses sslrootcert=system with a mode weaker than verify-full, naming the rule, and defaults to verify-full with it', () => {
    for (const sslMode of ['disable', 'require', 'verify-ca'] as const) {
      expect(() => openConnection(resolvePostgresOptions(base({ sslMode, sslRootCert: 'system' })))).toThrow(
        /may not be used with sslrootcert=system/,
      );
    }
    const dsn = (mode: string) =>
      `postgres://postgres@127.0.0.1:${cluster.port}/postgres?${mode}sslrootcert=system`;
    for (const mode of ['require', 'prefer', 'allow', 'disable']) {
      expect(() => openConnection(resolvePostgresOptions({ dsn: dsn(`sslmode=${mode}&`) }))).toThrow(
        /verify-full/,
      );
    }
    // No sslmode: verify-full, as libpq has it (and the test CA is no system CA, so it is refused).
    const opened = openConnection(resolvePostgresOptions({ dsn: dsn('') }));
    expect(opened.describe).toContain('sslmode=verify-full');
    void opened.client.close();
    const fromOptions = openConnection(resolvePostgresOptions(base({ sslRootCert: 'system' })));
    expect(fromOptions.describe).toContain('sslmode=verify-full');
    void fromOptions.client.close();
  });

  it('decrypts a client key with the DSN sslpassword, and is refused with a wrong one', async () => {
    const dsn = (password: string) =>
      `postgres://postgres@localhost:${cluster.port}/certdb?sslmode=verify-full&sslrootcert=${file('ca.crt')}` +
      `&sslcert=${file('client.crt')}&sslkey=${file('client-enc.key')}&sslpassword=${encodeURIComponent(password)}`;
    expect(await tlsInUse({ dsn: dsn(CLIENT_KEY_PASSPHRASE) })).toBe(true);
    const refused = await refusal({ dsn: dsn('Wr0ng-pass') });
    expect(refused).toMatch(/decrypt/i);
    expect(refused).toContain('the client key could not be decrypted: check sslpassword');
    expect(refused).not.toContain('Wr0ng-pass');
    // No passphrase at all fails the same way, with the same word on it.
    const missing = await refusal({ dsn: dsn('').replace('&sslpassword=', '') });
    expect(missing).toContain('check sslpassword');
  });

  it('runs a session service over verify-full TLS', async () => {
    const service = await PostgresSessionService.create(
      base({ host: 'localhost', sslMode: 'verify-full', sslRootCert: file('ca.crt'), tablePrefix: 'tls' }),
    );
    try {
      const session = await service.createSession({ appName: 'tls', userId: 'u' });
      expect((await service.getSession({ appName: 'tls', userId: 'u', sessionId: session.id }))?.id).toBe(
        session.id,
      );
    } finally {
      await service.close();
    }
  });

  it('uses no TLS on a Unix socket, whatever sslmode says, as libpq and pgx do: from options, a DSN and its URL form', async () => {
    // The socket has no TLS (the server refuses to start it there); before, each of these failed
    // with "The server does not support SSL connections". The CA file is not even read.
    const socket = cluster.dir;
    const cases: PostgresSessionServiceOptions[] = [
      { host: socket, port: cluster.port, user: 'postgres', database: 'postgres', sslMode: 'require' },
      {
        host: socket,
        port: cluster.port,
        user: 'postgres',
        database: 'postgres',
        sslMode: 'verify-full',
        sslRootCert: file('missing.crt'),
      },
      { dsn: `host=${socket} port=${cluster.port} user=postgres dbname=postgres sslmode=verify-ca` },
      {
        dsn: `postgres://postgres@${encodeURIComponent(socket)}:${cluster.port}/postgres?sslmode=require&sslrootcert=${file('ca.crt')}`,
      },
      { dsn: `postgres:///postgres?host=${socket}&port=${cluster.port}&user=postgres&sslmode=verify-full` },
    ];
    for (const options of cases) {
      expect(await tlsInUse({ connectTimeoutMs: 5_000, ...options }), JSON.stringify(options)).toBe(false);
    }
    // The description says what runs, and sslrootcert=system still asks for verify-full, as in libpq.
    const described = openConnection(
      resolvePostgresOptions({
        host: socket,
        port: cluster.port,
        user: 'postgres',
        database: 'postgres',
        sslMode: 'require',
      }),
    );
    try {
      expect(described.describe).toBe(
        `postgres://postgres@${encodeURIComponent(socket)}:${cluster.port}/postgres?sslmode=require (no TLS on a Unix socket)`,
      );
    } finally {
      await described.client.close();
    }
    expect(() =>
      openConnection(resolvePostgresOptions({ host: socket, sslMode: 'require', sslRootCert: 'system' })),
    ).toThrow('may not be used with sslrootcert=system');
  });

  it('names the option when a certificate file cannot be read', () => {
    expect(() =>
      openConnection(
        resolvePostgresOptions(base({ sslMode: 'verify-ca', sslRootCert: file('missing.crt') })),
      ),
    ).toThrow(/sslrootcert.*missing\.crt/);
  });
});
