/**
 * A stored session record decoded into the library's model, for reading: state with the app's
 * and user's state merged in under their prefixes, events, summaries and track events, leaving
 * out what a service would hide (expired rows, summaries older than the session). Rows that do not decode are reported, not fatal:
 * an operator looking at a damaged session needs to see the rest of it.
 */

import type { ExportedSession, ExportedState, RowTimes } from '../../postgres/admin/index.js';
import { exportedToSql } from '../../postgres/admin/timestamps.js';
import {
  decodeEvent,
  decodeSessionState,
  decodeSummary,
  decodeTrackEvent,
} from '../../session/codec/index.js';
import type { Session } from '../../session/session.js';
import { mergeScopedState, newStateMap, textValue } from '../../session/state.js';
import { compareTime, isGoZeroTime } from '../../session/time.js';
import { fromSqlTimestamp } from '../../sql/timestamps.js';

/** A decoded session with what the stored row says beyond the model. */
export interface SessionView {
  session: Session;
  expiresAt: Date | null;
  deletedAt: Date | null;
  /** Rows that could not be decoded, one message each. */
  problems: string[];
}

/** An exported timestamp as a Date. */
export function exportedDate(text: string): Date;
export function exportedDate(text: string | null): Date | null;
export function exportedDate(text: string | null): Date | null {
  return text === null ? null : fromSqlTimestamp(exportedToSql(text));
}

const expired = (row: RowTimes, now: Date) =>
  row.expiresAt !== null && exportedDate(row.expiresAt).getTime() <= now.getTime();

function stateMap(rows: readonly ExportedState[] | undefined, now: Date) {
  const state = newStateMap();
  for (const row of rows ?? []) {
    if (row.deletedAt !== null || expired(row, now)) continue;
    state[row.key] = row.value === null ? null : textValue(row.value);
  }
  return state;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Decodes a record (as read for `show`) into a {@link SessionView}. */
export function viewOf(record: ExportedSession, now: Date = new Date()): SessionView {
  const problems: string[] = [];
  let sessionState = newStateMap();
  let envelopeCreatedAt: Date | undefined;
  if (record.state !== null) {
    try {
      const envelope = decodeSessionState(record.state);
      sessionState = envelope.state;
      envelopeCreatedAt = envelope.createdAt;
    } catch (error) {
      problems.push(`session state: ${message(error)}`);
    }
  }
  const session: Session = {
    id: record.sessionId,
    appName: record.appName,
    userId: record.userId,
    state: mergeScopedState(sessionState, stateMap(record.appState, now), stateMap(record.userState, now)),
    events: [],
    tracks: {},
    summaries: {},
    createdAt: exportedDate(record.createdAt),
    updatedAt: exportedDate(record.updatedAt),
  };
  record.events.forEach((row, i) => {
    try {
      session.events.push(decodeEvent(row.event));
    } catch (error) {
      problems.push(`event ${i + 1}: ${message(error)}`);
    }
  });
  // As the services read it: the envelope's creation time when set, else the column's.
  const created =
    envelopeCreatedAt && !isGoZeroTime(envelopeCreatedAt) ? envelopeCreatedAt : session.createdAt;
  for (const row of record.summaries) {
    if (row.summary === null || expired(row, now)) continue;
    try {
      const summary = decodeSummary(row.summary);
      // A summary older than the session is an earlier session's with the same id.
      if (compareTime(summary.updated_at, created) < 0) continue;
      session.summaries[row.filterKey] = summary;
    } catch (error) {
      problems.push(`summary ${JSON.stringify(row.filterKey)}: ${message(error)}`);
    }
  }
  for (const row of record.trackEvents) {
    if (expired(row, now)) continue;
    try {
      const event = decodeTrackEvent(row.event);
      if (!Object.hasOwn(session.tracks, row.track)) {
        Object.defineProperty(session.tracks, row.track, {
          value: { track: row.track, events: [] },
          enumerable: true,
        });
      }
      session.tracks[row.track]!.events.push(event);
    } catch (error) {
      problems.push(`track ${JSON.stringify(row.track)} event: ${message(error)}`);
    }
  }
  return {
    session,
    expiresAt: exportedDate(record.expiresAt),
    deletedAt: exportedDate(record.deletedAt),
    problems,
  };
}
