/**
 * The data of an InMemorySessionService and the rules every operation shares: what is live at a
 * given time, which record a write goes to, how a write renews a session's TTL, and what a read
 * merges in. The service's methods validate and run hooks; the records change here.
 */
import { decodeEvent, decodeTrackEvent } from '../session/codec/index.js';
import { sessionNotFound } from '../session/errors.js';
import type { Event } from '../session/event.js';
import type { SessionKey, UserKey } from '../session/keys.js';
import { copyBytes, scopedState, TRACKS_STATE_KEY } from '../session/state.js';
import { compareTime, plusMicroseconds } from '../session/time.js';
import type { TrackEvent } from '../session/track.js';
import type { ResolvedOptions } from './options.js';
import type { ReadContext } from './read.js';
import { type SessionRecord, SessionTable } from './records.js';
import { appScope, expiryOf, isLive, ScopedStateTable, userScope } from './state-table.js';
import { sweepExpired } from './sweep.js';

export class MemoryStore {
  readonly sessions = new SessionTable();
  readonly appStates = new ScopedStateTable();
  readonly userStates = new ScopedStateTable();
  readonly #options: ResolvedOptions;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /** The clock's time, as a Date of our own. */
  now(): Date {
    return new Date(this.#options.clock.now().getTime());
  }

  nowMs(): number {
    return this.#options.clock.now().getTime();
  }

  /** What a read of `key`'s sessions needs: the limits and the live app and user state. */
  readContext(key: UserKey, nowMs: number): ReadContext {
    return {
      nowMs,
      sessionTtlMs: this.#options.sessionTtlMs,
      sessionEventLimit: this.#options.sessionEventLimit,
      scoped: scopedState(
        this.appStates.list(appScope(key.appName), nowMs),
        this.userStates.list(userScope(key.appName, key.userId), nowMs),
      ),
    };
  }

  liveRecord(key: SessionKey, nowMs: number): SessionRecord | undefined {
    const record = this.sessions.get(key);
    return record && isLive(record.expiresAt, nowMs) ? record : undefined;
  }

  /**
   * The record a write goes to. An expired session that was not swept yet is written to (and so
   * revived), as PostgreSQL's `SELECT ... FOR UPDATE` without an expiry filter does; once swept,
   * or never created, it is NOT_FOUND.
   */
  writableRecord(key: SessionKey): SessionRecord {
    const record = this.sessions.get(key);
    if (!record) throw sessionNotFound(key);
    return record;
  }

  /**
   * A write of `stored` events as one batch (appendEvents, replaceEvents) moves the session's
   * updatedAt `stored - 1` microseconds past the later of the write's time and its updatedAt
   * before, as PostgreSQL's batch statement does (it stores a batch's events one microsecond
   * apart): sessions written by such calls in the same millisecond list in the same order as on
   * a synchronous PostgreSQL service. (With asyncPersist, PostgreSQL also spreads single appends
   * that one background batch carries, which this service, writing each at once, does not.)
   */
  touchAfterBatch(key: SessionKey, now: Date, stored: number): void {
    if (stored > 1) this.touch(this.writableRecord(key), now, stored - 1);
  }

  /**
   * A write moves updatedAt and renews the session's TTL, never back: a writer whose clock runs
   * behind leaves both where they are, as PostgreSQL's MONOTONIC_UPDATED_AT and
   * RENEWED_EXPIRES_AT do.
   */
  touch(record: SessionRecord, now: Date = this.now(), spreadMicros = 0): void {
    if (compareTime(now, record.updatedAt) >= 0) record.updatedAt = now;
    if (spreadMicros > 0) record.updatedAt = plusMicroseconds(record.updatedAt, spreadMicros);
    const expiresAt = expiryOf(now.getTime(), this.#options.sessionTtlMs);
    record.expiresAt =
      expiresAt === undefined || record.expiresAt === undefined
        ? expiresAt
        : Math.max(expiresAt, record.expiresAt);
  }

  /** Stores an appended event (`json`, or null when it is not persisted) and its state delta. */
  storeEvent(key: SessionKey, event: Event, json: string | null, now: Date): void {
    const record = this.writableRecord(key);
    if (json !== null) record.events.push({ json, event: decodeEvent(json), storedAt: now.getTime() });
    // Every delta key is written verbatim, app:/user:/temp: included, as the PostgreSQL backend does.
    for (const [stateKey, value] of Object.entries(event.stateDelta ?? {})) {
      record.state[stateKey] = value === null ? null : copyBytes(value);
    }
    this.touch(record, now);
  }

  /** Stores a track event in `record`, with the record's new `tracks` index when it changed. */
  storeTrackEvent(
    record: SessionRecord,
    trackEvent: TrackEvent,
    json: string,
    index: Uint8Array | undefined,
    now: Date,
  ): void {
    if (index) record.state[TRACKS_STATE_KEY] = index;
    const stored = record.tracks.get(trackEvent.track) ?? [];
    stored.push({
      json,
      event: decodeTrackEvent(json),
      expiresAt: expiryOf(now.getTime(), this.#options.trackEventTtlMs),
    });
    record.tracks.set(trackEvent.track, stored);
    this.touch(record, now);
  }

  /** Removes expired data now. */
  sweep(): void {
    sweepExpired(
      {
        sessions: this.sessions,
        appStates: this.appStates,
        userStates: this.userStates,
        sessionTtlMs: this.#options.sessionTtlMs,
      },
      this.nowMs(),
    );
  }
}
