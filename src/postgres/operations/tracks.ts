/**
 * The track operations of PostgresSessionService: appendTrackEvent (the caller's copy and its
 * `tracks` index, then storage) and getTrackEvents.
 */

import {
  callerTrackNames,
  decodeTrackEvent,
  encodeStateMap,
  encodeTrackEvent,
  encodeTrackNames,
  storedTrackNames,
} from '../../session/codec/index.js';
import { sessionNotFound } from '../../session/errors.js';
import { type SessionKey, sessionKeyOf } from '../../session/keys.js';
import { checkSignalOption, type TrackEventsOptions } from '../../session/options.js';
import {
  applyTrackEventToSession,
  callerTrackIndex,
  type Session,
  storedIncarnation,
} from '../../session/session.js';
import { TRACKS_STATE_KEY } from '../../session/state.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../../session/time.js';
import type { TrackEvent, TrackEvents } from '../../session/track.js';
import { EnqueueAbortedError } from '../async/errors.js';
import * as q from '../queries/index.js';
import { decodeStored } from '../read/session-rows.js';
import {
  base64,
  checkOptionsObject,
  checkTrackEventArg,
  checkTrackEventsArgs,
  sessionArgKey,
} from './arguments.js';
import { exec, type ServiceContext } from './context.js';

export async function appendTrackEvent(
  ctx: ServiceContext,
  session: Session,
  trackEvent: TrackEvent,
  options: { signal?: AbortSignal },
): Promise<void> {
  const key = sessionArgKey(session);
  checkTrackEventArg(trackEvent);
  checkOptionsObject(options);
  checkSignalOption(options);
  if (ctx.async && options.signal?.aborted) {
    throw new EnqueueAbortedError('appendTrackEvent', options.signal.reason);
  }
  const json = encodeTrackEvent(trackEvent, 'trackEvent');
  const { track } = trackEvent;
  const callerRaw = callerTrackIndex(session);
  const callerNames = callerTrackNames(callerRaw);
  const callerIndex = callerNames.includes(track) ? undefined : encodeTrackNames([...callerNames, track]);
  const now = ctx.now();

  // The caller's copy changes first, as with appendEvent.
  applyTrackEventToSession(session, trackEvent, callerIndex, now);

  if (ctx.async) {
    const born = storedIncarnation(session);
    await ctx.track(
      ctx.async.appendTrackEvent(key, { trackEvent, eventJson: json, now, born }, options.signal),
    );
    return;
  }
  await persistTrackEvent(ctx, key, {
    track,
    event: json,
    timestamp: trackEvent.timestamp,
    now,
    expectedIndex: callerRaw ? base64(callerRaw) : null,
    index: callerIndex,
    onStoredIndex: (index) => {
      session.state[TRACKS_STATE_KEY] = index;
    },
  });
}

/**
 * Where an accepted track event goes to storage (synchronous mode). One statement when the stored
 * `tracks` index is the one the caller's copy showed (`expectedIndex`); otherwise (another writer
 * added a track, or the session is gone) the index is read under the row lock and the write is
 * made from it, so no writer's track is ever dropped from the index. `onStoredIndex` then gets
 * the index as stored.
 */
function persistTrackEvent(
  ctx: ServiceContext,
  key: SessionKey,
  write: {
    track: string;
    event: string;
    timestamp: Date;
    now: Date;
    expectedIndex: string | null;
    index: Uint8Array | undefined;
    onStoredIndex: (index: Uint8Array) => void;
  },
): Promise<void> {
  const statement = (expected: string | null, index: Uint8Array | undefined) =>
    q.appendTrackEvent(ctx.tables, {
      key,
      expectedIndex: expected,
      delta: index ? encodeStateMap({ [TRACKS_STATE_KEY]: index }, 'tracks') : '{}',
      track: write.track,
      event: write.event,
      timestamp: toSqlTimestamp(write.timestamp),
      now: toSqlTimestamp(write.now),
      updatedAtJson: formatRfc3339Nano(write.now),
      sessionExpiresAt: ctx.expiry(write.now, ctx.options.sessionTtlMs),
      trackExpiresAt: ctx.expiry(write.now, ctx.options.trackEventTtlMs),
    });
  return ctx.run('appendTrackEvent', async (db) => {
    const fast = await exec<{ appended: number }>(db, statement(write.expectedIndex, write.index));
    if ((fast.rows[0]?.appended ?? 0) > 0) return;
    await db.transaction(async (tx) => {
      const locked = await exec<{ tracks: string | null }>(tx, q.lockTrackIndex(ctx.tables, key));
      const row = locked.rows[0];
      if (!row) throw sessionNotFound(key);
      const stored = row.tracks === null ? null : Buffer.from(row.tracks, 'base64');
      const names = storedTrackNames(stored, key.sessionId);
      const index = names.includes(write.track) ? undefined : encodeTrackNames([...names, write.track]);
      await exec(tx, statement(row.tracks, index));
      write.onStoredIndex(index ?? encodeTrackNames(names));
    });
  });
}

export function getTrackEvents(
  ctx: ServiceContext,
  key: SessionKey,
  track: string,
  options: TrackEventsOptions,
): Promise<TrackEvents> {
  checkTrackEventsArgs(key, track, options);
  const readKey = sessionKeyOf(key);
  return ctx.run('getTrackEvents', async (db) => {
    const query = q.selectTrackEvents(ctx.tables, {
      key: readKey,
      track,
      now: toSqlTimestamp(ctx.now()),
      after: options.eventTime ? toSqlTimestamp(options.eventTime) : undefined,
      limit: options.eventNum && options.eventNum > 0 ? options.eventNum : null,
    });
    const { rows } = await exec<q.TrackEventRow>(db, query);
    // decodeStored: a row another program wrote badly is reported with the session's key.
    return {
      track,
      events: rows.map((row) => decodeStored('track event', readKey, undefined, row.body, decodeTrackEvent)),
    };
  });
}
