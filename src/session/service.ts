import type { Event } from './event.js';
import type { SessionKey, UserKey } from './keys.js';
import type {
  AppendEventOptions,
  EventWindowOptions,
  GetSessionOptions,
  ListSessionsOptions,
  ReplaceEventsRequest,
  SummaryCallOptions,
  SummaryTextOptions,
  TrackEventsOptions,
} from './options.js';
import type { Session } from './session.js';
import type { StateMap } from './state.js';
import type { TrackEvent, TrackEvents } from './track.js';

/** The key of a session to create: without `sessionId`, a UUID v4 is generated. */
export interface CreateSessionKey extends UserKey {
  sessionId?: string;
}

/**
 * What every backend implements. Errors are {@link AgentSessionsError}s: `INVALID_ARGUMENT` before
 * anything is written, `CONFLICT` (a key taken, a precondition that does not hold), `NOT_FOUND`, `CLOSED` after close(), `STORAGE` for the database,
 * `SUMMARIZER` when the summarizer fails, `TIMEOUT` when a summary runs past its time limit.
 */
export interface SessionService extends AsyncDisposable {
  /** Creates a session; a live session with the same key is a `CONFLICT`. */
  createSession(key: CreateSessionKey, state?: StateMap): Promise<Session>;
  /** The session, or null when it is missing, expired or deleted. Never refreshes its TTL. */
  getSession(key: SessionKey, options?: GetSessionOptions): Promise<Session | null>;
  /** The user's live sessions, most recently updated first. */
  listSessions(key: UserKey, options?: ListSessionsOptions): Promise<Session[]>;
  /** Deletes a session with its events, summaries and tracks; deleting a missing one is not an error. */
  deleteSession(key: SessionKey): Promise<void>;

  /**
   * Removes the session's newest stored event (in the store's own order, never by timestamp) and
   * returns it, atomically: two concurrent pops never return the same event. `undefined` when the
   * session has no events. The session, its state, summaries and tracks stay; the removal is a
   * soft delete when the service soft-deletes. It is a write like an append: it moves the
   * session's `updatedAt` and renews its TTL. With `asyncPersist`, appends accepted before the
   * call are stored first, so the newest event is never one still queued.
   * @throws NOT_FOUND when there is no such session.
   */
  popEvent(key: SessionKey): Promise<Event | undefined>;
  /**
   * Removes every stored event of the session, and the summaries made of them, keeping the
   * session, its state and its tracks (soft delete when the service soft-deletes), in one atomic
   * step. A write like an append (moves `updatedAt`, renews the TTL); with `asyncPersist`, appends
   * accepted before the call are stored, and cleared, first.
   * @throws NOT_FOUND when there is no such session.
   */
  clearEvents(key: SessionKey): Promise<void>;
  /**
   * Replaces the session's newest events (those `request.expectedEventIds` names, or every event
   * when it is absent) with `request.events`, and merges `request.state` into the session's own
   * state, in one atomic step: all of it, or, when a precondition does not hold, nothing. The
   * preconditions (`expectedEventIds`, `expectedState`) are checked under the session's lock, so
   * of concurrent calls made from the same read exactly one succeeds. Removed events go as
   * popEvent removes them (soft delete when the service soft-deletes); replacing every event also
   * removes the summaries, as clearEvents does; otherwise summaries stay. A write like an append
   * (moves `updatedAt`, renews the TTL); with `asyncPersist`, appends accepted before the call are
   * stored first, so the preconditions see them.
   * @throws CONFLICT when the newest events or the state are not the expected ones (nothing
   *   changed); NOT_FOUND when there is no such session.
   */
  replaceEvents(key: SessionKey, request: ReplaceEventsRequest): Promise<void>;

  /** Merges keys into the session's own state; `app:` and `user:` keys are refused. */
  updateSessionState(key: SessionKey, state: StateMap): Promise<void>;
  /** Sets state shared by every session of the app (`app:` prefix optional). */
  updateAppState(appName: string, state: StateMap): Promise<void>;
  /** The app's state, keys without the `app:` prefix. */
  listAppStates(appName: string): Promise<StateMap>;
  deleteAppState(appName: string, key: string): Promise<void>;
  /** Sets state shared by every session of the user (`user:` prefix optional). */
  updateUserState(key: UserKey, state: StateMap): Promise<void>;
  /** The user's state, keys without the `user:` prefix. */
  listUserStates(key: UserKey): Promise<StateMap>;
  deleteUserState(key: UserKey, stateKey: string): Promise<void>;

  /**
   * Applies an event to `session` (the caller's copy changes at once) and stores it when it is a
   * complete event with content; its state delta is stored in any case.
   */
  appendEvent(session: Session, event: Event, options?: AppendEventOptions): Promise<void>;
  /**
   * Appends several events as one write: all of them are stored, or none. Each event runs the
   * append hooks and changes the caller's session as {@link appendEvent} would, in list order;
   * then the events the hooks passed on are stored together, in list order, in one atomic step
   * (one statement on PostgreSQL). A framework's tool call and its result, handed over in one
   * batch, are therefore never stored one without the other. Every event is validated before
   * any hook runs. With `asyncPersist` the batch is not queued: the session's accepted appends
   * are stored first, then the batch, and the call resolves once it is durable. A hook's `next()`
   * resolves when its event is accepted into the batch, before the batch is written.
   * @throws NOT_FOUND when the session does not exist (nothing of the batch is stored).
   */
  appendEvents(session: Session, events: readonly Event[], options?: AppendEventOptions): Promise<void>;
  /** Appends an event to one of the session's tracks. */
  appendTrackEvent(session: Session, event: TrackEvent): Promise<void>;
  getTrackEvents(key: SessionKey, track: string, options?: TrackEventsOptions): Promise<TrackEvents>;
  /** The stored events around an anchor event: up to `before` older and `after` newer. */
  getEventWindow(key: SessionKey, anchorEventId: string, options: EventWindowOptions): Promise<Event[]>;

  /**
   * Summarizes now (a no-op without a summarizer), under the session's summary lock (one summary
   * of a session and filter key at a time in this process and storage).
   * @throws SUMMARIZER when the summarizer throws or rejects (its error is the `cause`); TIMEOUT
   *   after `summaryJobTimeoutMs`, waiting for the lock included; an `AbortError` (code
   *   INVALID_ARGUMENT) when `options.signal` aborts; CLOSED when the service closes meanwhile.
   */
  createSessionSummary(
    session: Session,
    filterKey?: string,
    force?: boolean,
    options?: SummaryCallOptions,
  ): Promise<void>;
  /**
   * Summarizes in the background, bounded by `summaryJobTimeoutMs` and `options.signal` (failures
   * go to `onError`); runs in the caller when the queue is full, and then rejects as
   * {@link createSessionSummary} does.
   */
  enqueueSummaryJob(
    session: Session,
    filterKey?: string,
    force?: boolean,
    options?: SummaryCallOptions,
  ): Promise<void>;
  /** The summary text for a filter key, falling back to the full-session summary. */
  getSessionSummaryText(session: Session, options?: SummaryTextOptions): Promise<string | undefined>;

  /** Resolves when every accepted write is durable; rejects if a background write failed. */
  flush(): Promise<void>;
  /** Drains, then releases everything; later calls fail with `CLOSED`. Idempotent. */
  close(): Promise<void>;
}
