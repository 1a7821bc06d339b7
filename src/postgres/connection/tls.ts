/**
 * TLS as libpq's sslmode means it, in node-postgres `ssl` settings, with the PEM files of
 * sslrootcert, sslcert and sslkey read at planning time.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { ConfigError } from '../../session/errors.js';
import type { ResolvedPostgresOptions, SslMode } from '../options.js';
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

export function readPem(path: string, param: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read ${param} file ${path}: ${(error as Error).message}`);
  }
}

/** PEM file paths of TLS, as libpq's sslrootcert, sslcert and sslkey. */
export interface TlsFiles {
  rootCert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** node-postgres `ssl` for a mode and its files; the files matter only when TLS is on. */
export function tlsSettings(mode: SslMode | DsnSslMode, files: TlsFiles, field: string): false | TlsOptions {
  const ssl = sslFor(mode);
  if (!ssl) return false;
  const out: TlsOptions = { ...ssl };
  if (files.rootCert && files.rootCert !== 'system') out.ca = readPem(files.rootCert, 'sslrootcert', field);
  if (files.cert) out.cert = readPem(files.cert, 'sslcert', field);
  if (files.key) out.key = readPem(files.key, 'sslkey', field);
  return out;
}

export const optionFiles = (o: ResolvedPostgresOptions): TlsFiles => ({
  rootCert: o.sslRootCert,
  cert: o.sslCert,
  key: o.sslKey,
});
