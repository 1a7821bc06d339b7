/**
 * PostgresSessionService: trpc-agent-go's PostgreSQL session store, on the same tables and with
 * the same stored JSON, so a Go service and this one can share a database.
 *
 * This class composes: the work of each method lives in `operations/` (sessions, state, events,
 * tracks, summaries, as functions of a small context) and the connection, start-up, in-flight
 * tracking and shutdown live in `runtime.ts`. Where the Go code takes several round trips (or a
 * transaction) this service takes one statement: appends, state merges, deletes and reads are
 * single statements, and a read fetches only the newest `limit` events instead of the whole
 * history.
 */
import { attachTelemetry, instrumentService, postgresBackend } from '../observability/index.js';
import type { Event } from '../session/event.js';
import type { SessionKey, UserKey } from '../session/keys.js';
import type { SweepCounts, SweepReport } from '../session/observers.js';
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
import type { Session } from '../session/session.js';
import type { StateMap } from '../session/state.js';
import type { TrackEvent, TrackEvents } from '../session/track.js';
import { SummaryRunner } from '../summary/summary-runner.js';
import { redactorFor } from './connection/secrets.js';
import { clearEvents, popEvent } from './operations/event-removal.js';
import { replaceEvents } from './operations/event-replacement.js';
import { appendEvent, appendEvents, getEventWindow } from './operations/events.js';
import { createSession, deleteSession, getSession, listSessions } from './operations/sessions.js';
import * as state from './operations/state.js';
import { getSessionSummaryText, summaryStore } from './operations/summaries.js';
import { appendTrackEvent, getTrackEvents } from './operations/tracks.js';
import { type PostgresSessionServiceOptions, resolvePostgresOptions } from './options.js';
import { ServiceRuntime } from './runtime.js';
import type { TableNames } from './schema/index.js';

/**
 * A SessionService on PostgreSQL (a server through node-postgres, or embedded PGlite), with
 * trpc-agent-go's tables, stored formats and semantics.
 *
 * `new PostgresSessionService(options)` validates the options at once and connects lazily: the
 * first call opens the connection and creates (or verifies) the tables, so connection and schema
 * errors surface from that call. `await PostgresSessionService.create(options)` does that work
 * up front. `close()` drains what is in flight, stops the sweeper and the summary workers, and
 * ends the pool only when the service created it.
 *
 * With `asyncPersist: true`, appendEvent and appendTrackEvent change the caller's session at
 * once, exactly as without it, and resolve as soon as the write is accepted by a background
 * worker (`asyncPersisterNum` of them; a session's writes always go to the same one, so they keep
 * their order; each worker writes what has queued up as one multi-row statement). What that
 * changes for a caller:
 * - Reads do not wait for accepted writes (as in Go): `await flush()` first to read your own
 *   writes. Writes do: deleteSession, popEvent, clearEvents, replaceEvents, updateSessionState and createSession of a session first
 *   wait until that session's accepted appends are stored, so they apply in the order called.
 * - A write that fails for good (after retrying transient errors) cannot reject its append, which
 *   has already resolved. It goes to `onError` (with `key`, `item`, and `event` or `trackEvent`)
 *   and makes the next `flush()` reject. This is how a missing or deleted session shows up: the
 *   synchronous append rejects with NOT_FOUND, the asynchronous one cannot know at append time.
 * - When a worker's queue is full, the append waits for room (memory stays bounded); the
 *   `signal` of appendEvent (and of appendTrackEvent's options) gives up waiting, rejecting
 *   with an `AbortError` (code INVALID_ARGUMENT) and storing nothing. The caller's session has
 *   changed by then, as it has when a synchronous write fails.
 * - `close()` drains every accepted write before ending the pool; an append after it fails with
 *   CLOSED (the Go code drops it silently).
 *
 * @example
 * ```ts
 * const sessions = await PostgresSessionService.create({ dsn: process.env.DATABASE_URL, sessionTtlMs: 86_400_000 });
 * const session = await sessions.createSession({ appName: 'support', userId: 'u1' });
 * await sessions.appendEvent(session, createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }));
 * await sessions.close();
 * ```
 */
export class PostgresSessionService implements SessionService {
  readonly #rt: ServiceRuntime;
  readonly #summaries: SummaryRunner;

