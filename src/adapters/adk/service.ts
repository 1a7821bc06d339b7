import {
  type Event as AdkEvent,
  type Session as AdkSession,
  type AppendEventRequest,
  BaseSessionService,
  type CreateSessionRequest,
  type DeleteSessionRequest,
  type GetSessionRequest,
  type ListSessionsRequest,
  type ListSessionsResponse,
  trimTempDeltaState,
} from '@google/adk';
import {
  type Session as CoreSession,
  FULL_SESSION_FILTER_KEY,
  InvalidArgumentError,
  isAgentSessionsError,
  isUserMessage,
  readCallerValue,
  type SessionKey,
  type SessionService,
  type StateMap,
} from '../../index.js';
import { checkAdkEvent, fromStoredEvent, toStoredEvent } from './event-codec.js';
import { pageSessions } from './list.js';
import { readGetSessionConfig } from './read-options.js';
import { hasKeys, readAdkState, splitAdkState } from './state.js';
import { type AdkSummaryContext, summaryContextOf } from './summary.js';
import { dedupeById, dropCutOffResponses, startsWithResponses } from './window.js';

/** Options of {@link AdkSessionService}. */
export interface AdkSessionServiceOptions {
  /**
   * Wait for the store's queued writes (`flush()`) before each getSession, so a session read right
   * after a turn holds that turn's events even when the store persists asynchronously. A sync
   * store's flush costs nothing. Default true; false reads what is already stored.
   */
  readYourWrites?: boolean;
  /**
   * Give the runner "latest summary + the events after it" instead of the whole history: a
   * getSession without config returns, when the session has a summary, a first user event holding
   * it followed by the events after its boundary (as {@link AdkSessionService.getSummaryContext}). Summaries are
   * written by the store's summarizer ({@link AdkSessionService.summarize} or its own triggers).
   * Default false.
   */
  useSummaries?: boolean;
  /**
   * The most events a getSession without config returns (default 1000, the store's default
   * `sessionEventLimit`): a session holding at most this many comes back whole, as ADK's own
   * services return it; a longer one as its newest `historyLimit` events from the first user
   * message among them (or with the user message before them), as the store's window starts.
   */
  historyLimit?: number;
}

const DEFAULT_HISTORY_LIMIT = 1000;

/** A read of a session, and whether its events are the whole session (undefined: not known). */
interface Loaded {
  session: CoreSession;
  whole?: boolean;
}

/**
 * ADK's `BaseSessionService` on an agent-sessions store (in-memory, PGlite or PostgreSQL, sync or
 * async): hand it to ADK's `Runner` as `sessionService`.
 *
 * Identity is one to one: ADK's appName, userId and session id are the store's appName, userId and
 * sessionId. Each ADK event is one stored event (its Go-visible fields, and the event, without what
 * those fields hold exactly, under {@link ADK_EXTENSION_KEY} in `extensions`, which a plain message
 * the Go fields hold whole does without); ADK state maps onto
 * the store's scopes: session keys on the session, `app:` and `user:` keys in the shared app and
 * user state (read back at every getSession), `temp:` keys never stored.
 */
export class AdkSessionService extends BaseSessionService {
  readonly #store: SessionService;
  readonly #readYourWrites: boolean;
  readonly #useSummaries: boolean;
  readonly #historyLimit: number;

