/**
 * The export format: one JSON line per session holding its row and everything stored with it,
 * byte for byte as the tables hold it. JSONB documents travel as their text (`event`, `state`,
 * `summary`), so nothing is re-encoded on the way (large numbers, key order and Go's exact field
 * set survive), and timestamps travel with every microsecond.
 */

import { numberBeyondNumeric, parseValidJson } from '../../session/codec/exact.js';
import {
  decodeEvent,
  decodeEventValue,
  decodeSessionState,
  decodeSummary,
  decodeSummaryValue,
  decodeTrackEvent,
  decodeTrackEventValue,
} from '../../session/codec/index.js';
import { decodeAsGoReadsInts } from '../../session/codec/reader.js';
import { MAX_JSON_DEPTH } from '../../session/codec/value.js';
import { LEADING_BOM_RULE, longerThanKey, MAX_KEY_LENGTH } from '../../session/keys.js';
import { DOCUMENT_TIME_RULE, type DocumentKind, unwritableTimePath } from './document-times.js';
import { isExportedTimestamp } from './timestamps.js';

/** Written into every line, so an importer can refuse a file it does not understand. */
export const EXPORT_FORMAT = 'agent-sessions/session@1';

/** The time columns every row has (summaries have no created_at). */
export interface RowTimes {
  updatedAt: string;
  expiresAt: string | null;
  deletedAt: string | null;
}

/** A session_events row. */
export interface ExportedEvent extends RowTimes {
  /** The stored event JSON. */
  event: string;
  createdAt: string;
}

/** A session_summaries row. */
export interface ExportedSummary extends RowTimes {
  filterKey: string;
  /** The stored summary JSON, or null. */
  summary: string | null;
}

/** A session_track_events row. */
export interface ExportedTrackEvent extends RowTimes {
  track: string;
  /** The stored track event JSON. */
  event: string;
  createdAt: string;
}

/** An app_states or user_states row (key without its `app:`/`user:` prefix, raw text value). */
export interface ExportedState extends RowTimes {
  key: string;
  value: string | null;
  createdAt: string;
}

/** One line of an export. */
export interface ExportedSession extends RowTimes {
  format: typeof EXPORT_FORMAT;
  appName: string;
  userId: string;
  sessionId: string;
  /** The stored session-state envelope JSON, or null. */
  state: string | null;
  createdAt: string;
  events: ExportedEvent[];
  summaries: ExportedSummary[];
  trackEvents: ExportedTrackEvent[];
  /** The app's state rows: present on the first line of each app in an export. */
  appState?: ExportedState[];
  /** The user's state rows: present on the first line of each user in an export. */
  userState?: ExportedState[];
}

/** One session as a JSON line (no newline). Properties keep a fixed order, so equal data gives equal lines. */
export function formatExportLine(session: ExportedSession): string {
  return JSON.stringify(session);
}

/** A line that is not a valid export record; `path` names the field at fault. */
export class ExportLineError extends Error {
  override readonly name = 'ExportLineError';

