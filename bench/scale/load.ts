/**
 * Bulk loading for the scale benchmark: sessions, their events and their users, streamed into the
 * tables with COPY. Every row is encoded by the store's own encoder (the same JSON a service
 * writes), so the reads measured afterwards decode real rows.
 *
 * The layout is deterministic: session `s` belongs to user `s / SESSIONS_PER_USER` and has
 * EVENTS_PER_SESSION events; every EXPIRED_EVERY-th session (and its events) expired a day ago, so
 * the sweep has a known share of the rows to remove.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TableNames } from '../../src/postgres/schema/index.js';
import { encodeEvent, encodeSessionState } from '../../src/session/codec/index.js';
import { textValue } from '../../src/session/state.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { APP, makeEvent } from '../data.js';

/** The TTL the benchmark's service runs with; expired sessions are older than it. */
export const DAY_MS = 86_400_000;
export const SESSIONS_PER_USER = 100;
export const EVENTS_PER_SESSION = 10;
/** Every 10th session has expired: 10% of sessions and events are the sweep's to remove. */
export const EXPIRED_EVERY = 10;

export const userOf = (session: number): string => `user-${Math.floor(session / SESSIONS_PER_USER)}`;
export const sessionIdOf = (session: number): string => `session-${session}`;
export const isExpired = (session: number): boolean => session % EXPIRED_EVERY === 0;

/** COPY's text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
function field(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

const line = (values: (string | null)[]): string => `${values.map(field).join('\t')}\n`;

/** Streams `rows` (each a COPY line) through one COPY statement on a connection of `pool`. */
async function copy(pool: pg.Pool, statement: string, rows: Iterable<string>): Promise<void> {
  const client = await pool.connect();
  try {
    const target = client.query(copyFrom(statement));
    // Lines are grouped into chunks of about 1 MB: one stream write per line would cost more in
    // stream bookkeeping than the encoding itself.
    function* chunks(): Generator<string> {
      let chunk = '';
      for (const row of rows) {
        chunk += row;
        if (chunk.length >= 1 << 20) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
    await pipeline(Readable.from(chunks()), target);
  } finally {
    client.release();
  }
}

/**
 * Loads sessions [from, to): their session rows, then their events, each in one COPY. Timestamps
 * are spread over the last `spanMs` so that ordering by time is meaningful.
 */
export async function loadSessions(pool: pg.Pool, t: TableNames, from: number, to: number): Promise<void> {
  const now = Date.now();
  const dayAgo = toSqlTimestamp(new Date(now - DAY_MS));
  const farAhead = toSqlTimestamp(new Date(now + 30 * DAY_MS));
  // Older sessions were updated earlier: a live session s at (now - 1 h) - (to - s) ms; an expired
  // one two days before that, so that its events are past the one-day TTL too.
  const updatedAt = (s: number) => new Date(now - 3_600_000 - (to - s) - (isExpired(s) ? 2 * DAY_MS : 0));

  function* sessionRows(): Generator<string> {
    for (let s = from; s < to; s++) {
      const at = updatedAt(s);
      const id = sessionIdOf(s);
      const envelope = encodeSessionState({
        id,
        state: { topic: textValue(`order A-${s}`), step: textValue(String(s % 7)) },
        createdAt: at,
        updatedAt: at,
      });
      const stamp = toSqlTimestamp(at);
      yield line([APP, userOf(s), id, envelope, stamp, stamp, isExpired(s) ? dayAgo : farAhead]);
    }
  }
  await copy(
    pool,
    `COPY ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at, expires_at) FROM STDIN`,
    sessionRows(),
  );

  function* eventRows(): Generator<string> {
    for (let s = from; s < to; s++) {
      const last = updatedAt(s).getTime();
      const user = userOf(s);
      const id = sessionIdOf(s);
      for (let k = 0; k < EVENTS_PER_SESSION; k++) {
        const at = new Date(last - (EVENTS_PER_SESSION - k));
        const stamp = toSqlTimestamp(at);
        // Events carry no expires_at, as the service (and Go) insert them.
        yield line([APP, user, id, encodeEvent(makeEvent(k, at)), stamp, stamp]);
      }
    }
  }
  await copy(
    pool,
    `COPY ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at) FROM STDIN`,
    eventRows(),
  );
}
