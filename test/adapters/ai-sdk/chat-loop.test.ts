/**
 * The AI SDK's own loop (validateUIMessages → convertToModelMessages → streamText with a tool →
 * toUIMessageStream → onFinish) saving through the adapter, on every backend.
 */
import { convertToModelMessages, type UIMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UIMessageStore } from '../../../src/adapters/ai-sdk/index.js';
import type { Event } from '../../../src/index.js';
import { type Backend, backends } from './backends.js';
import { chatRoute, tools, userMessage } from './chat-route.js';
import { reasoning, scriptedModel, text, toolCall } from './scripted-model.js';

const sourceStep = [
  { type: 'source', sourceType: 'url', id: 'src-1', url: 'https://example.com/w', title: 'Weather' },
] as const;

/** Every stored event of a chat, oldest first, as a Go service would read them. */
async function storedEvents(backend: Backend, userId: string, chatId: string): Promise<Event[]> {
  await backend.settle();
  const session = await backend.service.getSession(
    { appName: 'chat-app', userId, sessionId: chatId },
    { eventPage: { offset: 0, limit: 10_000 } },
  );
  return session?.events ?? [];
}

describe.each(backends)('AI SDK chats on %s', (_name, open) => {
  let backend: Backend;
  let store: UIMessageStore;
  beforeAll(async () => {
    backend = await open();
    store = new UIMessageStore({ service: backend.service, appName: 'chat-app' });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('saves a tool round in onFinish and loads it back deep-equal', async () => {
    const model = scriptedModel([
      [
        ...reasoning('r1', 'Need the weather tool.', 'sig-1'),
        ...toolCall('call-1', 'weather', { city: 'Oslo' }),
      ],
      [...sourceStep, ...text('t1', 'It is 4 degrees in Oslo.')],
    ]);
    const turn = await chatRoute({
      store,
      userId: 'u1',
      chatId: 'tool-round',
      message: userMessage('m-user-1', 'Weather in Oslo?'),
      model,
    });
    await backend.settle();
    const assistant = turn.messages[1]!;
    expect(assistant.role).toBe('assistant');
    expect(assistant.parts.map((p) => p.type)).toEqual([
      'step-start',
      'reasoning',
      'tool-weather',
      'step-start',
      'source-url',
      'text',
    ]);
    expect(assistant.parts[2]).toMatchObject({
      state: 'output-available',
      output: { city: 'Oslo', celsius: 4 },
    });
    expect(turn.written).toEqual(['m-user-1', assistant.id]);
    expect(await store.load({ userId: 'u1', chatId: 'tool-round' })).toEqual(turn.messages);
  });

  it('sends the stored reasoning signature, tool call and result to the model on the next turn', async () => {
    const first = scriptedModel([
      [...reasoning('r1', 'Think.', 'sig-secret'), ...toolCall('call-2', 'weather', { city: 'Rome' })],
      text('t1', 'Sunny.'),
    ]);
    await chatRoute({
      store,
      userId: 'u1',
      chatId: 'next-turn',
      message: userMessage('n-1', 'Rome?'),
      model: first,
    });
    await backend.settle();
    const second = scriptedModel([text('t2', 'You are welcome.')]);
    const turn = await chatRoute({
      store,
      userId: 'u1',
      chatId: 'next-turn',
      message: userMessage('n-2', 'Thanks'),
      model: second,
    });
    const prompt = second.doStreamCalls[0]!.prompt;
    const assistantContent = prompt.filter((m) => m.role === 'assistant').flatMap((m) => m.content);
    expect(assistantContent).toContainEqual(
      expect.objectContaining({
        type: 'reasoning',
        providerOptions: { anthropic: { signature: 'sig-secret' } },
      }),
    );
    expect(assistantContent).toContainEqual(
      expect.objectContaining({ type: 'tool-call', toolCallId: 'call-2', input: { city: 'Rome' } }),
    );
    expect(prompt.filter((m) => m.role === 'tool').flatMap((m) => m.content)).toContainEqual(
      expect.objectContaining({ type: 'tool-result', toolCallId: 'call-2' }),
    );
    // The prompt is what convertToModelMessages makes of the loaded chat, exactly.
    await backend.settle();
    const loaded = await store.load({ userId: 'u1', chatId: 'next-turn' });
    expect(loaded).toEqual(turn.messages);
    expect(await convertToModelMessages(loaded.slice(0, 3), { tools })).toEqual(
      await convertToModelMessages(turn.messages.slice(0, 3), { tools }),
    );
  });

  it('stores a continued assistant message as a new version at its first position', async () => {
    const userId = 'u2';
    const chatId = 'continued';
    const first = await chatRoute({
      store,
      userId,
      chatId,
      message: userMessage('c-1', 'Write a long answer'),
      model: scriptedModel([text('a', 'Part one.')]),
    });
    await backend.settle();
    // No new message: the route continues the last assistant message, which keeps its id.
    const resumed = await chatRoute({
      store,
      userId,
      chatId,
      model: scriptedModel([text('b', 'Part two.')]),
    });
    await backend.settle();
    const answerId = first.messages[1]!.id;
    expect(resumed.messages.map((m) => m.id)).toEqual(['c-1', answerId]);
    expect(resumed.written).toEqual([answerId]);
    const loaded = await store.load({ userId, chatId });
    expect(loaded).toEqual(resumed.messages);
    expect(
      loaded[1]!.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text),
    ).toEqual(['Part one.', 'Part two.']);
    const events = await storedEvents(backend, userId, chatId);
    expect(events).toHaveLength(3);
  });

  it('keeps both turns of two requests racing on one chat', async () => {
    const userId = 'u3';
    const chatId = 'race';
    await chatRoute({
      store,
      userId,
      chatId,
      message: userMessage('r-0', 'hello'),
      model: scriptedModel([text('a', 'hi')]),
    });
    await backend.settle();
    // Both requests read the chat before either saves.
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const afterRead = async () => {
      if (++reads === 2) release();
      await bothRead;
    };
    const [a, b] = await Promise.all([
      chatRoute({
        store,
        userId,
        chatId,
        message: userMessage('r-a', 'from tab A'),
        model: scriptedModel([text('a', 'answer A')]),
        afterRead,
      }),
      chatRoute({
        store,
        userId,
        chatId,
        message: userMessage('r-b', 'from tab B'),
        model: scriptedModel([text('b', 'answer B')]),
        afterRead,
      }),
    ]);
    await backend.settle();
    const loaded = await store.load({ userId, chatId });
    const ids = loaded.map((m) => m.id);
    for (const message of [...a.messages, ...b.messages]) {
      expect(ids).toContain(message.id);
      expect(loaded.find((m) => m.id === message.id)).toEqual(message);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 2)).toEqual(a.messages.slice(0, 2).map((m) => m.id));
    // Neither request re-wrote the messages it only read.
    expect(a.written).toEqual(['r-a', a.messages[3]!.id]);
    expect(b.written).toEqual(['r-b', b.messages[3]!.id]);
  });

  it('creates a chat once when two first requests race', async () => {
    const userId = 'u4';
    const chatId = 'first-use';
    const [a, b] = await Promise.all([
      chatRoute({
        store,
        userId,
        chatId,
        message: userMessage('f-a', 'A'),
        model: scriptedModel([text('a', 'A!')]),
      }),
      chatRoute({
        store,
        userId,
        chatId,
        message: userMessage('f-b', 'B'),
        model: scriptedModel([text('b', 'B!')]),
      }),
    ]);
    await backend.settle();
    const sessions = await backend.service.listSessions({ appName: 'chat-app', userId });
    expect(sessions.map((s) => s.id)).toEqual([chatId]);
    const loaded = await store.load({ userId, chatId });
    expect(loaded).toHaveLength(4);
    for (const message of [...a.messages, ...b.messages]) expect(loaded).toContainEqual(message);
  });

  it('does not write unchanged messages again', async () => {
    const userId = 'u5';
    const chatId = 'unchanged';
    const turn = await chatRoute({
      store,
      userId,
      chatId,
      message: userMessage('x-1', 'once'),
      model: scriptedModel([text('a', 'reply')]),
    });
    await backend.settle();
    const chat = await store.open({ userId, chatId });
    expect(await chat.saveChanges(turn.messages)).toEqual({ written: [] });
    expect(await store.saveChanges({ userId, chatId }, turn.messages)).toEqual({ written: [] });
    expect(await storedEvents(backend, userId, chatId)).toHaveLength(2);
  });

  it('stores what a Go service needs to read the conversation', async () => {
    const userId = 'u6';
    const chatId = 'go-view';
    await chatRoute({
      store,
      userId,
      chatId,
      message: userMessage('g-1', 'Weather in Lima?'),
      model: scriptedModel([
        [...reasoning('r', 'Use the tool.', 'sig-go'), ...toolCall('call-g', 'weather', { city: 'Lima' })],
        text('t', 'Warm.'),
      ]),
    });
    const [user, assistant] = await storedEvents(backend, userId, chatId);
    expect(user!.author).toBe('user');
    expect(user!.choices![0]!.message).toEqual({ role: 'user', content: 'Weather in Lima?' });
    expect(assistant!.author).toBe('assistant');
    expect(assistant!.choices![0]!.message).toMatchObject({
      role: 'assistant',
      content: 'Warm.',
      reasoning_content: 'Use the tool.',
      reasoning_signature: 'sig-go',
      tool_calls: [
        { type: 'function', id: 'call-g', function: { name: 'weather', arguments: '{"city":"Lima"}' } },
      ],
    });
    expect(assistant!.choices![1]!.message).toEqual({
      role: 'tool',
      tool_id: 'call-g',
      tool_name: 'weather',
      content: '{"city":"Lima","celsius":4}',
    });
  });
});

describe('UIMessageStore on a chat that is not stored', () => {
  it('loads an empty chat without creating it', async () => {
    const [, open] = backends[0]!;
    const backend = await open();
    try {
      const store = new UIMessageStore<UIMessage>({ service: backend.service, appName: 'chat-app' });
      expect(await store.load({ userId: 'nobody', chatId: 'none' })).toEqual([]);
      expect(await backend.service.listSessions({ appName: 'chat-app', userId: 'nobody' })).toEqual([]);
    } finally {
      await backend.close();
    }
  });
});