  /**
   * Validates the options (throwing a ConfigError naming the one at fault) without connecting.
   */
  constructor(options: PostgresSessionServiceOptions = {}) {
    const o = resolvePostgresOptions(options);
    const redact = redactorFor(o);
    const telemetry = attachTelemetry(this, options, { ...postgresBackend(o), redactText: redact });
    const rt = new ServiceRuntime(o, telemetry);
    this.#rt = rt;
    this.#summaries = new SummaryRunner({
      summarizer: o.summarizer,
      allowlist: o.summaryFilterAllowlist,
      cascade: o.cascadeFullSessionSummary,
      clock: o.clock,
      jobs: rt.summaryJobs,
      store: (key, createdAt) => summaryStore(rt, key, createdAt),
      timeoutMs: o.summaryJobTimeoutMs,
      closed: rt.closeSignal,
      lockScope: () => rt.summaryLockScope(),
    });
  }

  /**
   * Creates a service and connects now: the tables are created if missing and verified (unless
   * `skipDbInit`), so a wrong DSN or schema fails here rather than on the first call.
   */
  static async create(options: PostgresSessionServiceOptions = {}): Promise<PostgresSessionService> {
    const service = new PostgresSessionService(options);
    try {
      await service.#rt.client();
    } catch (error) {
      await service.close().catch(() => undefined);
      throw error;
    }
    return service;
  }

  /** The tables this service uses (schema- and prefix-qualified names, quoted for SQL). */
  get tables(): TableNames {
    return this.#rt.tables;
  }

  /**
   * Writes accepted by the background workers and not yet taken into a batch (events and track
   * events; always 0 without `asyncPersist`). Bounded: a full queue makes appends wait instead.
   */
  get asyncQueueDepth(): number {
    return this.#rt.async?.depth ?? 0;
  }

  /** Appends waiting for room in a full background queue (always 0 without `asyncPersist`). */
  get asyncQueueWaiting(): number {
    return this.#rt.async?.waiting ?? 0;
  }

  // ---- sessions ----

  async createSession(key: CreateSessionKey, initial?: StateMap): Promise<Session> {
    this.#rt.checkOpen('createSession');
    return createSession(this.#rt, key, initial);
  }

  async getSession(key: SessionKey, options: GetSessionOptions = {}): Promise<Session | null> {
    this.#rt.checkOpen('getSession');
    return getSession(this.#rt, key, options);
  }

  async listSessions(key: UserKey, options: ListSessionsOptions = {}): Promise<Session[]> {
    this.#rt.checkOpen('listSessions');
    return listSessions(this.#rt, key, options);
  }

  async deleteSession(key: SessionKey): Promise<void> {
    this.#rt.checkOpen('deleteSession');
    return deleteSession(this.#rt, key);
  }

  async popEvent(key: SessionKey): Promise<Event | undefined> {
    this.#rt.checkOpen('popEvent');
    return popEvent(this.#rt, key);
  }

  async clearEvents(key: SessionKey): Promise<void> {
    this.#rt.checkOpen('clearEvents');
    return clearEvents(this.#rt, key);
  }

  async replaceEvents(key: SessionKey, request: ReplaceEventsRequest): Promise<void> {
    this.#rt.checkOpen('replaceEvents');
    return replaceEvents(this.#rt, key, request);
  }

  // ---- state ----

  async updateSessionState(key: SessionKey, values: StateMap): Promise<void> {
    this.#rt.checkOpen('updateSessionState');
    return state.updateSessionState(this.#rt, key, values);
  }

  async updateAppState(appName: string, values: StateMap): Promise<void> {
    this.#rt.checkOpen('updateAppState');
    return state.updateAppState(this.#rt, appName, values);
  }

  async listAppStates(appName: string): Promise<StateMap> {
    this.#rt.checkOpen('listAppStates');
    return state.listAppStates(this.#rt, appName);
  }

  async deleteAppState(appName: string, key: string): Promise<void> {
    this.#rt.checkOpen('deleteAppState');
    return state.deleteAppState(this.#rt, appName, key);
  }

  async updateUserState(key: UserKey, values: StateMap): Promise<void> {
    this.#rt.checkOpen('updateUserState');
    return state.updateUserState(this.#rt, key, values);
  }

  async listUserStates(key: UserKey): Promise<StateMap> {
    this.#rt.checkOpen('listUserStates');
    return state.listUserStates(this.#rt, key);
  }

  async deleteUserState(key: UserKey, stateKey: string): Promise<void> {
    this.#rt.checkOpen('deleteUserState');
    return state.deleteUserState(this.#rt, key, stateKey);
  }

  // ---- events and tracks ----

  /**
   * Applies the event to the caller's session (state delta, events filtered by `eventNum` and
   * `eventTime`) and stores it with the session's new state, in one statement; with
   * `asyncPersist`, hands it to the background writer instead (see the class description).
   *
   * @throws NOT_FOUND (synchronous mode) when the session does not exist; CLOSED after close();
   *   with `asyncPersist`, an `AbortError` (code INVALID_ARGUMENT) when `options.signal` aborts
   *   before the event is accepted, in which case nothing of it is stored.
   */
  async appendEvent(session: Session, event: Event, options: AppendEventOptions = {}): Promise<void> {
    this.#rt.checkOpen('appendEvent');
    return appendEvent(this.#rt, session, event, options);
  }

  /**
   * Applies the events to the caller's session in order, as appendEvent does, and stores them all
   * or none, in one statement. With `asyncPersist` the batch is not queued: the session's accepted
   * appends are stored first, and the call resolves once the batch is durable.
   *
   * @throws NOT_FOUND when the session does not exist (nothing of the batch is stored); CLOSED
   *   after close().
   */
  async appendEvents(
    session: Session,
    events: readonly Event[],
    options: AppendEventOptions = {},
  ): Promise<void> {
    this.#rt.checkOpen('appendEvents');
    return appendEvents(this.#rt, session, events, options);
  }

  /**
   * Adds the track event to the caller's session (and its `tracks` index) and stores it; with
   * `asyncPersist`, hands it to the background writer instead, and `options.signal` gives up
   * waiting for room in a full queue, as appendEvent's does (ignored otherwise).
   */
  async appendTrackEvent(
    session: Session,
    trackEvent: TrackEvent,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#rt.checkOpen('appendTrackEvent');
    return appendTrackEvent(this.#rt, session, trackEvent, options);
  }

  async getTrackEvents(
    key: SessionKey,
    track: string,
    options: TrackEventsOptions = {},
  ): Promise<TrackEvents> {
    this.#rt.checkOpen('getTrackEvents');
    return getTrackEvents(this.#rt, key, track, options);
  }

  async getEventWindow(
    key: SessionKey,
    anchorEventId: string,
    options: EventWindowOptions,
  ): Promise<Event[]> {
    this.#rt.checkOpen('getEventWindow');
    return getEventWindow(this.#rt, key, anchorEventId, options);
  }

  // ---- summaries ----

  /**
   * Summarizes now, under the session's summary lock, which is per process and per storage
   * (database, schema, table prefix): across processes two summaries of one session may run at
   * once, and the last one stored wins (see docs/summarizers.md). Bounded by
   * `summaryJobTimeoutMs` (TIMEOUT), `options.signal` (AbortError) and close() (CLOSED); a
   * failing summarizer rejects with SUMMARIZER, its error as `cause`.
   */
  async createSessionSummary(
    session: Session,
    filterKey = '',
    force = false,
    options: SummaryCallOptions = {},
  ): Promise<void> {
    this.#rt.checkOpen('createSessionSummary');
    await this.#summaries.createNow(session, filterKey, force, options);
  }

  async enqueueSummaryJob(
    session: Session,
    filterKey = '',
    force = false,
    options: SummaryCallOptions = {},
  ): Promise<void> {
    this.#rt.checkOpen('enqueueSummaryJob');
    await this.#summaries.enqueue(session, filterKey, force, options);
  }

  /**
   * The summary text for a filter key (falling back to the full-session summary): from the
   * session object when it carries one, else from the database. A summary older than the
   * session belongs to an earlier session with the same id and is skipped. A missing session or
   * a bad key has no summary (as in Go); a database failure is a StorageError (Go hides it).
   */
  async getSessionSummaryText(
    session: Session,
    options: SummaryTextOptions = {},
  ): Promise<string | undefined> {
    this.#rt.checkOpen('getSessionSummaryText');
    return getSessionSummaryText(this.#rt, session, options);
  }

  // ---- lifecycle ----

  /**
   * Sweeps expired data now (the sweeper also does this every `cleanupIntervalMs` when a TTL is
   * set), on one instance at a time: `ran` is false when another instance was sweeping.
   */
  async sweepNow(): Promise<SweepReport> {
    this.#rt.checkOpen('sweepNow');
    return this.#rt.sweepNow();
  }

  /**
   * What {@link sweepNow} would remove now, per table, by the sweep's own rules, changing
   * nothing: a preview. With no writes in between (and the same clock reading), the sweep then
   * removes exactly these rows.
   */
  async countSweepable(): Promise<SweepCounts> {
    this.#rt.checkOpen('countSweepable');
    return this.#rt.countSweepable();
  }

  /**
   * Resolves when every write accepted before the call is durable, queued summary jobs included.
   *
   * With `asyncPersist`, rejects when background writes failed for good since the last flush
   * (each was also given to `onError`): with an AsyncWriteError (code STORAGE, `failed` counting
   * them, the first failure as `cause`), or an AggregateError of two when both events and track
   * events failed. The failures are then cleared; the next flush reports only new ones. It still
   * waits for everything else first, so a rejected flush has settled all the same.
   */
  async flush(): Promise<void> {
    this.#rt.checkOpen('flush');
    return this.#rt.flush();
  }

  /**
   * Takes no more calls (they fail with CLOSED), ends the summaries made in callers at once
   * (waiting for the summarizer or the summary lock; they reject with CLOSED, and a summary
   * already being stored is stored), waits for the calls in flight, writes every
   * accepted background write, finishes the queued summary jobs (aborting what still runs after
   * one `summaryJobTimeoutMs`), stops the sweeper, and ends the pool if the service created it; a
   * pool or client the caller passed in stays open. Idempotent: every call returns the same
   * promise.
   *
   * close() resolves after the drain even when background writes failed: those failures went to
   * `onError`, and a caller that must know whether everything was stored calls `flush()` first.
   * It does not reject for them because it has shut everything down all the same; a rejection
   * would leave the caller unsure whether it had.
   */
  close(): Promise<void> {
    return this.#rt.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

instrumentService(PostgresSessionService.prototype);
