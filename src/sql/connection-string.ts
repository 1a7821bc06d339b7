/**
 * Connection strings: parsing both forms trpc-agent-go accepts (a `postgres://` URL and libpq's
 * `key=value` list) into node-postgres settings, and hiding their passwords in anything printed.
 *
 * We parse them ourselves instead of handing them to node-postgres because (1) its parser
 * treats `sslmode=require` as full certificate verification, unlike libpq and pgx, so a DSN
 * copied from a Go service would fail against a server with a self-signed certificate; (2) it
 * does not read the `key=value` form Go services often use; (3) its URL errors carry the whole
 * string, password included.
 *
 * It lives in sql/ because it is the driver's input: libpq's two formats, turned into the
 * settings a `pg` Pool takes. It knows nothing of sessions; a malformed string throws a
 * ConnectionStringError, which the service's options and the instance registry report as a
 * ConfigError naming their own option.
 */
import { ConnectionStringError } from './errors.js';

/** libpq's sslmode values. `allow` and `prefer` are accepted and connect without TLS (see sslFor). */
export type DsnSslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

const SSL_MODES: readonly DsnSslMode[] = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
];

/** The settings a connection string holds; absent fields fall back to node-postgres (PG* env vars). */
export interface ParsedConnectionString {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslMode?: DsnSslMode;
  /** Paths of PEM files (libpq's sslrootcert, sslcert, sslkey). */
  sslRootCert?: string;
  sslCert?: string;
  sslKey?: string;
  /** The passphrase of an encrypted sslkey (libpq's sslpassword). */
  sslPassword?: string;
  applicationName?: string;
  connectTimeoutMs?: number;
  /** libpq `options` plus `-c name=value` for every parameter libpq itself does not know. */
  options?: string;
  /** pgxpool's pool_max_conns, so a Go DSN keeps its pool size. */
  maxConnections?: number;
}

// libpq/pgx parameters that are not server settings and have no node-postgres equivalent, and
// whose absence changes nothing that matters here (keepalives, pgx's pool tuning, a fallback
// name): they are accepted and ignored rather than sent to the server, where they would fail the
// connection.
const IGNORED = new Set([
  'passfile',
  'target_session_attrs',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'sslcompression',
  'sslsni',
  'sslnegotiation',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'load_balance_hosts',
  'replication',
  'pool_min_conns',
  'pool_max_conn_lifetime',
  'pool_max_conn_lifetime_jitter',
  'pool_max_conn_idle_time',
  'pool_health_check_period',
  'default_query_exec_mode',
  'statement_cache_capacity',
  'description_cache_capacity',
]);

/**
 * libpq parameters node-postgres cannot honour and whose loss is not harmless: ignored, they
 * would connect somewhere else (`hostaddr`, `service`) or with less protection than the string
 * asks for (a revocation list, channel binding, allowed authentication methods, a TLS floor, the
 * peer's user). They are refused, each with what to do instead, so nobody runs believing they
 * hold. The values that ask for nothing node-postgres does not already do are accepted.
 */
const REFUSED: Readonly<
  Record<string, { readonly fine?: readonly string[]; readonly caseless?: boolean; readonly instead: string }>
> = {
  hostaddr: { instead: 'give the address as host' },
  service: { instead: 'write out the service file entry as parameters' },
  sslcrl: { instead: 'certificate revocation lists cannot be checked' },
  sslcrldir: { instead: 'certificate revocation lists cannot be checked' },
  channel_binding: { fine: ['disable', 'prefer'], instead: 'only disable and prefer can be honoured' },
  require_auth: { instead: 'the authentication method cannot be restricted' },
  // Node's own floor (TLSv1.2) already holds a lower one, which a Go DSN often names.
  // libpq compares this one's value without case (psql takes `tlsv1.2`).
  ssl_min_protocol_version: {
    fine: ['tlsv1', 'tlsv1.1', 'tlsv1.2'],
    caseless: true,
    instead: "Node's minimum TLS version applies (TLSv1.2 by default)",
  },
  requirepeer: { instead: "the socket peer's user cannot be checked" },
  gssencmode: { fine: ['disable', 'prefer'], instead: 'GSSAPI encryption is not available' },
};

/**
 * What to do instead when `key=value` is a libpq parameter node-postgres cannot honour (see
 * REFUSED); undefined for a value that asks for nothing more, or a parameter not refused. The
 * `PG*` variables of these parameters are held to the same rule (see refuseUnsupportedVariables).
 */
