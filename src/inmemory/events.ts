/**
 * The event operations of InMemorySessionService: appendEvent and appendEvents (hooks, the
 * caller's copy, then the store), appendTrackEvent and getEventWindow.
 */
import {
  appendArgs,
  checkTrackEventArg,
  encodeEventsArg,
  eventWindowArgs,
  sessionArgKey,
} from '../session/arguments.js';
import {
  callerTrackNames,
  decodeEvent,
  encodeEvent,
  encodeTrackEvent,
  storedTrackNames,
} from '../session/codec/index.js';
import { anchorNotFound, sessionNotFound } from '../session/errors.js';
import { type Event, isPersistableEvent } from '../session/event.js';
import { type AppendEventContext, applyToCallerSession, runAppendEventHooks } from '../session/hooks.js';
import { type SessionKey, sessionKeyId } from '../session/keys.js';
import type { AppendEventOptions, EventWindowOptions } from '../session/options.js';
import { applyTrackEventToSession, callerTrackIndex, type Session } from '../session/session.js';
import { TRACKS_STATE_KEY } from '../session/state.js';
import type { TrackEvent } from '../session/track.js';
import { windowAround, windowRoles } from '../session/window.js';
import type { MemoryContext } from './context.js';
import { indexWithTrack } from './tracks.js';

export async function appendEvent(
  mem: MemoryContext,
  session: Session,
  event: Event,
  options: AppendEventOptions = {},
): Promise<void> {
  const key = appendArgs(session, options);
  const json = encodeEvent(event);
  await runAppendEventHooks(
    mem.options.appendEventHooks,
    { session, event, key, options, json },
    (c, stored) => storeEvent(mem, c, stored),
  );
}

export async function appendEvents(
  mem: MemoryContext,
  session: Session,
  events: readonly Event[],
  options: AppendEventOptions = {},
): Promise<void> {
  const key = appendArgs(session, options);
  const jsons = encodeEventsArg(events);
  const hooks = mem.options.appendEventHooks;
  const accepted: { c: AppendEventContext; json: string }[] = [];
  for (const [i, event] of events.entries()) {
    const input = { session, event, key, options, json: jsons[i]! };
    await runAppendEventHooks(hooks, input, (c, json) => {
      accepted.push({ c, json });
    });
  }
  // From here on nothing awaits: the caller's copy, then every record, or none when a session
  // is missing, so no other call sees half of the batch.
  const now = mem.store.now();
  for (const { c } of accepted) applyToCallerSession(c, new Date(now.getTime()));
  // Every session must exist before the first event is stored (NOT_FOUND stores nothing).
  for (const { c } of accepted) mem.store.writableRecord(c.key);
  const stored = new Map<string, { key: SessionKey; count: number }>();
  for (const { c, json } of accepted) {
    const persistable = isPersistableEvent(c.event);
    mem.store.storeEvent(c.key, c.event, persistable ? json : null, now);
    if (!persistable) continue;
    const id = sessionKeyId(c.key);
    const entry = stored.get(id) ?? { key: c.key, count: 0 };
    entry.count++;
    stored.set(id, entry);
  }
  for (const { key, count } of stored.values()) mem.store.touchAfterBatch(key, now, count);
}

/**
 * The storage step of appendEvent. Synchronous from the caller's copy to the stored record, so
 * no other call can interleave and a concurrent append is never lost.
 */
function storeEvent(mem: MemoryContext, c: AppendEventContext, json: string): void {
  const now = mem.store.now();
  // The caller's copy changes first, even when the session turns out to be gone (as in Go).
  applyToCallerSession(c, new Date(now.getTime()));
  mem.store.storeEvent(c.key, c.event, isPersistableEvent(c.event) ? json : null, now);
}

export async function appendTrackEvent(
  mem: MemoryContext,
  session: Session,
  trackEvent: TrackEvent,
): Promise<void> {
  const key = sessionArgKey(session);
  checkTrackEventArg(trackEvent);
  const json = encodeTrackEvent(trackEvent, 'trackEvent');
  const now = mem.store.now();
  const record = mem.store.sessions.get(key);
  // Decoded before anything changes: an index that does not decode fails the append unwritten.
  const callerIndex = indexWithTrack(callerTrackNames(callerTrackIndex(session)), trackEvent.track);

  applyTrackEventToSession(session, trackEvent, callerIndex, new Date(now.getTime()));

  if (!record) throw sessionNotFound(key);
  const storedIndex = indexWithTrack(
    storedTrackNames(record.state[TRACKS_STATE_KEY], key.sessionId),
    trackEvent.track,
  );
  mem.store.storeTrackEvent(record, trackEvent, json, storedIndex, now);
}

export async function getEventWindow(
  mem: MemoryContext,
  key: SessionKey,
  anchorEventId: string,
  options: EventWindowOptions,
): Promise<Event[]> {
  const anchorId = eventWindowArgs(key, anchorEventId, options);
  const record = mem.store.liveRecord(key, mem.store.nowMs());
  const anchor = record ? record.events.findIndex((stored) => stored.event.id === anchorId) : -1;
  const window =
    record && anchor >= 0
      ? windowAround(record.events.length, (i) => decodeEvent(record.events[i]!.json), anchor, {
          before: options.before,
          after: options.after,
          roles: windowRoles(options.roles),
        })
      : undefined;
  if (!window) throw anchorNotFound(anchorId);
  return window;
}
