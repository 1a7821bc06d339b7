/**
 * Turns the rows of a read statement (selectSession / selectSessions) into Session objects:
 * decodes the stored JSON, merges app and user state, applies the user-anchored event filter
 * (with its rare-case lookups), attaches fresh summaries and the indexed tracks.
 */
import {
  decodeEvent,
  decodeSessionState,
  decodeSummary,
  decodeTrackEvent,
  readTrackNames,
} from '../../session/codec/index.js';
import { StorageError } from '../../session/errors.js';
import type { Event } from '../../session/event.js';
import type { SessionKey } from '../../session/keys.js';
import { markStoredIncarnation, newSession, type Session } from '../../session/session.js';
import {
  addScopedState,
  newStateMap,
  type ScopedState,
  type StateMap,
  scopedState,
  textValue,
} from '../../session/state.js';
import type { Summary } from '../../session/summary.js';
import {
  compareTime,
  formatRfc3339Nano,
  isGoZeroTime,
  parseRfc3339,
  toSqlTimestamp,
} from '../../session/time.js';
import type { TrackEvent } from '../../session/track.js';
import type { SqlExecutor } from '../../sql/client.js';
import { parseTimestampAsUtc } from '../../sql/parsers.js';
import {
  type EventRow,
  type EventSelection,
  isPackedEvent,
  lastUserEventBefore,
  type PackedRow,
  type ReadRow,
  type TimestampsAtOrAfterRow,
  type TrackSelection,
  timestampsAtOrAfter,
  unpackEvent,
  unpackRow,
} from '../queries/index.js';
import type { TableNames } from '../schema/index.js';
import { anchorEvents, type EarlierEvents, type WindowEvent } from './anchor-events.js';

/** The read options of getSession and listSessions, as the read path uses them. */
export interface ReadOptions {
  eventNum?: number | undefined;
  eventTime?: Date | undefined;
  eventPage?: { offset: number; limit: number } | undefined;
}

/** What a read needs from the service. */
export interface ReadContext {
  db: SqlExecutor;
  tables: TableNames;
  now: Date;
  sessionTtlMs: number;
  sessionEventLimit: number;
}

/** What to fetch for a read, and the time bound the event filter applies afterwards. */
export interface ReadPlan {
  events: EventSelection;
  tracks: TrackSelection;
  /** The events' own-timestamp bound: eventTime, or now - sessionTtl; none in page mode. */
  bound: Date | undefined;
}

/**
 * The fetch plan of a read (trpc-agent-go §4.4): the call's eventNum or the service's event
 * limit; eventTime, or with a session TTL the TTL's start, as a bound on the events' own
 * timestamps; a page instead when asked (stored within the TTL, no anchoring). Track events take
 * the call's eventNum and eventTime as they are (0 and none mean all).
 */
export function planRead(
  options: ReadOptions,
  ctx: Pick<ReadContext, 'now' | 'sessionTtlMs' | 'sessionEventLimit'>,
): ReadPlan {
  const ttlStart = ctx.sessionTtlMs > 0 ? new Date(ctx.now.getTime() - ctx.sessionTtlMs) : undefined;
  const tracks: TrackSelection = {
    after: options.eventTime ? toSqlTimestamp(options.eventTime) : undefined,
    limit: options.eventNum && options.eventNum > 0 ? options.eventNum : null,
  };
  if (options.eventPage) {
    const { offset, limit } = options.eventPage;
    const since = ttlStart ? toSqlTimestamp(ttlStart) : undefined;
    return { events: { kind: 'page', offset, limit, since }, tracks, bound: undefined };
  }
  const limit = options.eventNum || ctx.sessionEventLimit;
  return {
    events: { kind: 'window', limit: limit > 0 ? limit : null },
    tracks,
    bound: options.eventTime ?? ttlStart,
  };
}

/**
 * How an error names a session: every part of its key, so a row another program wrote badly can
 * be found (a session id alone is not unique across apps and users).
 */
export function describeSessionKey(key: SessionKey): string {
  return `(appName: ${key.appName}, userId: ${key.userId}, sessionId: ${key.sessionId})`;
}

/**
 * Decodes a stored JSON value, turning a malformed one (or one that cannot be decoded at all)
 * into a StorageError naming the row: what it is, its table row when known, and the session's key.
 */