export function refusedParameter(key: string, value: string): string | undefined {
  const refused = Object.hasOwn(REFUSED, key) ? REFUSED[key] : undefined;
  if (!refused) return undefined;
  return refused.fine?.includes(refused.caseless ? value.toLowerCase() : value) ? undefined : refused.instead;
}

const URL_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The error for a DSN that breaks a rule. It never quotes the DSN: a string we cannot parse is
 * one whose password we cannot reliably find and hide.
 */
function invalid(field: string, _dsn: string, rule: string): ConnectionStringError {
  return new ConnectionStringError(field, rule);
}

// libpq's quoting for option values: spaces and backslashes are escaped with a backslash.
const escapeOptionValue = (value: string) => value.replace(/[\\ ]/g, (c) => `\\${c}`);

function apply(field: string, dsn: string, out: ParsedConnectionString, key: string, value: string): void {
  switch (key) {
    case 'host':
      if (value.includes(',')) throw invalid(field, dsn, 'several hosts are not supported');
      out.host = value;
      return;
    case 'port': {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port < 1 || port > 65535)
        throw invalid(field, dsn, `port must be 1..65535, not "${value}"`);
      out.port = port;
      return;
    }
    case 'user':
      out.user = value;
      return;
    case 'password':
      out.password = value;
      return;
    case 'dbname':
      out.database = value;
      return;
    case 'sslmode':
      if (!SSL_MODES.includes(value as DsnSslMode))
        throw invalid(field, dsn, `sslmode must be one of ${SSL_MODES.join(', ')}, not "${value}"`);
      out.sslMode = value as DsnSslMode;
      return;
    case 'sslrootcert':
      out.sslRootCert = value;
      return;
    case 'sslcert':
      out.sslCert = value;
      return;
    case 'sslkey':
      out.sslKey = value;
      return;
    case 'sslpassword':
      out.sslPassword = value;
      return;
    case 'application_name':
      out.applicationName = value;
      return;
    case 'connect_timeout': {
      if (!/^\d+$/.test(value))
        throw invalid(field, dsn, `connect_timeout must be whole seconds, not "${value}"`);
      // libpq: zero (or absent) means wait indefinitely; node-postgres spells that 0 as well.
      out.connectTimeoutMs = Number(value) * 1000;
      return;
    }
    case 'options':
      out.options = out.options ? `${value} ${out.options}` : value;
      return;
    case 'pool_max_conns': {
      if (!/^\d+$/.test(value) || Number(value) < 1)
        throw invalid(field, dsn, `pool_max_conns must be a positive integer, not "${value}"`);
      out.maxConnections = Number(value);
      return;
    }
    default: {
      const instead = refusedParameter(key, value);
      if (instead !== undefined) throw invalid(field, dsn, `${key} is not supported (${instead})`);
      if (IGNORED.has(key) || Object.hasOwn(REFUSED, key)) return;
      // pgx sends unknown parameters to the server as run-time settings (search_path=...,
      // statement_timeout=...); node-postgres does the same through the startup `options`.
      const setting = `-c ${key}=${escapeOptionValue(value)}`;
      out.options = out.options ? `${out.options} ${setting}` : setting;
    }
  }
}

/**
 * A user (and password) with no host, `postgres://user@/db` or `postgres://user@:5433/db`: libpq
 * takes it (the host is the default, or a `host=` parameter such as a socket directory), WHATWG's
 * parser refuses userinfo without a host. Group 1 is everything up to the missing host.
 */
const USER_WITHOUT_HOST = /^([a-z]+:\/\/[^/?#]*@)(?=[:/?#]|$)/i;

function parseUrl(field: string, dsn: string): ParsedConnectionString {
  let url: URL;
  // A stand-in host for the parser, left out of the result.
  const hostless = USER_WITHOUT_HOST.test(dsn);
  try {
    url = new URL(hostless ? dsn.replace(USER_WITHOUT_HOST, '$1localhost') : dsn);
  } catch {
    // libpq's list of hosts, each with its port (h1:5432,h2:5433), is no URL to WHATWG's parser.
    const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(dsn)?.[1] ?? '';
    if (authority.slice(authority.lastIndexOf('@') + 1).includes(',')) {
      throw invalid(field, dsn, 'several hosts are not supported');
    }
    throw invalid(field, dsn, 'is not a valid connection string');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalid(field, dsn, `scheme must be postgres:// or postgresql://, not ${url.protocol}//`);
  }
  const out: ParsedConnectionString = {};
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw invalid(field, dsn, 'has an invalid percent-encoding');
    }
  };
  // URL keeps IPv6 hosts in brackets and socket paths percent-encoded.
  const host = hostless ? '' : decode(url.hostname).replace(/^\[(.*)\]$/, '$1');
  if (host) apply(field, dsn, out, 'host', host);
  if (url.port) apply(field, dsn, out, 'port', url.port);
  if (url.username) out.user = decode(url.username);
  if (url.password) out.password = decode(url.password);
  const path = decode(url.pathname.replace(/^\//, ''));
  if (path) out.database = path;
  for (const [key, value] of url.searchParams) apply(field, dsn, out, key, value);
  return out;
}

// key = value, where value is bare (backslash escapes) or single-quoted ('it\'s').
const PAIR = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'((?:\\.|[^'\\])*)'|((?:\\.|[^\s'\\])*))/y;

