/**
 * AgentSessionsSession: the OpenAI Agents SDK's `Session` (conversation memory for
 * `run(agent, input, { session })`) on any agent-sessions SessionService.
 */
import type {
  AgentInputItem,
  Session as AgentsSession,
  SessionHistoryRewriteArgs,
  SessionHistoryRewriteAwareSession,
  SessionHistoryTransactionArgs,
  SessionHistoryTransactionAwareSession,
} from '@openai/agents-core';
import {
  checkSessionKey,
  InvalidArgumentError,
  isAgentSessionsError,
  newSession,
  type Session,
  type SessionKey,
  type SessionService,
  type StateMap,
} from '../../index.js';
import { applyMutations, popNewestItem, replaceAll } from './history.js';
import type { HistoryStore } from './history-read.js';
import { applyTransaction, OPERATION_KEY_PREFIX } from './history-transaction.js';
import { eventsOf, itemsOfEvents, stampAgain } from './item-event.js';
import { type StateValues, stateValues, writeStateValues } from './state.js';
import { itemsWithSummary, type SummaryContextOptions } from './summary.js';
import { modelWindow } from './window.js';

const DEFAULT_HISTORY_LIMIT = 1000;

/** Options of {@link AgentSessionsSession}. */
export interface AgentSessionsSessionOptions {
  /** The store: InMemorySessionService, PostgresSessionService, or any SessionService. */
  service: SessionService;
  /** The application the conversation belongs to (trpc-agent-go's app name). */
  appName: string;
  /** The end user the conversation belongs to. */
  userId: string;
  /**
   * The conversation's id, which `getSessionId()` returns; a UUID v4 is generated when absent.
   * The store session is `{ appName, userId, sessionId }`; it is created on the first write.
   */
  sessionId?: string;
  /** Session state the session starts with, when this object's first write creates it. */
  initialState?: StateMap;
  /** The `author` of the events of the model's items (default `assistant`). */
  author?: string;
  /**
   * The most items `getItems()` returns (the newest; default 1000, the store's default
   * `sessionEventLimit`); `getItems(n)` returns at most `min(n, historyLimit)`.
   */
  historyLimit?: number;
  /**
   * Feed the model the session's latest summary instead of what it covers, as trpc-agent-go does:
   * `getItems()` returns a message holding the summary, then the items stored after the summary's
   * boundary (see {@link itemsWithSummary}); without a summary, what it returns anyway. The runner
   * takes that as the history, so the summary message reaches the model on every turn and is
   * never stored. `true` for the defaults, or which summary and how the message reads.
   */
  useSummaries?: boolean | Omit<SummaryContextOptions, 'historyLimit'>;
}

/** The summary context options of `useSummaries`, checked; undefined when it is off. */
function summaryOptions(value: unknown): Omit<SummaryContextOptions, 'historyLimit'> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError(
      'options.useSummaries',
      'must be a boolean or { filterKey, role, preamble }',
    );
  }
  const { filterKey, role, preamble } = value as SummaryContextOptions;
  if (filterKey !== undefined && typeof filterKey !== 'string')
    throw new InvalidArgumentError('options.useSummaries.filterKey', 'must be a string');
  if (role !== undefined && role !== 'system' && role !== 'user')
    throw new InvalidArgumentError('options.useSummaries.role', "must be 'system' or 'user'");
  if (preamble !== undefined && typeof preamble !== 'string')
    throw new InvalidArgumentError('options.useSummaries.preamble', 'must be a string');
  return { filterKey, role, preamble };
}