export function decodeStored<T>(
  what: string,
  key: SessionKey,
  row: string | undefined,
  body: string,
  decode: (json: string) => T,
): T {
  try {
    return decode(body);
  } catch (error) {
    const where = `${row === undefined ? '' : ` (row ${row})`} of session ${describeSessionKey(key)}`;
    throw new StorageError(`stored ${what}${where} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Compares two stored rows in read order (created_at, then id), given as the database wrote
 * them: created_at as ISO text, whose order is the times' order (years 0001-9999, trailing zeros
 * of the fraction trimmed), so no timestamp is parsed; ids as the non-negative integers they are,
 * in decimal of any length.
 */
export function compareStored(aTime: string, aId: string, bTime: string, bId: string): number {
  if (aTime !== bTime) return aTime < bTime ? -1 : 1;
  if (aId.length !== bId.length) return aId.length - bId.length;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** A row's place in the read order, as the statement returned it (text, see compareStored). */
interface StoredPlace {
  created_at: string | null;
  row_id: string | null;
}

/** Orders rows that carry their created_at and id (track events, an event window) oldest first. */
export function byStoredOrder(a: StoredPlace, b: StoredPlace): number {
  return compareStored(a.created_at!, a.row_id!, b.created_at!, b.row_id!);
}

function stateMapOf(rows: readonly ReadRow[], kind: 'a' | 'u'): StateMap {
  const state = newStateMap();
  for (const row of rows) {
    if (row.kind === kind && row.name !== null)
      state[row.name] = row.body === null ? null : textValue(row.body);
  }
  return state;
}

/** The rare-case lookups of the anchored read, each one query before a window's first row. */
function earlierEvents(ctx: ReadContext, key: SessionKey): EarlierEvents {
  return {
    async hasAtOrAfter(rowId, bound) {
      const q = timestampsAtOrAfter(ctx.tables, key, rowId, formatRfc3339Nano(bound));
      const { rows } = await ctx.db.query<TimestampsAtOrAfterRow>(q.text, q.params);
      const row = rows[0];
      if (!row) return false;
      return (
        row.sure ||
        (row.near ?? []).some((text) => {
          const ts = parseRfc3339(text);
          return ts !== null && compareTime(ts, bound) >= 0;
        })
      );
    },
    async lastUserBefore(rowId) {
      const q = lastUserEventBefore(ctx.tables, key, rowId);
      const { rows } = await ctx.db.query<{ row_id: string; body: string }>(q.text, q.params);
      const row = rows[0];
      return row ? decodeStored('event', key, row.row_id, row.body, decodeEvent) : undefined;
    },
  };
}

/** The rows of one session, as a read statement returned them. */
export interface SessionRows {
  session: ReadRow;
  events: EventRow[];
  summaries: ReadRow[];
  tracks: ReadRow[];
}

/**
 * Event rows newest first, in read order (created_at DESC, id DESC): the statement sorts them,
 * but a UNION ALL does not promise to keep that order.
 */
export function newestFirst(rows: readonly EventRow[]): EventRow[] {
  return [...rows].sort((a, b) => compareStored(b.createdAt, b.rowId, a.createdAt, a.rowId));
}

/**
 * Unpacks a read's rows and groups them by session (by `sid`; getSession's rows have none). An
 * event row is only split (see unpackEvent), its JSON left for buildSession to decode.
 */
export function groupRows(rows: readonly PackedRow[]): { sessions: SessionRows[]; scoped: ScopedState } {
  const bySid = new Map<string | null, SessionRows>();
  const events: PackedRow[] = [];
  const states: ReadRow[] = [];
  const pending: ReadRow[] = [];
  for (const row of rows) {
    if (isPackedEvent(row.packed)) {
      events.push(row);
      continue;
    }
    const sid = row.sid ?? null;
    const unpacked = unpackRow(sid, row.packed);
    if (unpacked.kind === 's') bySid.set(sid, { session: unpacked, events: [], summaries: [], tracks: [] });
    else if (unpacked.kind === 'a' || unpacked.kind === 'u') states.push(unpacked);
    else pending.push(unpacked);
  }
  for (const row of events) bySid.get(row.sid ?? null)?.events.push(unpackEvent(row.packed));
  for (const row of pending) {
    const group = bySid.get(row.sid);
    if (!group) continue;
    if (row.kind === 'm') group.summaries.push(row);
    else group.tracks.push(row);
  }
  const sessions = [...bySid.values()].sort((a, b) => (a.session.ord ?? 0) - (b.session.ord ?? 0));
  return { sessions, scoped: scopedState(stateMapOf(states, 'a'), stateMapOf(states, 'u')) };
}

/**
 * A session time as an instant: the envelope's (RFC 3339 with its offset) when it holds one, else
 * the column. A Go service running in a non-UTC zone writes the TIMESTAMP columns as local
 * wall-clock time but the JSON times as instants, so the columns of its rows are off by the zone
 * offset and comparing them hides fresh summaries (trpc-agent-go issue #2530, fixed there by
 * comparing the JSON times, #2534). For rows this service writes, the two agree.
 */
function instant(json: Date | undefined, column: string): Date {
  return json && !isGoZeroTime(json) ? json : parseTimestampAsUtc(column);
}

/**
 * A session's creation time as reads give it (see {@link sessionOfRow}), from its stored envelope
 * and created_at column; an envelope that does not decode leaves the column.
 */
export function storedCreatedAt(body: string | null, column: string): Date {
  let json: Date | undefined;
  try {
    json = body === null ? undefined : decodeSessionState(body).createdAt;
  } catch {
    json = undefined;
  }
  return instant(json, column);
}

/**
 * The session a read's `s` row describes, its own state merged with the app and user state, and
 * no events, summaries or tracks yet (all that listSessions with `onlyMeta` returns). The app and
 * user values are the read's own, decoded from its rows; the sessions of one list share them, as
 * in trpc-agent-go and the in-memory service.
 */
export function sessionOfRow(key: SessionKey, row: ReadRow, scoped: ScopedState): Session {
  const envelope =
    row.body === null
      ? undefined
      : decodeStored('session state', key, row.row_id ?? undefined, row.body, decodeSessionState);
  const state = addScopedState(envelope?.state ?? newStateMap(), scoped);
  const session = newSession(key, instant(envelope?.createdAt, row.created_at!), state);
  session.updatedAt = instant(envelope?.updatedAt, row.updated_at!);
  session.tracks = Object.create(null) as Session['tracks'];
  session.summaries = Object.create(null) as Session['summaries'];
  // The envelope's creation time tells this session from one created later under its key.
  if (envelope?.createdAt) markStoredIncarnation(session, envelope.createdAt);
  return session;
}

/** Builds one session from its rows: {@link sessionOfRow} with its events, summaries and tracks. */
export async function buildSession(
  key: SessionKey,
  rows: SessionRows,
  scoped: ScopedState,
  plan: ReadPlan,
  ctx: ReadContext,
): Promise<Session> {
  const session = sessionOfRow(key, rows.session, scoped);
  const created = session.createdAt;
  // App and user keys carry their prefixes, so `tracks` is the session's own index.
  const names = readTrackNames(session.state);

  // Oldest first.
  const window: WindowEvent[] = newestFirst(rows.events)
    .reverse()
    .map((r) => ({
      rowId: r.rowId,
      event: decodeStored('event', key, r.rowId, r.json, decodeEvent),
    }));
  if (plan.events.kind === 'page') {
    session.events = window.map((w) => w.event);
  } else {
    session.events = await anchorEvents(
      { window, limit: plan.events.limit, bound: plan.bound },
      earlierEvents(ctx, key),
    );
  }

  if (session.events.length > 0) {
    for (const r of rows.summaries) {
      if (r.body === null || r.name === null) continue;
      const summary: Summary = decodeStored(
        `summary ${JSON.stringify(r.name)}`,
        key,
        r.row_id ?? undefined,
        r.body,
        decodeSummary,
      );
      // A summary older than the session belongs to an earlier session with the same id.
      if (compareTime(summary.updated_at, created) >= 0) session.summaries[r.name] = summary;
    }
  }

  for (const track of names) {
    const events: TrackEvent[] = rows.tracks
      .filter((r) => r.name === track)
      .sort(byStoredOrder)
      .map((r) => decodeStored('track event', key, r.row_id!, r.body!, decodeTrackEvent));
    session.tracks[track] = { track, events };
  }
  return session;
}

/** The decoded events of a window, for callers that apply no anchor; `key` names a bad row's session. */
export function decodeEvents(rows: readonly { row_id: string; body: string }[], key: SessionKey): Event[] {
  return rows.map((r) => decodeStored('event', key, r.row_id, r.body, decodeEvent));
}