function parseKeyValue(field: string, dsn: string): ParsedConnectionString {
  const out: ParsedConnectionString = {};
  PAIR.lastIndex = 0;
  let position = 0;
  while (position < dsn.length) {
    if (/^\s*$/.test(dsn.slice(position))) break;
    PAIR.lastIndex = position;
    const m = PAIR.exec(dsn);
    if (!m) throw invalid(field, dsn, 'is not a valid connection string (expected key=value pairs)');
    position = PAIR.lastIndex;
    const raw = m[2] ?? m[3] ?? '';
    apply(field, dsn, out, m[1]!, raw.replace(/\\(.)/g, '$1'));
  }
  return out;
}

/**
 * Parses `postgres://user:pass@host:5432/db?sslmode=require` or
 * `host=localhost port=5432 dbname=db user=u password=p sslmode=disable`.
 *
 * @param field the option named in the ConnectionStringError thrown for a malformed string.
 */
export function parseConnectionString(dsn: string, field = 'dsn'): ParsedConnectionString {
  if (typeof dsn !== 'string' || dsn.trim() === '')
    throw new ConnectionStringError(field, 'must be a non-empty string');
  return URL_FORM.test(dsn.trim()) ? parseUrl(field, dsn.trim()) : parseKeyValue(field, dsn);
}

const MASK = '***';

