/**
 * Certificates for the TLS tests, made by openssl in a directory of the test's: a CA, a server
 * certificate for DNS:localhost only (so 127.0.0.1 is the wrong host name for verify-full), a
 * client certificate for user postgres (its key also encrypted), and an unrelated CA.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The passphrase of client-enc.key: spaces and URL delimiters, as a DSN must percent-encode them. */
export const CLIENT_KEY_PASSPHRASE = 'k3y p@ss/?#&';

/** Whether the openssl command is there to make them. */
export const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A CA, a server certificate for DNS:localhost only, a client certificate for user postgres, and an unrelated CA. */
export function makeCertificates(dir: string): Record<string, string> {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) =>
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    );
  const signed = (name: string, subject: string, ext: string) => {
    ssl(
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  ca('ca');
  ca('other-ca');
  // No IP address in the certificate: connecting to 127.0.0.1 with verify-full is the wrong host name.
  signed('server', '/CN=localhost', 'subjectAltName=DNS:localhost\n');
  signed('client', '/CN=postgres', 'extendedKeyUsage=clientAuth\n');
  // The client key again, encrypted with CLIENT_KEY_PASSPHRASE (libpq's sslpassword).
  ssl(
    'pkey',
    '-in',
    'client.key',
    '-aes256',
    '-passout',
    `pass:${CLIENT_KEY_PASSPHRASE}`,
    '-out',
    'client-enc.key',
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return Object.fromEntries(
    ['ca.crt', 'other-ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key', 'client-enc.key'].map(
      (f) => [f, read(f)],
    ),
  );
}
