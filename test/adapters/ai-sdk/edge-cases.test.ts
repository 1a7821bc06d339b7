/**
 * What a store most easily gets wrong, on every backend: text PostgreSQL cannot hold is refused
 * with a typed error naming the value and nothing of the save is written; large and exotic values
 * round-trip; ids with LIKE wildcards, quotes or a shared prefix stay apart; bad lists are refused;
 * removal; limited loads start at a user message; the summary helper.
 */
import { type UIMessage, validateUIMessages } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_MESSAGE_ID, UIMessageStore } from '../../../src/adapters/ai-sdk/index.js';
import { isAgentSessionsError, type SessionSummarizer } from '../../../src/index.js';
import { type Backend, backends } from './backends.js';

const summarizer: SessionSummarizer = {
  shouldSummarize: () => true,
  summarize: async (session) => `summary of ${session.events.length} events`,
};

const say = (id: string, role: UIMessage['role'], text: string): UIMessage => ({
  id,
  role,
  parts: [{ type: 'text', text }],
});

async function refusal(run: () => Promise<unknown>): Promise<{ code: string; field: string | undefined }> {
  try {
    await run();
  } catch (error) {
    if (isAgentSessionsError(error)) return { code: error.code, field: error.field };
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describe.each(backends)('AI SDK chat edge cases on %s', (_name, open) => {
  let backend: Backend;
  let store: UIMessageStore;
  beforeAll(async () => {
    backend = await open({ summarizer });
    store = new UIMessageStore({ service: backend.service, appName: 'edge-app' });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('writes a save all or none when the write itself fails partway (an append hook refusing its second message)', async () => {
    // A content filter as an append hook: it refuses any event that mentions "forbidden".
    const filtered = await open({
      appendEventHooks: [
        async (ctx, next) => {
          if (JSON.stringify(ctx.event).includes('forbidden')) throw new Error('refused by the filter');
          await next();
        },
      ],
    });
    try {
      const chats = new UIMessageStore({ service: filtered.service, appName: 'edge-app' });
      const chat = { userId: 'u', chatId: 'filtered' };
      const turn = [say('q', 'user', 'hello'), say('a', 'assistant', 'a forbidden answer')];
      await expect(chats.save(chat, turn)).rejects.toThrow('refused by the filter');
      await filtered.settle();
      expect(await chats.load(chat)).toEqual([]);
      // The next save of the same list, without the refused message, stores the rest.
      await chats.save(chat, turn.slice(0, 1));
      await filtered.settle();
      expect(await chats.load(chat)).toEqual(turn.slice(0, 1));
      // Removals go in one write too.
      await chats.save(chat, [...turn.slice(0, 1), say('b', 'assistant', 'fine')]);
      await chats.remove(chat, ['q', 'b']);
      await filtered.settle();
      expect(await chats.load(chat)).toEqual([]);
    } finally {
      await filtered.close();
    }
  });

  it('refuses NUL and lone surrogates with the path of the value, writing nothing of the save', async () => {
    const chat = { userId: 'u', chatId: 'bad-text' };
    const good = say('ok', 'user', 'fine');
    const nul = say('nul', 'assistant', 'a\u0000b');
    expect(await refusal(() => store.save(chat, [good, nul]))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'messages[1].parts[0].text',
    });
    const lone: UIMessage = { id: 'lone', role: 'user', parts: [], metadata: { 'k\ud800': 1 } };
    expect(await refusal(() => store.save(chat, [good, lone]))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: expect.stringMatching(/^messages\[1\]\.metadata/),
    });
    await backend.settle();
    expect(await store.load(chat)).toEqual([]);
  });

  it('refuses a list with an empty id, a duplicate id or a wrong role', async () => {
    const chat = { userId: 'u', chatId: 'bad-list' };
    expect(await refusal(() => store.save(chat, [say('', 'user', 'x')]))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'messages[0].id',
    });
    expect(
      await refusal(() => store.save(chat, [say('a', 'user', 'x'), say('a', 'assistant', 'y')])),
    ).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'messages[1].id',
    });
    const tool = { id: 't', role: 'tool', parts: [] } as unknown as UIMessage;
    expect(await refusal(() => store.save(chat, [tool]))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'messages[0].role',
    });
    expect(await refusal(() => store.load({ userId: 'u', chatId: '' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'chat.chatId',
    });
  });

  it('round-trips a 1 MB message, emoji, right-to-left text and __proto__ keys exactly', async () => {
    const chat = { userId: 'u', chatId: 'big' };
    const big = 'x'.repeat(1024 * 1024);
    const metadata = JSON.parse('{"__proto__":{"admin":true},"nested":{"__proto__":[1,2]}}') as unknown;
    const messages: UIMessage[] = [
      say('m1', 'user', `👩‍💻 שלום مرحبا ${big}`),
      {
        id: 'm2',
        role: 'assistant',
        metadata,
        parts: [{ type: 'data-blob', data: { text: big, '\u202e': 'rtl override' } }],
      },
    ];
    await store.save(chat, messages);
    await backend.settle();
    const loaded = await store.load(chat);
    expect(loaded).toEqual(messages);
    expect(Object.hasOwn(loaded[1]!.metadata as object, '__proto__')).toBe(true);
    expect(({} as { admin?: boolean }).admin).toBeUndefined();
  });

  it('stores a boxed bigint as the bigint it holds, and saves a message again when that number changes', async () => {
    const chat = { userId: 'u', chatId: 'boxed-bigint' };
    const counted = (n: bigint): UIMessage => ({ ...say('m', 'user', 'count'), metadata: { n: Object(n) } });
    // One history: each save compares with what the one before it saved, the caller's objects.
    const history = await store.open(chat);
    expect(await history.saveChanges([counted(5n)])).toEqual({ written: ['m'] });
    await backend.settle();
    expect((await store.load(chat))[0]!.metadata).toEqual({ n: 5 });
    expect(await history.saveChanges([counted(6n)])).toEqual({ written: ['m'] });
    expect(await history.saveChanges([counted(6n)])).toEqual({ written: [] });
    await backend.settle();
    expect((await store.load(chat))[0]!.metadata).toEqual({ n: 6 });
  });

  it('keeps chats whose ids share a prefix or hold wildcards and quotes apart', async () => {
    const ids = ['a', 'a%', 'a_', "a'b", 'a"b', 'ab', 'a\\'];
    for (const chatId of ids)
      await store.save({ userId: 'u%', chatId }, [say(`m-${chatId}`, 'user', chatId)]);
    await store.save({ userId: 'u_', chatId: 'a' }, [say('other-user', 'user', 'other user')]);
    await backend.settle();
    for (const chatId of ids)
      expect(await store.load({ userId: 'u%', chatId })).toEqual([say(`m-${chatId}`, 'user', chatId)]);
    expect(await store.load({ userId: 'u_', chatId: 'a' })).toEqual([
      say('other-user', 'user', 'other user'),
    ]);
  });

  it('removes a regenerated answer so the chat loads without it', async () => {
    const chat = { userId: 'u', chatId: 'regenerate' };
    await store.save(chat, [say('q', 'user', 'question'), say('old', 'assistant', 'first try')]);
    await backend.settle();
    // The client regenerates: the route removes the replaced message, then saves the new answer.
    const handle = await store.open(chat);
    await handle.remove(['old']);
    await handle.save([say('q', 'user', 'question'), say('new', 'assistant', 'second try')]);
    await backend.settle();
    expect(await store.load(chat)).toEqual([
      say('q', 'user', 'question'),
      say('new', 'assistant', 'second try'),
    ]);
    expect(await refusal(() => handle.remove([''] as string[]))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'messageIds',
    });
  });

  it('starts a limited load at a user message', async () => {
    const chat = { userId: 'u', chatId: 'window' };
    const messages = [
      say('w1', 'user', 'one'),
      say('w2', 'assistant', 'two'),
      say('w3', 'user', 'three'),
      say('w4', 'assistant', 'four'),
      say('w5', 'assistant', 'five'),
    ];
    await store.save(chat, messages);
    await backend.settle();
    // The newest 3 stored messages are w3..w5: a user message first, kept whole.
    expect((await store.load(chat, { limit: 3 })).map((m) => m.id)).toEqual(['w3', 'w4', 'w5']);
    // The newest 2 (w4, w5) start with an assistant message: the window reaches back to w3.
    expect((await store.load(chat, { limit: 2 })).map((m) => m.id)).toEqual(['w3', 'w4', 'w5']);
  });

  it('keeps an updated older message at its place in a limited load: the last messages of the whole chat', async () => {
    const chat = { userId: 'u', chatId: 'edited-window' };
    const messages = [
      say('e1', 'user', 'q1'),
      say('e2', 'assistant', 'a1'),
      say('e3', 'user', 'q2'),
      say('e4', 'assistant', 'a2'),
    ];
    await store.save(chat, messages);
    await store.save(chat, [messages[0]!, say('e2', 'assistant', 'a1 edited'), messages[2]!, messages[3]!]);
    await backend.settle();
    const whole = await store.load(chat);
    expect(whole.map((m) => m.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    for (const limit of [1, 2, 3, 4, 5]) {
      const window = await store.load(chat, { limit });
      // The window is a tail of the whole chat, from its first user message.
      expect(window).toEqual(whole.slice(whole.length - window.length));
      expect(window[0]!.role).toBe('user');
      expect(window.length).toBeGreaterThanOrEqual(Math.min(limit, whole.length) - 1);
      await validateUIMessages({ messages: window });
    }
    expect((await store.load(chat, { limit: 3 })).map((m) => m.id)).toEqual(['e3', 'e4']);
    expect((await store.load(chat, { limit: 4 })).map((m) => m.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('gives the model the latest summary and the messages after its boundary', async () => {
    const chat = { userId: 'u', chatId: 'summarized' };
    await store.save(chat, [say('s1', 'user', 'old question'), say('s2', 'assistant', 'old answer')]);
    await backend.settle();
    const key = { appName: 'edge-app', userId: 'u', sessionId: 'summarized' };
    const session = await backend.service.getSession(key);
    await backend.service.createSessionSummary(session!, '', true);
    await backend.settle();
    // Make sure the next messages are stamped after the summary's cutoff.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [say('s3', 'user', 'new question'), say('s4', 'assistant', 'new answer')];
    const handle = await store.open(chat);
    await handle.save([...handle.messages, ...later]);
    await backend.settle();
    const reread = await store.open(chat);
    expect(reread.messages.map((m) => m.id)).toEqual(['s1', 's2', 's3', 's4']);
    const { summary, messages } = reread.summarized();
    expect(summary).toBe('summary of 2 events');
    expect(messages).toEqual([
      { id: SUMMARY_MESSAGE_ID, role: 'system', parts: [{ type: 'text', text: 'summary of 2 events' }] },
      ...later,
    ]);
  });
});
