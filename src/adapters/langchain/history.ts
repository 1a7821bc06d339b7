import { randomUUID } from 'node:crypto';
import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import type { BaseMessage } from '@langchain/core/messages';
import {
  checkSessionKey,
  type Event,
  InvalidArgumentError,
  isAgentSessionsError,
  newSession,
  readCallerValue,
  type Session,
  type SessionKey,
  type SessionService,
} from '../../index.js';
import { checkStorable } from './check-storable.js';
import { eventsToMessages, messageToEvent } from './message-event.js';
import { type SummaryContextOptions, summaryContext } from './summary-context.js';
import { cleanWindowStart } from './window.js';

/** PostgreSQL's LIMIT is an int4: a page this large is the whole history. */
const WHOLE_HISTORY = 2_147_483_647;

/** How one history maps to a session, and how it is read. */
export interface AgentSessionsChatMessageHistoryOptions {
  /** Any backend: `InMemorySessionService`, `PostgresSessionService` (server or PGlite). */
  service: SessionService;
  /** The session's app name (one per application or agent). */
  appName: string;
  /** The session's user id (the end user the conversation belongs to). */
  userId: string;
  /** The session id: the `sessionId` RunnableWithMessageHistory hands to its history factory. */
  sessionId: string;
  /** The `author` of stored AI messages and tool results, as a Go service sees it. Default `assistant`. */
  agentName?: string;
  /**
   * Read only the newest `limit` stored messages, moved forward past any tool result whose call
   * was cut off (see docs/adapters/langchain.md). Default: the whole history.
   */
  limit?: number;
}

/**
 * A LangChain chat message history kept in an agent-sessions store: one history is one session
 * (`appName`, `userId`, `sessionId`), one message is one event, in the store's own order. Messages
 * come back as the classes they were saved as, with every field. The session is created on the
 * first write, once even when two requests race.
 *
 * ```ts
 * const chain = new RunnableWithMessageHistory({
 *   runnable: prompt.pipe(model),
 *   getMessageHistory: (sessionId) =>
 *     new AgentSessionsChatMessageHistory({ service, appName: 'support', userId, sessionId }),
 *   inputMessagesKey: 'input',
 *   historyMessagesKey: 'history',
 * });
 * ```
 */
export class AgentSessionsChatMessageHistory extends BaseListChatMessageHistory {
  lc_namespace = ['agent_sessions', 'langchain'];

  readonly #service: SessionService;
  readonly #key: SessionKey;
  readonly #agent: string;
  readonly #limit: number | undefined;

  constructor(options: AgentSessionsChatMessageHistoryOptions) {
    super();
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'must be { service, appName, userId, sessionId }');
    if (options.service === null || typeof options.service !== 'object')
      throw new InvalidArgumentError('options.service', 'must be a SessionService');
    const key = { appName: options.appName, userId: options.userId, sessionId: options.sessionId };
    checkSessionKey(key);
    const agent = options.agentName ?? 'assistant';
    if (typeof agent !== 'string' || agent === '')
      throw new InvalidArgumentError('options.agentName', 'must be a non-empty string');
    const limit = options.limit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
      throw new InvalidArgumentError('options.limit', 'must be an integer >= 1');
    this.#service = options.service;
    this.#key = key;
    this.#agent = agent;
    this.#limit = limit;
  }

  /** The session this history is stored in. */
  get sessionKey(): SessionKey {
    return { ...this.#key };
  }

  /** The stored messages, oldest first (`[]` before the first write); windowed when `limit` is set. */
  async getMessages(): Promise<BaseMessage[]> {
    if (this.#limit === undefined) {
      const session = await this.#read(WHOLE_HISTORY);
      return session ? eventsToMessages(session.events) : [];
    }
    // One message more than the window: the one before it tells whether the window starts clean.
    const session = await this.#read(this.#limit + 1);
    if (!session) return [];
    // A Go service's event may hold several messages (the results of parallel calls).
    const messages = eventsToMessages(session.events);
    if (messages.length <= this.#limit) return messages;
    const first = messages.length - this.#limit;
    return cleanWindowStart(messages.slice(first), messages[first - 1]);
  }

  /**
   * What to give the model when the history is long: the session's latest summary (as a
   * SystemMessage by default), then the messages stored after the summary's boundary; every
   * message when there is no summary yet. Summaries are made by the service's summarizer
   * (`createSessionSummary` / `enqueueSummaryJob`).
   */
  async getContextMessages(options: SummaryContextOptions = {}): Promise<BaseMessage[]> {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'must be an object');
    const read = readCallerValue('options', () => ({ ...options }));
    if (read.filterKey !== undefined && typeof read.filterKey !== 'string')
      throw new InvalidArgumentError('options.filterKey', 'must be a string');
    const session = await this.#read(WHOLE_HISTORY);
    return session ? summaryContext(session, read) : [];
  }

  /** Stores one message. */
  async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  /**
   * Stores the messages in order, all or none (one `appendEvents`): an AI message with tool calls
   * and the tool results saved with it are never stored one without the other. Every message is
   * checked before anything is written; what PostgreSQL cannot hold (a NUL character, a lone
   * surrogate) is refused with an INVALID_ARGUMENT error naming the message and field.
   */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    const list = readCallerValue('messages', () => (Array.isArray(messages) ? [...messages] : undefined));
    if (!list) throw new InvalidArgumentError('messages', 'must be an array of messages');
    if (list.length === 0) return;
    const invocationId = randomUUID();
    const now = new Date();
    const authors = { agent: this.#agent };
    const events = list.map((message, i) => {
      const field = `messages[${i}]`;
      if (message === null || typeof message !== 'object')
        throw new InvalidArgumentError(field, 'must be a LangChain message');
      // A getter or Proxy trap of the caller's that throws is refused naming the message.
      const event = readCallerValue(field, () => messageToEvent(message, field, authors, invocationId, now));
      checkStorable(message, field);
      return event;
    });
    await this.#append(events);
  }

  /** Removes every message; the session, its state and its tracks stay. */
  override async clear(): Promise<void> {
    try {
      await this.#service.clearEvents(this.#key);
    } catch (error) {
      // A history never written to has nothing to clear.
      if (!isAgentSessionsError(error, 'NOT_FOUND')) throw error;
    }
  }

  /** The session with its newest `count` events, unanchored and not cut to the service's event limit. */
  #read(count: number): Promise<Session | null> {
    return this.#service.getSession(this.#key, { eventPage: { offset: 0, limit: count } });
  }

  /**
   * Appends to the session, creating it on first use. The append goes to a scratch copy of the
   * session (the history keeps no events in memory); when the session does not exist yet, it is
   * created and the append made again. Two first writes racing both try to create: the database
   * lets one win, the other's CONFLICT just means the session is there now.
   */
  async #append(events: Event[]): Promise<void> {
    try {
      await this.#service.appendEvents(this.#scratch(), events);
      return;
    } catch (error) {
      if (!isAgentSessionsError(error, 'NOT_FOUND')) throw error;
    }
    try {
      await this.#service.createSession(this.#key);
    } catch (error) {
      if (!isAgentSessionsError(error, 'CONFLICT')) throw error;
    }
    // Stamped again: an event must not be older than the session that holds it (a summary's
    // boundary is an event's time, and one from before the session's creation is not read back).
    const now = new Date();
    for (const event of events) event.timestamp = now;
    await this.#service.appendEvents(this.#scratch(), events);
  }

  #scratch(): Session {
    return newSession(this.#key, new Date());
  }
}
