import { randomUUID } from 'node:crypto';
import { attachTelemetry, instrumentService, memoryBackend } from '../observability/index.js';
import {
  anchorIdArg,
  checkOptionsObject,
  checkSessionStateUpdate,
  checkTrackEventArg,
  checkTrackEventsArgs,
  encodeEventsArg,
  sessionArgKey,
  summaryTextArgs,
} from '../session/arguments.js';
import { decodeEvent, encodeEvent, encodeTrackEvent } from '../session/codec/index.js';
import { ClosedError, ConflictError, NotFoundError } from '../session/errors.js';
import { type Event, isPersistableEvent } from '../session/event.js';
import { type AppendEventContext, type GetSessionContext, runHookChain } from '../session/hooks.js';
import {
  checkAppName,
  checkSessionKey,
  checkStateKey,
  checkUserKey,
  type SessionKey,
  sessionKeyOf,
  type UserKey,
} from '../session/keys.js';
import {
  type AppendEventOptions,
  checkAppendEventOptions,
  checkEventWindowOptions,
  checkGetSessionOptions,
  checkListSessionsOptions,
  type EventWindowOptions,
  type GetSessionOptions,
  type ListSessionsOptions,
  type SummaryTextOptions,
  type TrackEventsOptions,
} from '../session/options.js';
import type { CreateSessionKey, SessionService } from '../session/service.js';
import type { SessionServiceOptions } from '../session/service-options.js';
import { applyEventToSession, type Session } from '../session/session.js';
import {
  APP_PREFIX,
  checkStateMap,
  copyState,
  newStateMap,
  type StateMap,
  TRACKS_STATE_KEY,
  USER_PREFIX,
} from '../session/state.js';
import type { Summary } from '../session/summary.js';
import { compareTime } from '../session/time.js';
import { addTrackEvent, type TrackEvent, type TrackEvents } from '../session/track.js';
import { copySummary } from '../summary/cascade.js';
import { SummaryJobQueue } from '../summary/job-queue.js';
import { pickSummaryText } from '../summary/pick.js';
import { SummaryRunner } from '../summary/summary-runner.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { readSession, readTrackEvents } from './read.js';
import type { SessionRecord } from './records.js';
import { appScope, expiryOf, isLive, scopedEntries, userScope } from './state-table.js';
import { MemoryStore, notFound } from './store.js';
import { startSweeper } from './sweep.js';
import { indexWithTrack } from './tracks.js';

/**
 * A SessionService that keeps everything in this process, with exactly the behaviour of the
 * PostgreSQL backend (trpc-agent-go's semantics): the reference implementation, a fast default for
 * development and tests, and the backend the conformance suite checks the others against. It
 * refuses what PostgreSQL would refuse (events and state are validated and stored as copies) and
 * keeps expired data until a sweep, hidden from reads, as the database does.
 */
