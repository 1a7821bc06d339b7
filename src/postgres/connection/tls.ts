/**
 * TLS as libpq's sslmode means it, in node-postgres `ssl` settings, with the PEM files of
 * sslrootcert, sslcert and sslkey read at planning time.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { ConfigError } from '../../session/errors.js';
import { DEFAULT_SSL_MODE, type ResolvedPostgresOptions, type SslMode } from '../options.js';
import type { DsnSslMode } from './connection-string.js';

export type TlsOptions = Exclude<pg.PoolConfig['ssl'], boolean | undefined>;

/**
 * libpq's sslmode as node-postgres `ssl`. `allow` and `prefer` (libpq: TLS if the server offers
 * it) connect without TLS, since node-postgres cannot fall back from one to the other; both modes
 * accept an unencrypted connection, so this stays within what they promise.
 */
export function sslFor(mode: SslMode | DsnSslMode): false | TlsOptions {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must be trusted, but the host name is not compared with the certificate.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/**
 * The sslmode that applies: the one given, else the default, which with `sslrootcert=system` is
 * `verify-full`, as libpq has it.
 */
export function sslModeOf(
  mode: SslMode | DsnSslMode | undefined,
  rootCert: string | undefined,
): SslMode | DsnSslMode {
  return mode ?? (rootCert === 'system' ? 'verify-full' : DEFAULT_SSL_MODE);
}

export function readPem(path: string, param: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read ${param} file ${path}: ${(error as Error).message}`);
  }
}

/** PEM file paths of TLS, as libpq's sslrootcert, sslcert and sslkey, and sslkey's passphrase. */
export interface TlsFiles {
  rootCert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** libpq's sslpassword: the passphrase of an encrypted key. */
  keyPassword?: string | undefined;
}

/**
 * Whether `host` is a Unix-domain socket directory (node-postgres's test: a path). libpq and pgx
 * use no TLS there, whatever sslmode says, so a DSN or a PGSSLMODE that works for psql or a Go
 * service on a socket works here too: node-postgres would ask the socket for TLS, and the server
 * refuses ("The server does not support SSL connections").
 */
export const isSocketHost = (host: string | undefined): boolean => host?.startsWith('/') === true;

/**
 * node-postgres `ssl` for a mode and its files; the files matter only when TLS is on. On a Unix
 * socket `host` TLS is off, and no file is read (see isSocketHost). As in libpq
 * (and pgx), `require` with a root certificate file checks the chain as `verify-ca` does: a DSN
 * that names its CA keeps that check whatever client reads it. And as in libpq, the system's CAs
 * (`sslrootcert=system`) go only with `verify-full` (the default with them, see sslModeOf), since
 * any public CA can sign a certificate for any host name.
 */
export function tlsSettings(
  mode: SslMode | DsnSslMode,
  files: TlsFiles,
  field: string,
  host?: string,
): false | TlsOptions {
  const system = files.rootCert === 'system';
  if (system && mode !== 'verify-full')
    throw new ConfigError(
      field,
      `sslmode "${mode}" may not be used with sslrootcert=system (use "verify-full")`,
    );
  if (isSocketHost(host)) return false;
  const ssl = sslFor(mode === 'require' && files.rootCert && !system ? 'verify-ca' : mode);
  if (!ssl) return false;
  const out: TlsOptions = { ...ssl };
  if (files.rootCert && !system) out.ca = readPem(files.rootCert, 'sslrootcert', field);
  if (files.cert) out.cert = readPem(files.cert, 'sslcert', field);
  if (files.key) out.key = readPem(files.key, 'sslkey', field);
  if (files.keyPassword !== undefined) out.passphrase = files.keyPassword;
  return out;
}

export const optionFiles = (o: ResolvedPostgresOptions): TlsFiles => ({
  rootCert: o.sslRootCert,
  cert: o.sslCert,
  key: o.sslKey,
});