  constructor(
    message: string,
    /** The field at fault (`session.events[2].createdAt`), when one is. */
    readonly path?: string,
    /** The rule it breaks. */
    readonly rule?: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

function fail(path: string, rule: string): never {
  throw new ExportLineError(`${path} ${rule}`, path, rule);
}

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
  return value as Json;
}

function text(o: Json, name: string, path: string, { nonEmpty = false } = {}): string {
  const value = o[name];
  if (typeof value !== 'string') fail(`${path}.${name}`, 'must be a string');
  if (nonEmpty && value === '') fail(`${path}.${name}`, 'must not be empty');
  // PostgreSQL refuses NUL in text and unpaired surrogates in UTF-8: say so before the database does.
  if (value.includes('\u0000') || !value.isWellFormed()) {
    fail(`${path}.${name}`, 'must not contain NUL characters or unpaired surrogates');
  }
  return value;
}

function nullableText(o: Json, name: string, path: string): string | null {
  return o[name] === null ? null : text(o, name, path);
}

/** Text whose leading U+FEFF embedded PGlite would drop on reading it back (see LEADING_BOM_RULE). */
function noLeadingBom<T extends string | null>(value: T, path: string): T {
  if (value?.charCodeAt(0) === 0xfeff) fail(path, LEADING_BOM_RULE);
  return value;
}

/**
 * A key column (VARCHAR(255)): held to the rules the service holds keys to, so an import stores
 * on every backend what the service could have stored, and a line naming a key the service
 * refuses is refused by field rather than by the database or, on PGlite, read back as another key.
 */
function key(o: Json, name: string, path: string, { nonEmpty = true } = {}): string {
  const value = noLeadingBom(text(o, name, path, { nonEmpty }), `${path}.${name}`);
  if (longerThanKey(value)) {
    fail(`${path}.${name}`, `must be at most ${MAX_KEY_LENGTH} characters`);
  }
  return value;
}

/**
 * How deeply a document of a line may nest arrays and objects: twice what the service writes
 * into a value of a document (MAX_JSON_DEPTH, inside the document's own few levels), and far
 * below what either backend stores (embedded PGlite fails a JSONB nesting 7,000 levels with an
 * internal error, server PostgreSQL refuses 20,000 as "stack depth limit exceeded").
 */
const MAX_DOCUMENT_DEPTH = 2 * MAX_JSON_DEPTH;

/**
 * A stored JSON document (an event, a state envelope, a summary, a track event), held to what
 * the tables can store and to what the service reads back: `decode` is the read path's own
 * decoder, so a line whose document our reads, and Go's, would refuse is refused by field here
 * rather than stored to break every later read of its session (and every list of its user).
 * A time in it the service would refuse to write is refused too (see unwritableTimePath); `root`
 * names the document in that message as the decoder names it in its own.
 */
function json(
  o: Json,
  name: string,
  path: string,
  decode: (json: string) => unknown,
  {
    nullable = false,
    goDecode,
    root,
  }: { nullable?: boolean; goDecode?: (tree: unknown) => unknown; root: DocumentKind },
): string | null {
  const field = `${path}.${name}`;
  if (nullable && o[name] === null) return null;
  const value = text(o, name, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    fail(field, 'must hold a JSON document');
  }
  const problem = unstorableJson(parsed);
  if (problem) fail(field, problem);
  const beyond = numberBeyondNumeric(value);
  if (beyond !== undefined) {
    const shown = beyond.length > 40 ? `${beyond.slice(0, 40)}…` : beyond;
    fail(
      field,
      `holds the number ${shown}, beyond what PostgreSQL's numeric holds (at most 131072 digits before the decimal point and 16383 after)`,
    );
  }
  let decoded: unknown;
  try {
    decoded = decode(value);
  } catch (error) {
    fail(field, `must hold a document the store can read: ${(error as Error).message}`);
  }
  const time = unwritableTimePath(decoded, root);
  if (time !== undefined)
    fail(field, `must hold a document the service can write: ${time} ${DOCUMENT_TIME_RULE}`);
  // Our reads take `1.0` in an int field as 1; Go's do not (see decodeAsGoReadsInts). Only a text
  // with a number that has decimal places or an exponent needs the slower exact parse.
  if (goDecode && MAYBE_NON_INTEGER.test(value)) {
    try {
      decodeAsGoReadsInts(parseValidJson(value), goDecode);
    } catch (error) {
      fail(field, `must hold a document Go can read: ${(error as Error).message}`);
    }
  }
  return value;
}

/** A number token with decimal places or an exponent may follow here (or text in a string that looks so). */
const MAYBE_NON_INTEGER = /[:,[]\s*-?\d+(?:\.\d|[eE])/;

/**
 * What keeps a parsed JSON value out of a JSONB column or out of the service's reach, if
 * anything: NUL or an unpaired surrogate in a string or key (escaped, `\u0000` and a lone
 * `\ud800` pass the check of the text itself, but JSONB refuses them), or nesting deeper than
 * MAX_DOCUMENT_DEPTH. Walks the tree without recursion, so no depth overflows the stack.
 */
function unstorableJson(root: unknown): string | undefined {
  const badText = (t: string) => t.includes('\u0000') || !t.isWellFormed();
  const pending: [unknown, number][] = [[root, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value === 'string') {
      if (badText(value)) return 'must not hold NUL characters or unpaired surrogates, escaped or not';
    } else if (value !== null && typeof value === 'object') {
      if (depth > MAX_DOCUMENT_DEPTH) {
        return `must not nest arrays and objects more than ${MAX_DOCUMENT_DEPTH} levels deep`;
      }
      if (Array.isArray(value)) for (const item of value) pending.push([item, depth + 1]);
      else
        for (const [k, v] of Object.entries(value)) {
          if (badText(k)) return 'must not hold NUL characters or unpaired surrogates, escaped or not';
          pending.push([v, depth + 1]);
        }
    }
  }
  return undefined;
}

function time(o: Json, name: string, path: string): string {
  const value = o[name];
  if (typeof value !== 'string' || !isExportedTimestamp(value)) {
    fail(
      `${path}.${name}`,
      'must be a UTC timestamp like 2026-01-02T03:04:05.123456Z, in the years 0001-9999',
    );
  }
  return value;
}

function nullableTime(o: Json, name: string, path: string): string | null {
  return o[name] === null || o[name] === undefined ? null : time(o, name, path);
}

function times(o: Json, path: string): RowTimes {
  return {
    updatedAt: time(o, 'updatedAt', path),
    expiresAt: nullableTime(o, 'expiresAt', path),
    deletedAt: nullableTime(o, 'deletedAt', path),
  };
}

function list<T>(o: Json, name: string, path: string, item: (v: Json, path: string) => T): T[] {
  const value = o[name];
  if (!Array.isArray(value)) fail(`${path}.${name}`, 'must be an array');
  return value.map((v, i) => item(object(v, `${path}.${name}[${i}]`), `${path}.${name}[${i}]`));
}

const event = (o: Json, p: string): ExportedEvent => ({
  event: json(o, 'event', p, decodeEvent, {
    goDecode: (tree) => decodeEventValue(tree, 'event'),
    root: 'event',
  })!,
  createdAt: time(o, 'createdAt', p),
  ...times(o, p),
});

const summary = (o: Json, p: string): ExportedSummary => ({
  filterKey: key(o, 'filterKey', p, { nonEmpty: false }),
  summary: json(o, 'summary', p, decodeSummary, {
    nullable: true,
    goDecode: decodeSummaryValue,
    root: 'summary',
  }),
  ...times(o, p),
});

const trackEvent = (o: Json, p: string): ExportedTrackEvent => ({
  track: key(o, 'track', p),
  event: json(o, 'event', p, decodeTrackEvent, { goDecode: decodeTrackEventValue, root: 'trackEvent' })!,
  createdAt: time(o, 'createdAt', p),
  ...times(o, p),
});

const state = (o: Json, p: string): ExportedState => ({
  key: key(o, 'key', p),
  // A TEXT column, read back on PGlite without a leading byte order mark like the keys.
  value: noLeadingBom(nullableText(o, 'value', p), `${p}.value`),
  createdAt: time(o, 'createdAt', p),
  ...times(o, p),
});

/**
 * Parses and checks one line of an export, so a damaged file stops with the field at fault
 * instead of a database error half-way through a session.
 *
 * @throws ExportLineError naming the field and the rule.
 */
export function parseExportLine(line: string): ExportedSession {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ExportLineError('is not valid JSON');
  }
  return checkExportedSession(value);
}

/**
 * Checks a parsed export record (or one built in code for importSession) by the rules of
 * {@link parseExportLine}, returning it as a record of its own fields.
 *
 * @throws ExportLineError naming the field and the rule.
 */
export function checkExportedSession(value: unknown): ExportedSession {
  const p = 'session';
  const o = object(value, p);
  if (o.format !== EXPORT_FORMAT) {
    fail(`${p}.format`, `must be "${EXPORT_FORMAT}" (a line written by \`agent-sessions export\`)`);
  }
  const session: ExportedSession = {
    format: EXPORT_FORMAT,
    appName: key(o, 'appName', p),
    userId: key(o, 'userId', p),
    sessionId: key(o, 'sessionId', p),
    state: json(o, 'state', p, decodeSessionState, { nullable: true, root: 'sessionState' }),
    createdAt: time(o, 'createdAt', p),
    ...times(o, p),
    events: list(o, 'events', p, event),
    summaries: list(o, 'summaries', p, summary),
    trackEvents: list(o, 'trackEvents', p, trackEvent),
  };
  if (o.appState !== undefined) session.appState = list(o, 'appState', p, state);
  if (o.userState !== undefined) session.userState = list(o, 'userState', p, state);
  refuseDuplicateKeys(session);
  return session;
}

/**
 * Refuses a line holding two live rows with the same key in `appState`, `userState` or
 * `summaries`: the tables keep one live row per key. For state rows the import's single upsert
 * would fail with PostgreSQL's "ON CONFLICT DO UPDATE command cannot affect row a second time";
 * for summaries (upserted one by one) the later row would silently replace the earlier one.
 * `export` never writes such a line. Soft-deleted rows may share a key (a key deleted and
 * written again, several times), as the tables allow.
 */
function refuseDuplicateKeys(session: ExportedSession): void {
  const live = <T extends { deletedAt: string | null }>(rows: readonly T[] = []) =>
    rows.filter((r) => r.deletedAt === null);
  onceEach(
    'appState',
    'key',
    live(session.appState).map((r) => r.key),
  );
  onceEach(
    'userState',
    'key',
    live(session.userState).map((r) => r.key),
  );
  onceEach(
    'summaries',
    'filterKey',
    live(session.summaries).map((r) => r.filterKey),
  );
}

function onceEach(field: string, keyName: string, keys: readonly string[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key))
      throw new ExportLineError(`session.${field} has the ${keyName} ${JSON.stringify(key)} twice`);
    seen.add(key);
  }
}