  constructor(store: SessionService, options: AdkSessionServiceOptions = {}) {
    super();
    if (store === null || typeof store !== 'object')
      throw new InvalidArgumentError('store', 'must be a SessionService');
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'must be an object');
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1 || historyLimit >= 2_147_483_647)
      throw new InvalidArgumentError('options.historyLimit', 'must be an integer from 1 to 2147483646');
    this.#store = store;
    this.#readYourWrites = options.readYourWrites ?? true;
    this.#useSummaries = options.useSummaries ?? false;
    this.#historyLimit = historyLimit;
  }

  /** The store this service writes to (for its summaries, state API, flush and close). */
  get store(): SessionService {
    return this.#store;
  }

  /**
   * Creates a session. A live session with the same id is a CONFLICT error (as ADK's database
   * service, not its in-memory one, which overwrites). Initial `app:`/`user:` keys go to the shared
   * state, as ADK's database service does; `temp:` keys are dropped.
   */
  async createSession(createRequest: CreateSessionRequest): Promise<AdkSession> {
    const request = requestArg(createRequest);
    const { appName, userId } = request;
    const scoped = readCallerValue('state', () => splitAdkState('state', request.state));
    const created = await this.#store.createSession(
      { appName, userId, ...(request.sessionId ? { sessionId: request.sessionId } : {}) },
      scoped.session,
    );
    await this.#writeShared(appName, userId, scoped);
    // The shared values just written are the newest: they win over what the create read.
    const state = { ...created.state };
    for (const [key, value] of Object.entries(scoped.app)) state[`app:${key}`] = value;
    for (const [key, value] of Object.entries(scoped.user)) state[`user:${key}`] = value;
    return toAdkSession({ ...created, state }, []);
  }

  /**
   * The session, or undefined. Without a config, every event when the session holds at most
   * `historyLimit` (as ADK's services return them), else the newest `historyLimit` by the store's
   * window rule. `config.numRecentEvents` (> 0) and `config.afterTimestamp` (ms, inclusive) select
   * a window by the store's rule (it starts at a user message). `numRecentEvents: 0` returns no
   * events.
   */
  async getSession(getRequest: GetSessionRequest): Promise<AdkSession | undefined> {
    const request = requestArg(getRequest);
    const key = sessionKey(request);
    const read = readCallerValue('config', () => readGetSessionConfig(request.config));
    if (this.#readYourWrites) await this.#store.flush();
    const loaded = request.config
      ? await this.#store
          .getSession(key, read.options)
          .then((session): Loaded | null => session && { session })
      : await this.#readAll(key);
    if (!loaded) return undefined;
    const { session } = loaded;
    if (this.#useSummaries && !request.config) {
      return { ...toAdkSession(session, []), events: summaryContextOf(session).events };
    }
    const events = dedupeById(read.withEvents ? session.events.map(fromStoredEvent) : []);
    return toAdkSession(session, await this.#forModel(key, events, loaded.whole));
  }

  /**
   * Drops the function responses at the head of the events when the read cut the history before
   * them (their calls may be in what was cut); a read that returned the whole session keeps every
   * event, as ADK's services do. A window read does not say whether it holds the whole session, so
   * only a window starting with such responses (rare) costs a second read, of one page of at most
   * the window's size + 1, to count the session's events.
   */
  async #forModel(key: SessionKey, events: AdkEvent[], whole: boolean | undefined): Promise<AdkEvent[]> {
    if (!startsWithResponses(events)) return events;
    if (whole ?? (await this.#holdsAtMost(key, events.length))) return events;
    return dropCutOffResponses(events);
  }

  /** Whether the session holds at most `count` stored events (the events of a window read). */
  async #holdsAtMost(key: SessionKey, count: number): Promise<boolean> {
    const page = await this.#store.getSession(key, { eventPage: { offset: 0, limit: count + 1 } });
    return page !== null && page.events.length <= count;
  }

  /**
   * The session with every event when it holds at most `historyLimit`: a page, which the store
   * does not anchor at a user message, so events before the first one (an agent's greeting, a
   * state change) are kept. A longer session comes back as its newest `historyLimit` events from
   * the first user message among them, or with the user message just before them when they hold
   * none, as the store's window does; both are read from the same page of `historyLimit` + 1, so
   * a chat that outgrew the limit costs one read per turn, not two. Only when neither holds a user
   * message does the store's window read reach further back.
   */
  async #readAll(key: SessionKey): Promise<Loaded | null> {
    const limit = this.#historyLimit;
    const page = await this.#store.getSession(key, { eventPage: { offset: 0, limit: limit + 1 } });
    if (!page) return null;
    if (page.events.length <= limit) return { session: page, whole: true };
    const newest = page.events.slice(1);
    const firstUser = newest.findIndex(isUserMessage);
    if (firstUser >= 0) return { session: { ...page, events: newest.slice(firstUser) }, whole: false };
    if (isUserMessage(page.events[0]!)) return { session: page, whole: false };
    const window = await this.#store.getSession(key, { eventNum: limit });
    return window && { session: window, whole: false };
  }

  /**
   * The session's latest summary and the events after it, as ADK events (undefined when the
   * session does not exist): the context to give a model when the whole history is too long.
   */
  async getSummaryContext(request: GetSessionRequest): Promise<AdkSummaryContext | undefined> {
    const key = sessionKey(request);
    if (this.#readYourWrites) await this.#store.flush();
    const session = await this.#store.getSession(key);
    return session ? summaryContextOf(session) : undefined;
  }

  /**
   * Summarizes the session now with the store's summarizer (a no-op without one); `force`
   * summarizes even when the summarizer's own check says it is not worth it yet.
   */
  async summarize(request: GetSessionRequest, force = false): Promise<void> {
    const key = sessionKey(request);
    if (this.#readYourWrites) await this.#store.flush();
    const session = await this.#store.getSession(key);
    if (session) await this.#store.createSessionSummary(session, FULL_SESSION_FILTER_KEY, force);
  }

  /**
   * The session, created when missing. Race-free: when two first requests create the same session
   * at once, the store lets one create it and the other reads what it created.
   */
  override async getOrCreateSession(createRequest: CreateSessionRequest): Promise<AdkSession> {
    const request = requestArg(createRequest);
    if (!request.sessionId) return this.createSession(request);
    const existing = await this.getSession(sessionKey({ ...request, sessionId: request.sessionId }));
    if (existing) return existing;
    try {
      return await this.createSession(request);
    } catch (error) {
      if (!isAgentSessionsError(error, 'CONFLICT')) throw error;
      const winner = await this.getSession(sessionKey({ ...request, sessionId: request.sessionId }));
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * One user's sessions, without events, state merged. `userId` is required: the store lists one
   * user's sessions (there is no cross-user listing). The user's whole list (metadata only) is
   * read to count `totalItems`, then paged as ADK pages.
   */
  async listSessions(request: ListSessionsRequest): Promise<ListSessionsResponse> {
    if (request === null || typeof request !== 'object')
      throw new InvalidArgumentError('request', 'is required');
    if (request.userId === undefined)
      throw new InvalidArgumentError('userId', 'is required (sessions are listed per user)');
    const sessions = await this.#store.listSessions(
      { appName: request.appName, userId: request.userId },
      { onlyMeta: true },
    );
    return pageSessions(
      sessions.map((session) => toAdkSession(session, [])),
      request,
    );
  }

  /** Deletes the session with its events; a missing one is not an error. */
  async deleteSession(request: DeleteSessionRequest): Promise<void> {
    await this.#store.deleteSession(sessionKey(request));
  }

  /**
   * Stores the event (a partial, streaming event is not stored, as in ADK), then updates the given
   * session as ADK does: events (an event with a known id replaces it), state (temp: keys dropped),
   * and `lastUpdateTime`, the store's update time. When the store refuses the event (a missing
   * session, a value it cannot hold) the session object is left as it was.
   */
  override async appendEvent(appendRequest: AppendEventRequest): Promise<AdkEvent> {
    const { session, event } = requestArg(appendRequest);
    if (event?.partial) return event;
    if (session === null || typeof session !== 'object')
      throw new InvalidArgumentError('session', 'is required');
    checkAdkEvent(event);
    trimTempDeltaState(event);
    const scoped = splitAdkState('event.actions.stateDelta', event.actions?.stateDelta);
    const stored = toStoredEvent(event, scoped.session);
    const target = storeSessionOf(session);
    await this.#store.appendEvent(target, stored);
    await this.#writeShared(session.appName, session.userId, scoped);
    await this.#applyToSession(session, event);
    session.lastUpdateTime = target.updatedAt.getTime();
    return event;
  }

  /**
   * What ADK's `BaseSessionService.appendEvent` does to the session once the event is stored: ADK
   * applies the state delta to `session.state` (its own rules, through a view of the session
   * without events), and the event replaces the one with its id or is appended here. ADK's own
   * lookup is a findIndex callback reading `id` from every event, and as each createEvent event
   * has a shape of its own that read cost about 70 µs per append over a 1,000-event session,
   * against a few for this loop.
   */
  async #applyToSession(session: AdkSession, event: AdkEvent): Promise<void> {
    await super.appendEvent({ session: { ...session, events: [] }, event });
    const index = indexOfEvent(session.events, event.id);
    if (index >= 0) session.events[index] = event;
    else session.events.push(event);
  }

  async #writeShared(appName: string, userId: string, scoped: { app: StateMap; user: StateMap }) {
    if (hasKeys(scoped.app)) await this.#store.updateAppState(appName, scoped.app);
    if (hasKeys(scoped.user)) await this.#store.updateUserState({ appName, userId }, scoped.user);
  }
}

/** The first event with this id, as ADK's base appendEvent finds the one to replace; -1 if none. */
function indexOfEvent(events: readonly AdkEvent[], id: string): number {
  for (let i = 0; i < events.length; i++) if (events[i]!.id === id) return i;
  return -1;
}

function sessionKey(request: { appName: string; userId: string; sessionId: string }): SessionKey {
  const r = requestArg(request);
  return { appName: r.appName, userId: r.userId, sessionId: r.sessionId };
}

/**
 * A caller's request object, checked and copied: null is refused, and a getter or Proxy trap of
 * the caller's that throws is refused naming the request, never escaping as a bare error.
 */
function requestArg<T extends object>(request: T): T {
  if (request === null || typeof request !== 'object')
    throw new InvalidArgumentError('request', 'is required');
  return readCallerValue('request', () => ({ ...request }));
}

/** The ADK session of a store session, with `events` (ADK events, ready for the model). */
function toAdkSession(session: CoreSession, events: AdkEvent[]): AdkSession {
  return {
    id: session.id,
    appName: session.appName,
    userId: session.userId,
    state: readAdkState(session.state),
    events,
    lastUpdateTime: session.updatedAt.getTime(),
  };
}

/**
 * The store's appendEvent applies the event to a store session; the adapter keeps ADK's session
 * object itself, so it hands the store a bare one carrying only the key (and reads back the
 * update time the store gives it).
 */
function storeSessionOf(session: AdkSession): CoreSession {
  const now = new Date(session.lastUpdateTime || 0);
  return {
    id: session.id,
    appName: session.appName,
    userId: session.userId,
    state: Object.create(null) as StateMap,
    events: [],
    tracks: {},
    summaries: {},
    createdAt: now,
    updatedAt: now,
  };
}
