import type { UIMessage } from 'ai';
import { InvalidArgumentError, readCallerValue, type SessionService } from '../../index.js';
import { ChatHistory, type SaveResult } from './chat-history.js';
import { type ChatKey, sessionKeyOf } from './chat-key.js';
import { WHOLE_CHAT } from './chat-session.js';
import { foldMessages, lastMessages } from './history.js';
import type { Authors, UIMessageLike } from './stored-message.js';

export interface UIMessageStoreOptions {
  /** Any backend: `InMemorySessionService`, `PostgresSessionService` (server or PGlite). */
  service: SessionService;
  /** The session app name every chat of this store lives under. */
  appName: string;
  /** The `author` of stored assistant messages, as a Go service sees it (its agent name). Default `assistant`. */
  assistantAuthor?: string;
}

export interface OpenChatOptions {
  /**
   * Return only the chat's last `limit` messages (in the order the whole chat has them), from the
   * first user message among them (see docs/adapters/ai-sdk.md). The whole chat is still read: a
   * message's position is that of its first stored version, which can lie anywhere before the
   * newest versions. Default: every message.
   */
  limit?: number;
}

/**
 * Loads and saves AI SDK chats (`UIMessage[]`) in a session store: one chat is one session, one
 * message version is one event. Use it the way the AI SDK's persistence guide does: read the chat
 * before `streamText`, save in `onFinish`.
 *
 * ```ts
 * const chat = await chats.open({ userId, chatId: id });
 * const messages = await validateUIMessages({ messages: [...chat.messages, message], tools });
 * const result = streamText({ model, tools, messages: await convertToModelMessages(messages) });
 * return result.toUIMessageStreamResponse({
 *   originalMessages: messages,
 *   generateMessageId: createIdGenerator(),
 *   onFinish: ({ messages }) => chat.save(messages),
 * });
 * ```
 */
export class UIMessageStore<M extends UIMessageLike = UIMessage> {
  readonly #service: SessionService;
  readonly #appName: string;
  readonly #authors: Authors;

  constructor(options: UIMessageStoreOptions) {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'must be { service, appName }');
    if (options.service === null || typeof options.service !== 'object')
      throw new InvalidArgumentError('options.service', 'must be a SessionService');
    if (typeof options.appName !== 'string' || options.appName === '')
      throw new InvalidArgumentError('options.appName', 'must be a non-empty string');
    const assistant = options.assistantAuthor ?? 'assistant';
    if (typeof assistant !== 'string' || assistant === '')
      throw new InvalidArgumentError('options.assistantAuthor', 'must be a non-empty string');
    this.#service = options.service;
    this.#appName = options.appName;
    this.#authors = { assistant };
  }

  /** Reads a chat (empty when it is not stored yet, which does not create it) to save into later. */
  async open(chat: ChatKey, options: OpenChatOptions = {}): Promise<ChatHistory<M>> {
    const key = sessionKeyOf(this.#appName, chat);
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'must be an object');
    const limit = readCallerValue('options.limit', () => options.limit);
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
      throw new InvalidArgumentError('options.limit', 'must be an integer >= 1');
    const session = await this.#service.getSession(key, WHOLE_CHAT);
    const chatMessages = session ? foldMessages<M>(session.events) : [];
    const messages = limit === undefined ? chatMessages : lastMessages(chatMessages, limit);
    return new ChatHistory<M>(this.#service, key, this.#authors, session ?? undefined, messages);
  }

  /** The chat's messages, oldest first (`[]` for a chat not stored yet). */
  async load(chat: ChatKey, options: OpenChatOptions = {}): Promise<M[]> {
    return (await this.open(chat, options)).messages;
  }

  /**
   * Stores the new and changed messages of a whole list, compared with the chat as stored now (for
   * routes that receive the whole list from the client and read nothing before). A route that
   * reads the chat first should save through {@link ChatHistory.save}: it compares with what that
   * request read, so it never writes back a message another request changed meanwhile.
   */
  async save(chat: ChatKey, messages: readonly M[]): Promise<void> {
    await this.saveChanges(chat, messages);
  }

  /** {@link UIMessageStore.save}, resolving to the ids of the messages it wrote. */
  async saveChanges(chat: ChatKey, messages: readonly M[]): Promise<SaveResult> {
    return (await this.open(chat)).saveChanges(messages);
  }

  /** Removes messages from a chat by id; see {@link ChatHistory.remove}. */
  async remove(chat: ChatKey, messageIds: readonly string[]): Promise<void> {
    // A removal needs the chat's session, not its messages: the smallest read there is.
    const key = sessionKeyOf(this.#appName, chat);
    const session = await this.#service.getSession(key, { eventPage: { offset: 0, limit: 1 } });
    return new ChatHistory<M>(this.#service, key, this.#authors, session ?? undefined, []).remove(messageIds);
  }
}