/**
 * A `Session` of `@openai/agents-core` whose items are events of an agent-sessions store, one
 * event per item, with the item kept whole (so `getItems` returns what `addItems` was given) and
 * its text, tool calls and tool results in the fields a trpc-agent-go service reads.
 *
 * - With `useSummaries`, `getItems()` returns the latest summary as a message, then the items
 *   stored after its boundary (the runner sends that to the model and stores nothing of it).
 * - `getItems()` returns the newest `historyLimit` items (default 1000), `getItems(n)` the newest
 *   `n` (none for `n <= 0`), in store order; a window that does not reach the conversation's start is moved forward,
 *   if needed, so that it starts neither with a tool result whose call was cut off nor in the
 *   middle of one model response (so it may hold fewer items than asked).
 * - `addItems(items)` stores the items as one atomic write: all of them, contiguous, or none.
 * - `popItem()` removes and returns the newest item atomically; `undefined` when there is none.
 * - `clearSession()` removes every item (and the session's summaries), keeping the session and
 *   its state.
 * - `replaceHistoryWithCompaction(items)` replaces the whole history with `items` in one atomic
 *   write, keeping the session and its state.
 * - `applyHistoryMutations({ mutations })` replaces the stored `function_call` of a call id.
 * - `applyHistoryTransaction({ operationId, transaction })` appends, or replaces the stored
 *   suffix when it is the expected one, atomically and once per operation id.
 *
 * The store session is created on the first write, once even when two requests race for it;
 * reads of a session never written return no items.
 *
 * @example
 * ```ts
 * const session = new AgentSessionsSession({ service, appName: 'support', userId: 'u1', sessionId: 'chat-42' });
 * const result = await run(agent, 'What is the weather in Paris?', { session });
 * ```
 */
