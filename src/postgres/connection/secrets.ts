/**
 * The secrets a service knows, and hiding them in text that leaves the library.
 *
 * Masking by pattern alone (`user:password@`, `password=...`) guesses where a password ends from
 * the text around it, and a password holding a space, a quote or an `@` defeats the guess: the
 * rest of it was printed. So the service collects every secret it was given, from every source
 * (the `password` option, the DSN, a registered instance, extraOptions, `PGPASSWORD`), and hides
 * each of them, in every spelling a message could carry, wherever it appears. The patterns stay
 * as a second net for text that holds a secret the service was never told about.
 */
import { getPostgresInstance } from '../../storage/postgres/registry.js';
import {
  type ParsedConnectionString,
  parseConnectionString,
  rawUrlPassword,
  redactSecrets,
} from './connection-string.js';

/** What a text is turned into before it leaves the library: every known secret replaced by `***`. */
export type Redactor = (text: string) => string;

/** Keys of extraOptions (and its nested `ssl`) whose string values are secrets. */
const SECRET_KEY = /^(password|passphrase|sslpassword)$/i;

/** The options that can carry a secret. */
export interface SecretSources {
  readonly password?: string | undefined;
  readonly dsn?: string | undefined;
  readonly instance?: string | undefined;
  readonly extraOptions?: unknown;
}

/**
 * The secrets a connection string holds: its password and its sslpassword, and in the URL form
 * what was written where the password goes (see rawUrlPassword: a raw `@aa/b` is parsed as host
 * and database, not as a password). A string that cannot be parsed still gives that raw span:
 * a password holding `#`, `?` or `/` is what makes a URL unparsable, and the command line echoes
 * such a string when it comes with a mistyped flag.
 */
function passwordsOf(connectionString: string | undefined): string[] {
  if (!connectionString) return [];
  const raw = rawUrlPassword(connectionString);
  let parsed: ParsedConnectionString = {};
  try {
    parsed = parseConnectionString(connectionString);
  } catch {
    // Only the raw span is known; the patterns of redactSecrets cover the key=value form.
  }
  return [parsed.password, parsed.sslPassword, raw].filter((s): s is string => s !== undefined);
}

function secretValuesOf(value: unknown, out: string[], depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && SECRET_KEY.test(key)) out.push(v);
    else secretValuesOf(v, out, depth + 1);
  }
}

/**
 * Every secret the options hold, from every source: the `password` option, the DSN's password
 * and sslpassword, the registered instance's and its extraOptions, the service's extraOptions,
 * and `PGPASSWORD` (which node-postgres reads when nothing else gives a password).
 */
export function secretsOf(o: SecretSources, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (typeof o.password === 'string') out.push(o.password);
  out.push(...passwordsOf(o.dsn));
  if (o.instance !== undefined) {
    const instance = getPostgresInstance(o.instance);
    out.push(...passwordsOf(instance?.connectionString));
    secretValuesOf(instance?.extraOptions, out);
  }
  secretValuesOf(o.extraOptions, out);
  if (env.PGPASSWORD) out.push(env.PGPASSWORD);
  return [...new Set(out.filter((s) => s !== ''))];
}

/**
 * The redactor of a service with these options. The secrets are collected on each call, because
 * an instance may be registered after the service is built; errors are rare, so this costs nothing.
 */
export function redactorFor(o: SecretSources): Redactor {
  return (text) => redactSecrets(text, secretsOf(o));
}

/**
 * Hides the secrets in a driver's error that becomes the `cause` of ours, in place: its message
 * and stack are printed wherever our error is inspected (`console.error`, a logger's `err`), and
 * a server or pooler may echo what it was sent. Returns the error.
 */
export function redactCause<E>(error: E, redact: Redactor): E {
  if (!(error instanceof Error)) return error;
  try {
    if (typeof error.message === 'string') error.message = redact(error.message);
    if (typeof error.stack === 'string') error.stack = redact(error.stack);
  } catch {
    // A frozen error keeps its text; ours (the message shown) is redacted regardless.
  }
  return error;
}
