/**
 * The AI SDK adapter's cost: a chat route's storage work — load a 1,000-message chat, then save
 * one turn (the whole list onFinish hands over, of which only the user message and the answer are
 * new) — against the core service doing the same: read the same session, append the same two
 * events. Both sides read every stored event of their chat (the adapter's whole-chat page), and
 * both chats start from the same 1,000 stored messages and grow alike, sample by sample.
 */
import type { UIMessage } from 'ai';
import { UIMessageStore } from '../../src/adapters/ai-sdk/index.js';
import { messageEvent } from '../../src/adapters/ai-sdk/stored-message.js';
import type { SessionKey } from '../../src/session/keys.js';
import { freshKey } from '../data.js';
import type { Figure } from '../measure.js';
import type { Run } from '../run.js';
import { adapterTurnFigure } from './adapter-turn.js';

const CHAT_LENGTH = 1000;
const WHOLE_CHAT = { eventPage: { offset: 0, limit: 2_147_483_647 } };

const question = (id: string): UIMessage => ({
  id,
  role: 'user',
  parts: [
    {
      type: 'text',
      text: `Where is my order ${id}? It was due last week and the tracking page shows nothing.`,
    },
  ],
});

const answer = (id: string): UIMessage => ({
  id,
  role: 'assistant',
  parts: [
    { type: 'step-start' },
    {
      type: 'tool-lookupOrder',
      toolCallId: `call-${id}`,
      state: 'output-available',
      input: { orderId: id },
      output: { status: 'in transit', carrier: 'DHL', eta: '2026-12-08' },
    },
    { type: 'step-start' },
    { type: 'text', text: 'Your parcel is in transit with DHL and should arrive on Monday.', state: 'done' },
  ],
  metadata: { model: 'scripted', totalTokens: 321 },
});

function conversation(prefix: string, length: number): UIMessage[] {
  return Array.from({ length }, (_, i) =>
    i % 2 === 0 ? question(`${prefix}-${i}`) : answer(`${prefix}-${i}`),
  );
}

export async function adapterAiSdk(run: Run): Promise<Figure[]> {
  const service = await run.backend.service('sync');
  const store = new UIMessageStore({ service, appName: 'bench-ai-sdk' });
  const chatKey = (key: SessionKey) => ({ userId: key.userId, chatId: key.sessionId });

  // Two chats holding the same 1,000 messages: one for the adapter, one for the core service.
  const oursKey = { ...freshKey('ai-sdk'), appName: 'bench-ai-sdk' };
  const coreKey = { ...freshKey('ai-sdk-core'), appName: 'bench-ai-sdk' };
  const seeded = conversation('m', CHAT_LENGTH);
  run.log(`seeding two chats of ${CHAT_LENGTH} messages`);
  await store.save(chatKey(oursKey), seeded);
  await store.save(chatKey(coreKey), seeded);

  let turn = 0;
  const nextTurn = () => {
    turn++;
    return [question(`t${turn}-q`), answer(`t${turn}-a`)];
  };
  const chatTurn = {
    ours: async () => {
      const chat = await store.open(chatKey(oursKey));
      if (chat.messages.length < CHAT_LENGTH) throw new Error('ai-sdk bench: the chat read back short');
      await chat.save([...chat.messages, ...nextTurn()]);
    },
    floor: async () => {
      const session = await service.getSession(coreKey, WHOLE_CHAT);
      if (!session || session.events.length < CHAT_LENGTH)
        throw new Error('ai-sdk bench: the session read back short');
      for (const message of nextTurn())
        await service.appendEvent(session, messageEvent(message, { assistant: 'assistant' }, new Date()));
    },
  };
  return [
    await adapterTurnFigure(
      run,
      {
        workload: 'AI-SDK',
        name: `load a ${CHAT_LENGTH}-message chat, save one turn`,
        rounds: Math.min(run.sizes.w3.samples, 100),
      },
      chatTurn,
    ),
  ];
}