export class InMemorySessionService implements SessionService {
  readonly #options: ResolvedOptions;
  readonly #store: MemoryStore;
  readonly #summaryJobs: SummaryJobQueue | undefined;
  readonly #summaries: SummaryRunner;
  readonly #stopSweeper: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SessionServiceOptions = {}) {
    this.#options = resolveOptions(options);
    const o = this.#options;
    this.#store = new MemoryStore(o);
    const telemetry = attachTelemetry(this, options, memoryBackend);
    if (o.summarizer) {
      this.#summaryJobs = new SummaryJobQueue({
        workers: o.asyncSummaryNum,
        queueSize: o.summaryQueueSize,
        jobTimeoutMs: o.summaryJobTimeoutMs,
        onError: o.onError,
        observer: telemetry.summaryJobs,
      });
    }
    this.#summaries = new SummaryRunner({
      summarizer: o.summarizer,
      allowlist: o.summaryFilterAllowlist,
      cascade: o.cascadeFullSessionSummary,
      clock: o.clock,
      jobs: this.#summaryJobs,
      store: (key) => this.#summaryStore(key),
    });
    if (o.cleanupIntervalMs > 0) {
      this.#stopSweeper = startSweeper(o.cleanupIntervalMs, () => this.sweepNow(), o.onError);
    }
  }

  // ---- sessions ----

  async createSession(key: CreateSessionKey, state?: StateMap): Promise<Session> {
    this.#checkOpen('createSession');
    checkUserKey(key);
    const sessionId = key.sessionId === undefined || key.sessionId === '' ? randomUUID() : key.sessionId;
    const sessionKey: SessionKey = { appName: key.appName, userId: key.userId, sessionId };
    checkSessionKey(sessionKey);
    if (state !== undefined && state !== null) checkStateMap('state', state);
    const now = this.#store.now();
    const existing = this.#store.sessions.get(sessionKey);
    if (existing && isLive(existing.expiresAt, now.getTime())) {
      throw new ConflictError(`session ${JSON.stringify(sessionId)} already exists and has not expired`, {
        field: 'sessionId',
      });
    }
    // An expired session with the same key is replaced whole: the new one starts empty.
    const record: SessionRecord = {
      key: sessionKey,
      state: copyState(state),
      events: [],
      tracks: new Map(),
      summaries: new Map(),
      createdAt: now,
      updatedAt: now,
      expiresAt: expiryOf(now.getTime(), this.#options.sessionTtlMs),
    };
    this.#store.sessions.set(record);
    return readSession(record, { onlyMeta: true }, this.#store.readContext(sessionKey, now.getTime()));
  }

  async getSession(key: SessionKey, options: GetSessionOptions = {}): Promise<Session | null> {
    this.#checkOpen('getSession');
    checkSessionKey(key);
    checkOptionsObject(options);
    checkGetSessionOptions(options);
    const ctx: GetSessionContext = { key: sessionKeyOf(key), options: { ...options } };
    return runHookChain(this.#options.getSessionHooks, ctx, async (c) => {
      // A hook may have changed the key or the options: they are checked again as they reach storage.
      checkSessionKey(c.key);
      checkGetSessionOptions(c.options);
      const nowMs = this.#store.nowMs();
      const record = this.#store.liveRecord(c.key, nowMs);
      return record ? readSession(record, c.options, this.#store.readContext(c.key, nowMs)) : null;
    });
  }

  async listSessions(key: UserKey, options: ListSessionsOptions = {}): Promise<Session[]> {
    this.#checkOpen('listSessions');
    checkUserKey(key);
    checkOptionsObject(options);
    checkListSessionsOptions(options);
    const nowMs = this.#store.nowMs();
    const records = this.#store.sessions
      .ofUser(key)
      .filter((record) => isLive(record.expiresAt, nowMs))
      .sort(
        (a, b) =>
          compareTime(b.updatedAt, a.updatedAt) ||
          (a.key.sessionId < b.key.sessionId ? 1 : a.key.sessionId > b.key.sessionId ? -1 : 0),
      );
    const page = options.page
      ? records.slice(options.page.offset, options.page.offset + options.page.limit)
      : records;
    const ctx = this.#store.readContext(key, nowMs);
    const read = { eventNum: options.eventNum, eventTime: options.eventTime, onlyMeta: options.onlyMeta };
    return page.map((record) => readSession(record, read, ctx));
  }

  async deleteSession(key: SessionKey): Promise<void> {
    this.#checkOpen('deleteSession');
    checkSessionKey(key);
    this.#store.sessions.delete(key);
  }

  async popEvent(key: SessionKey): Promise<Event | undefined> {
    this.#checkOpen('popEvent');
    checkSessionKey(key);
    const record = this.#store.writableRecord(key);
    const last = record.events.pop();
    this.#store.touch(record);
    // A fresh copy from the stored JSON: the caller never shares objects with the store.
    return last ? decodeEvent(last.json) : undefined;
  }

  async clearEvents(key: SessionKey): Promise<void> {
    this.#checkOpen('clearEvents');
    checkSessionKey(key);
    const record = this.#store.writableRecord(key);
    record.events = [];
    // The summaries describe the events just removed.
    record.summaries.clear();
    this.#store.touch(record);
  }

  // ---- state ----

  async updateSessionState(key: SessionKey, state: StateMap): Promise<void> {
    this.#checkOpen('updateSessionState');
    checkSessionKey(key);
    checkSessionStateUpdate(state);
    const record = this.#store.writableRecord(key);
    for (const [stateKey, value] of Object.entries(state))
      record.state[stateKey] = value === null ? null : value.slice();
    this.#store.touch(record);
  }

  async updateAppState(appName: string, state: StateMap): Promise<void> {
    this.#checkOpen('updateAppState');
    checkAppName(appName);
    const entries = scopedEntries(state, APP_PREFIX);
    const nowMs = this.#store.nowMs();
    this.#store.appStates.set(appScope(appName), entries, expiryOf(nowMs, this.#options.appStateTtlMs));
  }

  async listAppStates(appName: string): Promise<StateMap> {
    this.#checkOpen('listAppStates');
    checkAppName(appName);
    return this.#store.appStates.list(appScope(appName), this.#store.nowMs());
  }

  async deleteAppState(appName: string, key: string): Promise<void> {
    this.#checkOpen('deleteAppState');
    checkAppName(appName);
    checkStateKey('key', key);
    // The key is used as given (no `app:` trimming), as the PostgreSQL backend does.
    this.#store.appStates.delete(appScope(appName), key);
  }

  async updateUserState(key: UserKey, state: StateMap): Promise<void> {
    this.#checkOpen('updateUserState');
    checkUserKey(key);
    const entries = scopedEntries(state, USER_PREFIX);
    const nowMs = this.#store.nowMs();
    this.#store.userStates.set(
      userScope(key.appName, key.userId),
      entries,
      expiryOf(nowMs, this.#options.userStateTtlMs),
    );
  }

  async listUserStates(key: UserKey): Promise<StateMap> {
    this.#checkOpen('listUserStates');
    checkUserKey(key);
    return this.#store.userStates.list(userScope(key.appName, key.userId), this.#store.nowMs());
  }

  async deleteUserState(key: UserKey, stateKey: string): Promise<void> {
    this.#checkOpen('deleteUserState');
    checkUserKey(key);
    checkStateKey('key', stateKey);
    this.#store.userStates.delete(userScope(key.appName, key.userId), stateKey);
  }

  // ---- events and tracks ----

  async appendEvent(session: Session, event: Event, options: AppendEventOptions = {}): Promise<void> {
    this.#checkOpen('appendEvent');
    const key = sessionArgKey(session);
    checkOptionsObject(options);
    checkAppendEventOptions(options);
    const json = encodeEvent(event);
    const hooks = this.#options.appendEventHooks;
    const ctx: AppendEventContext = { session, event, key, options: { ...options } };
    await runHookChain(hooks, ctx, async (c) => {
      // Hooks may replace or edit the event and the key: what is stored is validated as it is now.
      const stored = hooks.length === 0 ? json : encodeEvent(c.event);
      if (hooks.length > 0) checkSessionKey(c.key);
      this.#storeEvent(c, stored);
    });
  }

  async appendEvents(
    session: Session,
    events: readonly Event[],
    options: AppendEventOptions = {},
  ): Promise<void> {
    this.#checkOpen('appendEvents');
    const key = sessionArgKey(session);
    checkOptionsObject(options);
    checkAppendEventOptions(options);
    const jsons = encodeEventsArg(events);
    const hooks = this.#options.appendEventHooks;
    const accepted: { c: AppendEventContext; json: string }[] = [];
    for (const [i, event] of events.entries()) {
      const ctx: AppendEventContext = { session, event, key, options: { ...options } };
      await runHookChain(hooks, ctx, async (c) => {
        const json = hooks.length === 0 ? jsons[i]! : encodeEvent(c.event);
        if (hooks.length > 0) checkSessionKey(c.key);
        accepted.push({ c, json });
      });
    }
    // From here on nothing awaits: the caller's copy, then every record, or none when a session
    // is missing, so no other call sees half of the batch.
    const now = this.#store.now();
    for (const { c } of accepted) {
      const filter = { eventNum: c.options.eventNum, eventTime: c.options.eventTime };
      applyEventToSession(c.session, c.event, filter, new Date(now.getTime()));
    }
    // Every session must exist before the first event is stored (NOT_FOUND stores nothing).
    for (const { c } of accepted) this.#store.writableRecord(c.key);
    for (const { c, json } of accepted) {
      this.#store.storeEvent(c.key, c.event, isPersistableEvent(c.event) ? json : null, now);
    }
  }

  /**
   * The storage step of appendEvent. Synchronous from the caller's copy to the stored record, so
   * no other call can interleave and a concurrent append is never lost.
   */
  #storeEvent(c: AppendEventContext, json: string): void {
    const now = this.#store.now();
    // The caller's copy changes first, even when the session turns out to be gone (as in Go).
    const filter = { eventNum: c.options.eventNum, eventTime: c.options.eventTime };
    applyEventToSession(c.session, c.event, filter, new Date(now.getTime()));
    this.#store.storeEvent(c.key, c.event, isPersistableEvent(c.event) ? json : null, now);
  }

  async appendTrackEvent(session: Session, trackEvent: TrackEvent): Promise<void> {
    this.#checkOpen('appendTrackEvent');
    const key = sessionArgKey(session);
    checkTrackEventArg(trackEvent);
    const json = encodeTrackEvent(trackEvent, 'trackEvent');
    const now = this.#store.now();
    const record = this.#store.sessions.get(key);
    const callerIndex = indexWithTrack(session.state, trackEvent.track);
    const storedIndex = record ? indexWithTrack(record.state, trackEvent.track) : undefined;

    session.state ??= newStateMap();
    if (callerIndex) session.state[TRACKS_STATE_KEY] = callerIndex;
    session.tracks ??= Object.create(null) as Session['tracks'];
    addTrackEvent(session.tracks, trackEvent);
    session.updatedAt = new Date(now.getTime());

    if (!record) throw notFound(key);
    this.#store.storeTrackEvent(record, trackEvent, json, storedIndex, now);
  }

  async getTrackEvents(
    key: SessionKey,
    track: string,
    options: TrackEventsOptions = {},
  ): Promise<TrackEvents> {
    this.#checkOpen('getTrackEvents');
    checkTrackEventsArgs(key, track, options);
    // Track events have their own expiry, so they are read whether or not the session has expired.
    const record = this.#store.sessions.get(key);
    return { track, events: readTrackEvents(record?.tracks.get(track), options, this.#store.nowMs()) };
  }

  async getEventWindow(
    key: SessionKey,
    anchorEventId: string,
    options: EventWindowOptions,
  ): Promise<Event[]> {
    this.#checkOpen('getEventWindow');
    checkSessionKey(key);
    const anchorId = anchorIdArg(anchorEventId);
    checkEventWindowOptions(options);
    const record = this.#store.liveRecord(key, this.#store.nowMs());
    const anchor = record ? record.events.findIndex((stored) => stored.event.id === anchorId) : -1;
    if (!record || anchor < 0) {
      throw new NotFoundError(`anchor event not found: ${anchorId}`, { field: 'anchorEventId' });
    }
    return record.events
      .slice(Math.max(0, anchor - options.before), anchor + options.after + 1)
      .map((stored) => decodeEvent(stored.json));
  }

  // ---- summaries ----

  async createSessionSummary(session: Session, filterKey = '', force = false): Promise<void> {
    this.#checkOpen('createSessionSummary');
    await this.#summaries.createNow(session, filterKey, force);
  }

  async enqueueSummaryJob(session: Session, filterKey = '', force = false): Promise<void> {
    this.#checkOpen('enqueueSummaryJob');
    await this.#summaries.enqueue(session, filterKey, force);
  }

  /**
   * Upserts summaries by filter key into the stored session. Like the PostgreSQL summary upsert it
   * neither moves the session's updatedAt nor its expiry; a session that is gone keeps nothing.
   */
  #summaryStore(key: SessionKey): (filterKey: string, summary: Summary) => void {
    return (filterKey, summary) => {
      this.#store.sessions.get(key)?.summaries.set(filterKey, copySummary(summary));
    };
  }

  async getSessionSummaryText(
    session: Session,
    options: SummaryTextOptions = {},
  ): Promise<string | undefined> {
    this.#checkOpen('getSessionSummaryText');
    const args = summaryTextArgs(session, options);
    if (!args) return undefined;
    const { key, filterKey } = args;
    const own = pickSummaryText(session.summaries, filterKey, session.createdAt);
    if (own !== undefined) return own;
    return pickSummaryText(this.#store.sessions.get(key)?.summaries, filterKey, session.createdAt);
  }

  // ---- lifecycle ----

  /** Removes expired data now (the sweeper does this every `cleanupIntervalMs`). */
  async sweepNow(): Promise<void> {
    this.#checkOpen('sweepNow');
    this.#store.sweep();
  }

  /** Resolves when queued summary jobs have finished (every other write is done when its call resolves). */
  async flush(): Promise<void> {
    this.#checkOpen('flush');
    await this.#summaryJobs?.drain();
  }

  /**
   * Stops the sweeper and drains queued summary jobs (aborting, after one job timeout, what is
   * left); every later call fails with `CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#stopSweeper?.();
    await this.#summaryJobs?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkOpen(operation: string): void {
    if (this.#closed) throw new ClosedError(operation);
  }
}

instrumentService(InMemorySessionService.prototype);
