/**
 * What connectionError (connection/open.ts) says about a failure beyond the driver's words: a
 * server that offers no TLS to a client that wants it (a stand-in server on a free local port that
 * answers node-postgres's SSLRequest with "N", as PostgreSQL with ssl = off does), and OpenSSL's
 * messages flattened to one line. The other TLS hints are met against real servers in
 * tls.test.ts and pgbouncer-tls.test.ts.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionError } from '../../src/postgres/connection/open.js';
import { startError } from '../support/database.js';

describe('connectionError', () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    // Answers the 8-byte SSLRequest with "N" (no TLS here) and then hangs up.
    server = createServer((socket) => {
      socket.once('data', () => socket.end('N'));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says a server that offers no TLS does not, and what to change', async () => {
    const error = await startError({
      dsn: `postgres://app:s3cret@127.0.0.1:${port}/db?sslmode=require`,
      connectTimeoutMs: 3_000,
    });
    expect((error as { code?: string }).code).toBe('STORAGE');
    const message = (error as Error).message;
    expect(message).toContain('The server does not support SSL connections');
    expect(message).toContain(
      'the server does not offer TLS: use sslmode=disable, or enable ssl on the server',
    );
    expect(message).not.toContain('s3cret');
  });

  it("puts OpenSSL's multi-line message on one line, with what a required client certificate means", () => {
    const raw = Object.assign(
      new Error(
        '80ACA1EE6B7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n',
      ),
      { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
    );
    const message = connectionError(raw, 'postgres://app@db:5432/x', 'cannot connect', (t) => t).message;
    expect(message).not.toMatch(/\n/);
    expect(message).toBe(
      'cannot connect (postgres://app@db:5432/x): 80ACA1EE6B7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116 (the server requires a client certificate: set sslcert and sslkey (sslCert, sslKey))',
    );
  });
});
