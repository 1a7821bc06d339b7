/**
 * Opening the connection a plan (plan.ts) decided: our pool, the caller's client or pool, or
 * embedded PGlite; and the first check that the database answers.
 */
import { ConfigError, StorageError } from '../../session/errors.js';
import type { SqlClient } from '../../sql/client.js';
import { createPgPool, pgClient } from '../../sql/pg-client.js';
import type { ResolvedPostgresOptions } from '../options.js';
import { embeddedClient } from './embedded.js';
import { databaseIdentity } from './identity.js';
import { planConnection } from './plan.js';
import { withLoginUser } from './pool-settings.js';
import { checkDatabase } from './requirements.js';
import { type Redactor, redactCause } from './secrets.js';

export { type ConnectionPlan, type ConnectionSource, planConnection } from './plan.js';

/** An open connection: the client to run statements on and whether the service must close it. */
export interface OpenedConnection {
  readonly client: SqlClient;
  /** True when the service created the pool, so its close() ends it. */
  readonly owned: boolean;
  readonly describe: string;
  /** Hides every secret of the options in a text (see secrets.ts). */
  readonly redact: Redactor;
  /** Which database this is, the same for services that reach it alike (see identity.ts). */
  readonly identity: string;
}

/**
 * Opens the connection the options choose. Nothing connects yet (pools connect on first use);
 * call {@link checkConnection} to fail fast on an unreachable server.
 */
export function openConnection(o: ResolvedPostgresOptions): OpenedConnection {
  const decided = planConnection(o);
  const { describe, redact } = decided;
  const opened = (client: SqlClient, owned: boolean): OpenedConnection =>
    Object.freeze({ client, owned, describe, redact, identity: databaseIdentity(decided, o, client) });
  if (o.client) return opened(o.client, false);
  if (o.pool)
    return opened(pgClient(o.pool, { owned: false, preparedStatements: o.preparedStatements }), false);
  if (decided.source === 'dataDir') return opened(embeddedClient(o.dataDir!), true);
  // The client bounds each statement's wait itself (see send in pg-client.ts), so the pool is
  // not given node-postgres's query_timeout.
  const { query_timeout: readTimeoutMs, ...poolConfig } = decided.poolConfig!;
  const pool = createPgPool(withLoginUser(poolConfig), {
    onError: (error) =>
      o.onError?.(connectionError(error, describe, 'an idle connection failed', redact), {
        operation: 'pool',
      }),
  });
  return opened(
    pgClient(pool, {
      owned: true,
      preparedStatements: o.preparedStatements,
      timeouts: decided.timeouts ?? {},
      readCommitted: true,
      readTimeoutMs: readTimeoutMs ?? 0,
    }),
    true,
  );
}

/** Node's codes for a server certificate the client does not trust. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Node's codes for a client key it could not decrypt (OpenSSL 3, then 1.1). */
const UNDECRYPTABLE_KEY = new Set(['ERR_OSSL_BAD_DECRYPT', 'ERR_OSSL_EVP_BAD_DECRYPT']);

// Set sslmode to one that uses TLS: the project connects without TLS under `prefer` and `allow`
// (no libpq-style fallback, see the README), so those fail against a server that requires it.
const USE_TLS =
  'set sslmode=require (or verify-full); prefer and allow connect without TLS here, unlike libpq';

/**
 * What a TLS failure means in the terms of the options, or undefined. Node's certificate and
 * OpenSSL codes say most; a server that wants TLS and one that offers none only say so in words
 * (PgBouncer's "SSL required", PostgreSQL's pg_hba.conf refusal, node-postgres's own message).
 */
function tlsHint(code: unknown, message: string): string | undefined {
  if (typeof code === 'string') {
    if (UNTRUSTED_CERTIFICATE.has(code))
      return "the server's certificate is not signed by a CA the client trusts: the one sslrootcert (sslRootCert) names, else Node's";
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return 'the certificate is not for this host name (verify-full checks it; verify-ca does not)';
    if (code === 'CERT_HAS_EXPIRED') return "the server's certificate has expired";
    if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
      return 'the server requires a client certificate: set sslcert and sslkey (sslCert, sslKey)';
    if (UNDECRYPTABLE_KEY.has(code))
      return 'the client key could not be decrypted: check sslpassword (the passphrase of the encrypted sslkey)';
  }
  if (message === 'SSL required') return `the server requires TLS: ${USE_TLS}`;
  if (/pg_hba\.conf.*no encryption/.test(message))
    return `the server takes no connection without TLS from this client; if it takes TLS ones (hostssl): ${USE_TLS}`;
  if (message === 'The server does not support SSL connections')
    return 'the server does not offer TLS: use sslmode=disable, or enable ssl on the server';
  return undefined;
}

/**
 * A StorageError for a failure talking to the database at `describe`. The message never holds
 * a password: the description is redacted, and so is the driver's message (the driver's error
 * stays available as `cause`). A TLS failure gets a word on what it means for the options.
 */
export function connectionError(
  error: unknown,
  describe: string,
  action: string,
  redact: Redactor,
): StorageError {
  // OpenSSL's messages end in a newline (and may hold more): one line, as the rest of ours.
  const message = (error instanceof Error ? error.message || error.name : String(error))
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  const hint = tlsHint((error as { code?: unknown } | null)?.code, message);
  return new StorageError(redact(`${action} (${describe}): ${message}${hint ? ` (${hint})` : ''}`), {
    cause: redactCause(error, redact),
  });
}

/**
 * Connects and checks the database (see requirements.ts), so an unreachable server, bad
 * credentials or a missing database fail at start with a StorageError naming the (redacted)
 * target, and a database new sessions cannot be written to with its ConfigError (unless
 * `newSessions` is false).
 */
export async function checkConnection(
  connection: OpenedConnection,
  options: { newSessions?: boolean } = {},
): Promise<void> {
  try {
    await checkDatabase(connection.client, options);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw connectionError(error, connection.describe, 'cannot connect', connection.redact);
  }
}
