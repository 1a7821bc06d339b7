import { attachTelemetry, instrumentService, memoryBackend } from '../observability/index.js';
import { checkSessionStateUpdate, checkTrackEventsArgs, summaryTextArgs } from '../session/arguments.js';
import { decodeEvent } from '../session/codec/index.js';
import { ClosedError } from '../session/errors.js';
import type { Event } from '../session/event.js';
import {
  checkAppName,
  checkSessionKey,
  checkStateKey,
  checkUserKey,
  type SessionKey,
  type UserKey,
} from '../session/keys.js';
import type {
  AppendEventOptions,
  EventWindowOptions,
  GetSessionOptions,
  ListSessionsOptions,
  ReplaceEventsRequest,
  SummaryCallOptions,
  SummaryTextOptions,
  TrackEventsOptions,
} from '../session/options.js';
import type { CreateSessionKey, SessionService } from '../session/service.js';
import type { SessionServiceOptions } from '../session/service-options.js';
import type { Session } from '../session/session.js';
import { APP_PREFIX, copyBytes, type StateMap, USER_PREFIX } from '../session/state.js';
import type { Summary } from '../session/summary.js';
import { sameInstantAtCommonPrecision } from '../session/time.js';
import type { TrackEvent, TrackEvents } from '../session/track.js';
import { copySummary } from '../summary/cascade.js';
import { SummaryJobQueue } from '../summary/job-queue.js';
import { ownSummaryText, pickSummaryText } from '../summary/pick.js';
import { SummaryRunner } from '../summary/summary-runner.js';
import type { MemoryContext } from './context.js';
import { replaceEvents } from './event-replacement.js';
import { appendEvent, appendEvents, appendTrackEvent, getEventWindow } from './events.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { readTrackEvents } from './read.js';
import { createSession, getSession, listSessions } from './sessions.js';
import { appScope, expiryOf, scopedEntries, userScope } from './state-table.js';
import { MemoryStore } from './store.js';
import { startSweeper } from './sweep.js';

/** Numbers the instances: each is a storage of its own, so each has its own summary lock scope. */
let instances = 0;

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
  readonly #mem: MemoryContext;
  readonly #summaryJobs: SummaryJobQueue | undefined;
  readonly #summaries: SummaryRunner;
  readonly #stopSweeper: (() => void) | undefined;
  /** Aborted by close(): summaries made in callers end at once with CLOSED. */
  readonly #closeSignal = new AbortController();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SessionServiceOptions = {}) {
    this.#options = resolveOptions(options);
    const o = this.#options;
    this.#store = new MemoryStore(o);
    this.#mem = { store: this.#store, options: o };
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
    const lockScope = `memory#${++instances}`;
    this.#summaries = new SummaryRunner({
      summarizer: o.summarizer,
      allowlist: o.summaryFilterAllowlist,
      cascade: o.cascadeFullSessionSummary,
      clock: o.clock,
      jobs: this.#summaryJobs,
      store: (key, createdAt) => this.#summaryStore(key, createdAt),
      timeoutMs: o.summaryJobTimeoutMs,
      closed: this.#closeSignal.signal,
      lockScope: () => lockScope,
    });
    if (o.cleanupIntervalMs > 0) {
      this.#stopSweeper = startSweeper(o.cleanupIntervalMs, () => this.sweepNow(), o.onError);
    }
  }

  // ---- sessions ----

  async createSession(key: CreateSessionKey, state?: StateMap): Promise<Session> {
    this.#checkOpen('createSession');
    return createSession(this.#mem, key, state);
  }

  async getSession(key: SessionKey, options: GetSessionOptions = {}): Promise<Session | null> {
    this.#checkOpen('getSession');
    return getSession(this.#mem, key, options);
  }

  async listSessions(key: UserKey, options: ListSessionsOptions = {}): Promise<Session[]> {
    this.#checkOpen('listSessions');
    return listSessions(this.#mem, key, options);
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

  async replaceEvents(key: SessionKey, request: ReplaceEventsRequest): Promise<void> {
    this.#checkOpen('replaceEvents');
    replaceEvents(this.#mem, key, request);
  }

  // ---- state ----

  async updateSessionState(key: SessionKey, state: StateMap): Promise<void> {
    this.#checkOpen('updateSessionState');
    checkSessionKey(key);
    checkSessionStateUpdate(state);
    const record = this.#store.writableRecord(key);
    for (const [stateKey, value] of Object.entries(state))
      record.state[stateKey] = value === null ? null : copyBytes(value);
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
    return appendEvent(this.#mem, session, event, options);
  }

  async appendEvents(
    session: Session,
    events: readonly Event[],
    options: AppendEventOptions = {},
  ): Promise<void> {
    this.#checkOpen('appendEvents');
    return appendEvents(this.#mem, session, events, options);
  }

  async appendTrackEvent(session: Session, trackEvent: TrackEvent): Promise<void> {
    this.#checkOpen('appendTrackEvent');
    return appendTrackEvent(this.#mem, session, trackEvent);
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
    return getEventWindow(this.#mem, key, anchorEventId, options);
  }

  // ---- summaries ----

  async createSessionSummary(
    session: Session,
    filterKey = '',
    force = false,
    options: SummaryCallOptions = {},
  ): Promise<void> {
    this.#checkOpen('createSessionSummary');
    await this.#summaries.createNow(session, filterKey, force, options);
  }

  async enqueueSummaryJob(
    session: Session,
    filterKey = '',
    force = false,
    options: SummaryCallOptions = {},
  ): Promise<void> {
    this.#checkOpen('enqueueSummaryJob');
    await this.#summaries.enqueue(session, filterKey, force, options);
  }

  /**
   * Upserts summaries by filter key into the stored session. Like the PostgreSQL summary upsert it
   * neither moves the session's updatedAt nor its expiry; a session that is gone keeps nothing,
   * and so does a session created again with the same key after the summary's session was
   * deleted (its creation time differs from `createdAt`, the summarized session's).
   */
  #summaryStore(key: SessionKey, createdAt: Date): (filterKey: string, summary: Summary) => void {
    return (filterKey, summary) => {
      const record = this.#store.sessions.get(key);
      if (!record || !sameInstantAtCommonPrecision(record.createdAt, createdAt)) return;
      record.summaries.set(filterKey, copySummary(summary));
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
    const { createdAt, own } = ownSummaryText(session, filterKey);
    if (own !== undefined) return own;
    return pickSummaryText(this.#store.sessions.get(key)?.summaries, filterKey, createdAt);
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
   * Ends the summaries made in callers (createSessionSummary, a job run in its caller) at once with
   * `CLOSED`, stops the sweeper and drains queued summary jobs (aborting, after one job timeout,
   * what is left); every later call fails with `CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#closeSignal.abort();
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
