import { decodeEvent, decodeTrackEvent, readTrackNames } from '../session/codec/index.js';
import type { Event } from '../session/event.js';
import { filterEvents, newSession, type Session } from '../session/session.js';
import { addScopedState, copyState, type ScopedState } from '../session/state.js';
import type { Summary } from '../session/summary.js';
import { compareTime } from '../session/time.js';
import type { TrackEvents } from '../session/track.js';
import { copySummary } from '../summary/cascade.js';
import { copyTime } from '../summary/delta.js';
import { newRecordMap, type SessionRecord, type StoredTrackEvent } from './records.js';
import { isLive } from './state-table.js';

/** What a read needs besides the record: the time, the limits, and the shared state to merge. */
export interface ReadContext {
  nowMs: number;
  sessionTtlMs: number;
  sessionEventLimit: number;
  /** The live app and user state, prefixed once for every session the read returns. */
  scoped: ScopedState;
}

export interface ReadOptions {
  eventNum?: number | undefined;
  eventTime?: Date | undefined;
  eventPage?: { offset: number; limit: number } | undefined;
  onlyMeta?: boolean | undefined;
}

/**
 * A page counted from the newest event, returned oldest first, without the user anchor. Events
 * appended longer than the session TTL ago are out of every page, as PostgreSQL's
 * `created_at >= now - ttl` bound puts them.
 */
function pageOfEvents(
  record: SessionRecord,
  page: { offset: number; limit: number },
  ctx: ReadContext,
): Event[] {
  const lower = ctx.sessionTtlMs > 0 ? ctx.nowMs - ctx.sessionTtlMs : undefined;
  const candidates = lower === undefined ? record.events : record.events.filter((e) => e.storedAt >= lower);
  const end = candidates.length - page.offset;
  if (end <= 0) return [];
  return candidates.slice(Math.max(0, end - page.limit), end).map((stored) => decodeEvent(stored.json));
}

/**
 * The stored events as a read returns them: the exact read filter of trpc-agent-go (see
 * filterEvents) with the service's event limit when the call gives none, and, with a session TTL,
 * only events stamped within it unless the call gives its own eventTime.
 */
export function readEvents(record: SessionRecord, options: ReadOptions, ctx: ReadContext): Event[] {
  if (options.eventPage) return pageOfEvents(record, options.eventPage, ctx);
  const eventNum = options.eventNum || ctx.sessionEventLimit;
  const eventTime =
    options.eventTime ?? (ctx.sessionTtlMs > 0 ? new Date(ctx.nowMs - ctx.sessionTtlMs) : undefined);
  const jsonOf = new Map(record.events.map((stored) => [stored.event, stored.json]));
  const kept = filterEvents(
    record.events.map((stored) => stored.event),
    { eventNum, eventTime },
  );
  return kept.map((event) => decodeEvent(jsonOf.get(event)!));
}

/**
 * The live track events of one track: strictly after `eventTime`, the newest `eventNum` (0 = all),
 * oldest first. Ordered by their own timestamps, as PostgreSQL orders them (created_at is the
 * track event's timestamp); equal timestamps keep append order.
 */
export function readTrackEvents(
  stored: readonly StoredTrackEvent[] | undefined,
  options: { eventNum?: number | undefined; eventTime?: Date | undefined },
  nowMs: number,
): TrackEvents['events'] {
  if (!stored) return [];
  const { eventTime } = options;
  const live = stored.filter(
    (entry) =>
      isLive(entry.expiresAt, nowMs) &&
      (eventTime === undefined || compareTime(entry.event.timestamp, eventTime) > 0),
  );
  live.sort((a, b) => compareTime(a.event.timestamp, b.event.timestamp));
  const eventNum = options.eventNum ?? 0;
  const newest = eventNum > 0 ? live.slice(-eventNum) : live;
  return newest.map((entry) => decodeTrackEvent(entry.json));
}

/**
 * The summaries a read returns: a copy of each, except those older than the session itself (left
 * by an earlier session with the same id), which PostgreSQL hides the same way.
 */
export function readSummaries(record: SessionRecord): Record<string, Summary> {
  const out = newRecordMap<Summary>();
  for (const [filterKey, summary] of record.summaries) {
    if (compareTime(summary.updated_at, record.createdAt) >= 0) out[filterKey] = copySummary(summary);
  }
  return out;
}

/**
 * A session as getSession and listSessions return it: a deep copy, its state merged with the live
 * app and user state, events as {@link readEvents} selects them, summaries only when at least one
 * event is returned, every indexed track with its live events.
 */
export function readSession(record: SessionRecord, options: ReadOptions, ctx: ReadContext): Session {
  const state = addScopedState(copyState(record.state), ctx.scoped);
  const session = newSession(record.key, copyTime(record.createdAt), state);
  session.updatedAt = copyTime(record.updatedAt);
  session.tracks = newRecordMap();
  session.summaries = newRecordMap();
  if (options.onlyMeta) return session;
  session.events = readEvents(record, options, ctx);
  if (session.events.length > 0) session.summaries = readSummaries(record);
  const trackOptions = { eventNum: options.eventNum, eventTime: options.eventTime };
  for (const track of readTrackNames(record.state)) {
    session.tracks[track] = {
      track,
      events: readTrackEvents(record.tracks.get(track), trackOptions, ctx.nowMs),
    };
  }
  return session;
}
