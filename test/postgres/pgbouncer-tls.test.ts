/**
 * Behind PgBouncer, over TLS: a PgBouncer that accepts only TLS clients (`client_tls_sslmode =
 * require`, with a certificate made here for `localhost`) in front of the test server. The service
 * connects with `sslMode: 'verify-full'` and its CA file, in transaction mode, synchronously and
 * with asyncPersist, and every write is read back; the same pooler turns away a plain connection
 * (so the ones that work are encrypted) and verify-full refuses it under a host name its
 * certificate is not for. Skipped without pgbouncer or openssl.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { createEvent } from '../../src/session/event.js';
import { hasOpenssl, makeCertificates } from '../support/certificates.js';
import { startError, withServerSchema } from '../support/database.js';
import { describePgBouncer, type PgBouncer, startPgBouncer } from '../support/pgbouncer.js';

const describeTls = hasOpenssl ? describePgBouncer : describePgBouncer.skip;

describeTls('behind PgBouncer over TLS', () => {
  let bouncer: PgBouncer | undefined;
  let certBouncer: PgBouncer | undefined;
  let certs = '';
  let db: Awaited<ReturnType<typeof withServerSchema>> | undefined;
  const file = (name: string) => join(certs, name);

  beforeAll(async () => {
    certs = mkdtempSync(join(tmpdir(), 'agent-sessions-bouncer-certs-'));
    const made = makeCertificates(certs);
    for (const [name, text] of Object.entries(made)) writeFileSync(file(name), text);
    // PgBouncer runs as the postgres user when the tests run as root: let it read them.
    chmodSync(certs, 0o755);
    for (const name of Object.keys(made)) chmodSync(file(name), 0o644);
    const tls = {
      // `localhost` may resolve to ::1 first: listen on both.
      listen_addr: '127.0.0.1,::1',
      client_tls_sslmode: 'require',
      client_tls_cert_file: file('server.crt'),
      client_tls_key_file: file('server.key'),
      client_tls_ca_file: file('ca.crt'),
    };
    bouncer = await startPgBouncer('transaction', { settings: tls });
    // One that also wants a client certificate signed by the CA, at the TLS handshake.
    certBouncer = await startPgBouncer('transaction', {
      settings: { ...tls, client_tls_sslmode: 'verify-ca' },
    });
    db = await withServerSchema();
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    await bouncer?.stop();
    await certBouncer?.stop();
    if (certs) rmSync(certs, { recursive: true, force: true });
  });

  const options = (extra: PostgresSessionServiceOptions): PostgresSessionServiceOptions => ({
    host: 'localhost',
    port: bouncer!.port,
    user: 'postgres',
    database: new URL(bouncer!.url).pathname.slice(1),
    schema: db!.schema,
    connectTimeoutMs: 5_000,
    ...extra,
  });

  for (const asyncPersist of [false, true]) {
    it(`runs the service over verify-full${asyncPersist ? ' with asyncPersist' : ''}, every write read back`, async () => {
      const svc = await PostgresSessionService.create(
        options({ sslMode: 'verify-full', sslRootCert: file('ca.crt'), asyncPersist }),
      );
      try {
        const app = `tls-${asyncPersist}`;
        const sessions = await Promise.all(
          ['a', 'b', 'c'].map((id) => svc.createSession({ appName: app, userId: 'u', sessionId: id })),
        );
        await Promise.all(
          sessions.map(async (session) => {
            for (let i = 0; i < 10; i++) {
              const message = { role: 'user' as const, content: `${session.id} ${i} ✓` };
              await svc.appendEvent(session, createEvent({ author: 'user', message }));
            }
          }),
        );
        await svc.flush();
        for (const session of sessions) {
          const read = await svc.getSession({ appName: app, userId: 'u', sessionId: session.id });
          expect(read!.events.map((e) => e.choices?.[0]?.message.content)).toEqual(
            Array.from({ length: 10 }, (_, i) => `${session.id} ${i} ✓`),
          );
        }
      } finally {
        await svc.close();
      }
    });
  }

  it('is refused without TLS by this pooler (so the connections above are encrypted)', async () => {
    const error = await startError(options({ sslMode: 'disable' }));
    expect((error as { code?: string } | undefined)?.code).toBe('STORAGE');
  });

  it('says the pooler requires TLS when sslmode is prefer or absent (no fallback to TLS here)', async () => {
    for (const tail of ['?sslmode=prefer', '']) {
      const error = await startError({ dsn: `${bouncer!.url}${tail}`, connectTimeoutMs: 5_000 });
      expect((error as { code?: string } | undefined)?.code).toBe('STORAGE');
      expect((error as Error).message).toContain('SSL required');
      expect((error as Error).message).toContain(
        'the server requires TLS: set sslmode=require (or verify-full)',
      );
    }
  });

  it('says the pooler requires a client certificate, on one line', async () => {
    const error = await startError({
      dsn: `${certBouncer!.url}?sslmode=require`,
      connectTimeoutMs: 5_000,
    });
    const message = (error as Error).message;
    expect(message).toContain('the server requires a client certificate: set sslcert and sslkey');
    expect(message).not.toContain('\n');
    // With one, it connects.
    const svc = await PostgresSessionService.create({
      dsn: `${certBouncer!.url}?sslmode=require&sslcert=${file('client.crt')}&sslkey=${file('client.key')}`,
      schema: db!.schema,
      connectTimeoutMs: 5_000,
    });
    await svc.close();
  });

  it('verify-full refuses the pooler under a host name its certificate is not for', async () => {
    const error = await startError(
      options({ host: '127.0.0.1', sslMode: 'verify-full', sslRootCert: file('ca.crt') }),
    );
    expect((error as { code?: string } | undefined)?.code).toBe('STORAGE');
    expect(`${(error as Error).message} ${String((error as Error).cause)}`).toMatch(
      /127\.0\.0\.1|altnames|IP/i,
    );
  });
});
