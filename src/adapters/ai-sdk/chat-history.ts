import { InvalidArgumentError, type Session, type SessionKey, type SessionService } from '../../index.js';
import { sessionForWrite } from './chat-session.js';
import { checkMessages, checkStorable } from './check-messages.js';
import { sameJson } from './same-json.js';
import { type Authors, messageEvent, removalEvent, type UIMessageLike } from './stored-message.js';
import { type SummarizedChat, summarizeChat } from './summary.js';

/** What a save wrote. */
export interface SaveResult {
  /** The ids of the messages stored by this save (new, or changed since the chat was read). */
  written: string[];
}

/**
 * One chat as a request read it: its messages, and the means to save the request's outcome.
 * Saving compares each message with the version this request read (or last saved) and stores only
 * the new and changed ones, each as a new version of its id; unchanged messages are not written.
 * Because the comparison is with what this request saw, a message another request changed in the
 * meantime is left alone unless this request changed it too (then the later save wins, per message),
 * and messages another request added are never lost: nothing is overwritten or deleted by a save.
 */
export class ChatHistory<M extends UIMessageLike> {
  /** The chat's messages when it was read, oldest first: `[]` for a chat not stored yet. */
  readonly messages: M[];
  readonly #service: SessionService;
  readonly #key: SessionKey;
  readonly #authors: Authors;
  /**
   * Each message as this request read or last saved it: the very objects `messages` holds (no
   * copy, which would cost more than the read itself on a long chat), so a message must be changed
   * by replacing it — as the AI SDK does — not by mutating it in place.
   */
  readonly #seen = new Map<string, M>();
  /** The chat as read: its events and summaries, for {@link ChatHistory.summarized}. */
  readonly #read: Pick<Session, 'events' | 'summaries' | 'createdAt'> | undefined;
  #session: Session | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal Built by {@link UIMessageStore.open}. */
  constructor(
    service: SessionService,
    key: SessionKey,
    authors: Authors,
    session: Session | undefined,
    messages: M[],
  ) {
    this.#service = service;
    this.#key = key;
    this.#authors = authors;
    this.#session = session;
    this.#read = session && {
      events: session.events.slice(),
      summaries: { ...session.summaries },
      createdAt: session.createdAt,
    };
    this.messages = messages;
    for (const message of messages) this.#seen.set(message.id, message);
  }

  /** The chat's id (the session id). */
  get chatId(): string {
    return this.#key.sessionId;
  }

  /**
   * The model's context for a long chat, as it was read: the latest full-session summary as a
   * system message, then the messages after the summary's boundary (reaching back to a user message);
   * the whole chat when it has no summary. Pass `messages` to `convertToModelMessages`, keep
   * {@link ChatHistory.messages} for the UI and for `originalMessages`.
   */
  summarized(): SummarizedChat<M> {
    if (!this.#read) return { summary: undefined, messages: [] };
    return summarizeChat<M>(this.#read.events, this.#read.summaries, this.#read.createdAt);
  }

  /**
   * Stores the new and changed messages of `messages` (typically `onFinish`'s `messages`), creating
   * the chat on first use, in one atomic write: every changed message is stored, or none is (a bad
   * message, a database failure, an append hook refusing one).
   * Saves of one ChatHistory run one after another. Resolves to nothing, so it fits `onFinish`
   * directly: `onFinish: ({ messages }) => chat.save(messages)`.
   */
  async save(messages: readonly M[]): Promise<void> {
    await this.saveChanges(messages);
  }

  /** {@link ChatHistory.save}, resolving to the ids of the messages it wrote. */
  saveChanges(messages: readonly M[]): Promise<SaveResult> {
    const run = this.#queue.then(() => this.#save(messages));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Removes messages from the chat by id (for example the assistant message a `regenerate`
   * replaces): a removal record is appended, and later loads no longer return them.
   */
  remove(messageIds: readonly string[]): Promise<void> {
    const run = this.#queue.then(() => this.#remove(messageIds));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #save(messages: readonly M[]): Promise<SaveResult> {
    checkMessages(messages);
    const changed: M[] = [];
    messages.forEach((message, i) => {
      if (sameJson(message, this.#seen.get(message.id))) return;
      checkStorable(message, `messages[${i}]`);
      changed.push(message);
    });
    if (changed.length === 0) return { written: [] };
    const session = await this.#writableSession();
    // One atomic write: a save stores all of its changed messages or none, also when the
    // database fails (or a hook refuses an event) partway through.
    const events = changed.map((message) => messageEvent(message, this.#authors, new Date()));
    await this.#service.appendEvents(session, events);
    for (const message of changed) this.#seen.set(message.id, message);
    return { written: changed.map((message) => message.id) };
  }

  async #remove(messageIds: readonly string[]): Promise<void> {
    if (!Array.isArray(messageIds) || messageIds.some((id) => typeof id !== 'string' || id === ''))
      throw new InvalidArgumentError('messageIds', 'must be an array of non-empty message ids');
    const session = await this.#writableSession();
    await this.#service.appendEvents(
      session,
      messageIds.map((id) => removalEvent(id, new Date())),
    );
    for (const id of messageIds) this.#seen.delete(id);
  }

  async #writableSession(): Promise<Session> {
    this.#session ??= await sessionForWrite(this.#service, this.#key);
    return this.#session;
  }
}