/** How `secret` may be spelled in a message: as given, URL-encoded, libpq-escaped, JSON-escaped. */
export function spellingsOf(secret: string): string[] {
  const spellings = new Set<string>([secret]);
  try {
    spellings.add(encodeURIComponent(secret));
    const url = new URL('postgres://h');
    url.password = secret;
    spellings.add(url.password);
    spellings.add(url.password.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  } catch {
    // A lone surrogate cannot be URL-encoded, so it cannot appear encoded either.
  }
  spellings.add(secret.replace(/[\\' ]/g, (c) => `\\${c}`));
  spellings.add(JSON.stringify(secret).slice(1, -1));
  // Longest first, so a spelling that contains another is replaced whole.
  return [...spellings].sort((a, b) => b.length - a.length);
}

/** Below this length a secret is hidden only where it stands alone, not inside a longer word. */
const SHORT_SECRET = 4;

/**
 * Words of the fixed text messages carry, ours (descriptions, hints) and the driver's and the
 * server's (`password authentication failed for user`). A secret that is one of them, or part of
 * one, is not masked inside it: `***word authentication failed` or `***://app:***@db` would tell
 * the password to anyone who knows the message, while the word left as it is tells nothing. Where
 * a password really stands in a message, it is not inside one of these words, and the patterns
 * (`user:password@`, `password=`) hide it wherever such a word is the password.
 */
const FIXED_WORDS = new Set(
  (
    'postgres postgresql password sslpassword passphrase authentication failed failure for user ' +
    'users role host hosts port database dbname sslmode disable allow prefer require verify full ' +
    'sslrootcert sslcert sslkey system cannot connect connection connections server support ssl ' +
    'does not exist localhost expected key value pairs error timeout refused terminated ' +
    'unexpectedly reset closed the and with was is no to of in on at by or url dsn ' +
    'agent sessions embedded schema table tables migrate create run'
  ).split(' '),
);

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/**
 * `text` with every occurrence of `spelling` replaced by the mask, except inside a fixed word
 * (see FIXED_WORDS). A short one is replaced only where no letter or digit touches it: masking
 * `ab` inside `disable` prints `dis***le`, which tells the secret to anyone who reads the word.
 */
function maskSpelling(text: string, spelling: string): string {
  if (!text.includes(spelling)) return text;
  const short = spelling.length < SHORT_SECRET;
  const wordy = /^[\p{L}\p{N}]+$/u.test(spelling);
  let out = '';
  let from = 0;
  for (let at = text.indexOf(spelling); at !== -1; at = text.indexOf(spelling, from)) {
    const end = at + spelling.length;
    let start = at;
    while (isWordChar(text[start - 1])) start--;
    let stop = end;
    while (isWordChar(text[stop])) stop++;
    const inWord = start < at || stop > end;
    const fixed = wordy && FIXED_WORDS.has(text.slice(start, stop).toLowerCase());
    out += text.slice(from, at) + ((short && inWord) || fixed ? spelling : MASK);
    from = end;
  }
  return out + text.slice(from);
}

/**
 * Hides passwords in a connection string, or in any text that contains one (an error message):
 * the password of `scheme://user:password@`, `password=...` and `sslpassword=...` parameters in
 * URLs and in libpq's key=value form. `secrets` are further strings to hide wherever they appear
 * (a password given as an option), in every spelling a message could carry. A secret that is
 * part of the mask itself cannot be hidden and is not searched for (it would turn every mask into
 * a longer one).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || MASK.includes(secret)) continue;
    for (const spelling of spellingsOf(secret)) out = maskSpelling(out, spelling);
  }
  return (
    out
      // scheme://user:password@host — a password written raw may hold '@', '/', '?' and '#', so
      // the user info runs to the last '@' of the word (over-masking a query that holds an '@'
      // rather than printing the rest of such a password).
      .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@\s]*):\S*@/g, `$1:${MASK}@`)
      .replace(/([?&](?:ssl)?password=)[^&#\s]*/gi, `$1${MASK}`)
      // key=value form (not a URL's query, masked above): a quoted value left open runs to the end
      // of the text, where it stops is not known; an unquoted one runs to the next blank, as
      // libpq reads it, `&`, quotes and all. What follows a closing quote is masked too, and a
      // value in double quotes (not libpq's quoting, but what a user may have meant) whole.
      .replace(
        /(?<![?&])(\b(?:ssl)?password\s*=\s*)(?:'(?:\\.|[^'\\])*(?:'|$)\S*|"[^"]*(?:"|$)\S*|(?:\\.|[^\s\\])+)/gi,
        `$1${MASK}`,
      )
  );
}

/**
 * A connection string with its passwords replaced by `***`, safe to log. The string is read as
 * the connection string it is: in the URL form, everything between the user name's `:` and the
 * last `@` of the string is the password, whatever characters it holds (a space or a tab ends
 * the patterns' guess); the parsed password and sslpassword are hidden wherever else they
 * appear; the patterns cover the rest.
 */
export function redactConnectionString(dsn: string): string {
  const secrets: (string | undefined)[] = [];
  try {
    const parsed = parseConnectionString(dsn);
    // The sslpassword too: its key may be spelled so no pattern knows it (`ssl%70assword`).
    secrets.push(parsed.password, parsed.sslPassword);
  } catch {
    // Not a connection string we can read: the patterns alone.
  }
  return redactSecrets(maskUrlPassword(dsn), secrets);
}

/**
 * Where the URL form's password would be if it was written raw: between the user name's `:` and
 * the last `@` of the string, whatever characters it holds. Not the last `@` before the query: a
 * raw `?` or `#` in the password would end the search inside it and print its rest. An `@` in the
 * query makes the span too long, which hides more than the password, never less. Undefined for
 * other text.
 */
function rawUrlPasswordSpan(
  dsn: string,
): { scheme: string; rest: string; from: number; to: number } | undefined {
  const scheme = /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(dsn);
  if (!scheme) return undefined;
  const rest = dsn.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (at === -1) return undefined;
  const colon = rest.indexOf(':');
  if (colon === -1 || colon > at) return undefined;
  return { scheme: scheme[0], rest, from: colon + 1, to: at };
}

/** The URL form with the password of its user info masked; any other text as it is. */
function maskUrlPassword(dsn: string): string {
  const span = rawUrlPasswordSpan(dsn);
  if (!span) return dsn;
  return `${span.scheme}${span.rest.slice(0, span.from)}${MASK}${span.rest.slice(span.to)}`;
}

/**
 * The text a URL's author may have meant as its password, written raw: a raw password holding
 * `/` or `@` is read by URL parsers (WHATWG's, libpq's) as part of the host or the database name,
 * which messages then print. Hidden as a secret too, so no reading of the URL prints it.
 */
export function rawUrlPassword(dsn: string): string | undefined {
  const span = rawUrlPasswordSpan(dsn);
  return span && span.to > span.from ? span.rest.slice(span.from, span.to) : undefined;
}