export class AgentSessionsSession
  implements AgentsSession, SessionHistoryRewriteAwareSession, SessionHistoryTransactionAwareSession
{
  readonly #service: SessionService;
  readonly #key: SessionKey;
  readonly #initialState: StateMap | undefined;
  readonly #author: string;
  readonly #historyLimit: number;
  readonly #summaries: Omit<SummaryContextOptions, 'historyLimit'> | undefined;

  constructor(options: AgentSessionsSessionOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('options', 'must be an object');
    }
    if (options.service === null || typeof options.service !== 'object') {
      throw new InvalidArgumentError('options.service', 'must be a SessionService');
    }
    const sessionId = options.sessionId ?? globalThis.crypto.randomUUID();
    this.#key = { appName: options.appName, userId: options.userId, sessionId };
    checkSessionKey(this.#key);
    if (options.author !== undefined && (typeof options.author !== 'string' || options.author === '')) {
      throw new InvalidArgumentError('options.author', 'must be a non-empty string');
    }
    this.#service = options.service;
    this.#initialState = options.initialState;
    this.#author = options.author ?? 'assistant';
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(historyLimit) || historyLimit < 1) {
      throw new InvalidArgumentError('options.historyLimit', 'must be a positive integer');
    }
    this.#historyLimit = historyLimit;
    this.#summaries = summaryOptions(options.useSummaries);
  }

  /** The store key of this conversation. */
  get key(): SessionKey {
    return { ...this.#key };
  }

  async getSessionId(): Promise<string> {
    return this.#key.sessionId;
  }

  /**
   * The conversation's items, oldest first: the newest `historyLimit`, or the newest
   * `min(limit, historyLimit)` when `limit` is given.
   */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && !Number.isInteger(limit)) {
      throw new InvalidArgumentError('limit', 'must be an integer');
    }
    // As the SDK's MemorySession: a limit of 0 or less asks for nothing.
    const count = limit === undefined ? this.#historyLimit : Math.min(limit, this.#historyLimit);
    if (count <= 0) return [];
    if (this.#summaries) {
      return itemsWithSummary(this.#service, this.#key, { ...this.#summaries, historyLimit: count });
    }
    // One event more than asked: it tells whether the window would split a response. A page is
    // read, not the store's user-anchored window, so items are never dropped for coming before
    // the first user message.
    const page = { offset: 0, limit: count + 1 };
    const session = await this.#service.getSession(this.#key, { eventPage: page });
    if (!session) return [];
    const items = itemsOfEvents(session.events);
    const previous = items.length > count ? items.slice(0, items.length - count) : [];
    const newest = items.slice(previous.length);
    return modelWindow(newest, previous.at(-1)) as AgentInputItem[];
  }

  async addItems(items: AgentInputItem[]): Promise<void> {
    const events = eventsOf(items, 'items', this.#author);
    if (events.length === 0) return;
    try {
      await this.#service.appendEvents(this.#handle(), events);
    } catch (error) {
      if (!isAgentSessionsError(error, 'NOT_FOUND')) throw error;
      await this.#create();
      stampAgain(events);
      await this.#service.appendEvents(this.#handle(), events);
    }
  }

  async popItem(): Promise<AgentInputItem | undefined> {
    return (await popNewestItem(this.#history())) as AgentInputItem | undefined;
  }

  async clearSession(): Promise<void> {
    try {
      await this.#service.clearEvents(this.#key);
    } catch (error) {
      if (!isAgentSessionsError(error, 'NOT_FOUND')) throw error;
    }
  }

  /**
   * Replaces the whole history with `items` (the runner's compaction item and what it keeps) in
   * one atomic write (`SessionService.replaceEvents`): a reader sees the old history or the new
   * one. The session, its id and its state stay; its summaries go with the replaced items.
   */
  async replaceHistoryWithCompaction(items: AgentInputItem[]): Promise<void> {
    await replaceAll(this.#history(), items);
  }

  /**
   * Applies `replace_function_call` mutations as the SDK's reference session does: the first
   * stored `function_call` with the call id is replaced, later ones with that id are removed. The
   * events from the first changed one to the newest are rewritten in one atomic write, checked
   * against the read it was made from (retried on a concurrent write); the unchanged ones are
   * stored again as they were. A call id not stored changes nothing.
   */
  async applyHistoryMutations(args: SessionHistoryRewriteArgs): Promise<void> {
    await applyMutations(this.#history(), args);
  }

  /**
   * Appends items (`append_items`), or replaces the newest stored items when they are the
   * transaction's `expectedSuffix` (`replace_suffix`), in one atomic write that also records the
   * operation id in the session's state. Retrying the same operation id with the same
   * transaction succeeds without applying it again; a different transaction under a recorded id,
   * or a suffix that is not the stored one, fails with `CONFLICT` and changes nothing.
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    await applyTransaction(this.#history(), args);
  }

  /**
   * The conversation's state in the store's scopes, as JSON values: the session's own keys, and
   * the app's and the user's under `app:` and `user:` (what a run's context may be built from).
   * Before the session's first write, only the app and user values.
   */
  async getState(): Promise<StateValues> {
    const session = await this.#service.getSession(this.#key, { eventPage: { offset: 0, limit: 1 } });
    if (session) return stateValues(withoutOperations(session.state));
    const { appName, userId } = this.#key;
    const [app, user] = await Promise.all([
      this.#service.listAppStates(appName),
      this.#service.listUserStates({ appName, userId }),
    ]);
    const prefixed: StateMap = {};
    for (const [k, v] of Object.entries(app)) prefixed[`app:${k}`] = v;
    for (const [k, v] of Object.entries(user)) prefixed[`user:${k}`] = v;
    return stateValues(prefixed);
  }

  /**
   * Writes state values (JSON) to their scopes: `app:` keys are shared by every session of the
   * app, `user:` keys by every session of the user, other keys belong to this session (created
   * if it does not exist yet); `temp:` keys are never stored, and `undefined` values are skipped.
   */
  async updateState(values: StateValues): Promise<void> {
    if (values === null || typeof values !== 'object' || Array.isArray(values)) {
      throw new InvalidArgumentError('values', 'must be an object of state values');
    }
    await writeStateValues(this.#service, this.#key, values, () => this.#create());
  }

  /** What the history rewrites need of this session. */
  #history(): HistoryStore {
    return { service: this.#service, key: this.#key, author: this.#author, create: () => this.#create() };
  }

  /** A Session object to append through: the key is all the store needs of it. */
  #handle(): Session {
    return newSession(this.#key, new Date());
  }

  /** Creates the store session; a session another request created first is just as good. */
  async #create(): Promise<void> {
    try {
      await this.#service.createSession({ ...this.#key }, this.#initialState);
    } catch (error) {
      if (!isAgentSessionsError(error, 'CONFLICT')) throw error;
    }
  }
}

/** A state map without the history transactions' operation records (the adapter's own keys). */
function withoutOperations(state: StateMap): StateMap {
  const out: StateMap = {};
  for (const [key, value] of Object.entries(state)) {
    if (!key.startsWith(OPERATION_KEY_PREFIX))
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
