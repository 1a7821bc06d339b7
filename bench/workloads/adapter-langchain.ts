/**
 * The LangChain adapter's cost: one turn as RunnableWithMessageHistory makes it — getMessages() of
 * a 1,000-message chat, then addMessages([HumanMessage, AIMessage]) — against the core service
 * doing the same with getSession and two appendEvent calls of the same text. Both read the whole
 * session (the history does; the core's default would stop at 1,000 events while the chat grows).
 * Target: within 1.3x of the core service.
 */
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { AgentSessionsChatMessageHistory } from '../../src/adapters/langchain/index.js';
import { APP, freshKey } from '../data.js';
import type { Figure } from '../measure.js';
import type { Run } from '../run.js';
import { adapterTurnFigure, chatCoreEvent, chatText, longChatRounds } from './adapter-turn.js';
import type { Pair } from './read.js';

const MESSAGES = 1000;
/** The whole session: the history reads every message, and the chats grow by a turn a sample. */
const WHOLE = { eventPage: { offset: 0, limit: 2_147_483_647 } };

/** The same text as a LangChain message, alternately the user's and the model's. */
function langchainMessage(i: number) {
  return i % 2 === 0 ? new HumanMessage(chatText(i)) : new AIMessage(chatText(i));
}

/**
 * The two sides of one turn, on two freshly filled chats of {@link MESSAGES} messages: the
 * history's (ours) and the core service's (floor). Each call saves a new turn, so both chats grow
 * alike.
 */
export async function langchainTurns(run: Run): Promise<Pair> {
  const core = await run.backend.service('sync');
  const coreKey = freshKey('langchain-core');
  const coreSession = await core.createSession(coreKey);
  const { userId, sessionId } = freshKey('langchain');
  const history = new AgentSessionsChatMessageHistory({ service: core, appName: APP, userId, sessionId });
  run.log(`LangChain: storing two ${MESSAGES}-message chats`);
  for (let i = 0; i < MESSAGES; i++) {
    await core.appendEvent(coreSession, chatCoreEvent(i));
    await history.addMessage(langchainMessage(i));
  }
  let n = MESSAGES;
  return {
    ours: async () => {
      const messages = await history.getMessages();
      if (messages.length < MESSAGES) throw new Error('LangChain: the chat read back short');
      const i = n++;
      await history.addMessages([langchainMessage(2 * i), langchainMessage(2 * i + 1)]);
    },
    floor: async () => {
      const session = await core.getSession(coreKey, WHOLE);
      if (!session || session.events.length < MESSAGES)
        throw new Error('LangChain: the core chat read back short');
      const i = n++;
      await core.appendEvent(session, chatCoreEvent(2 * i));
      await core.appendEvent(session, chatCoreEvent(2 * i + 1));
    },
  };
}

export async function langchainAdapter(run: Run): Promise<Figure[]> {
  return [
    await adapterTurnFigure(
      run,
      {
        workload: 'LANGCHAIN',
        name: `load a ${MESSAGES.toLocaleString('en')}-message chat + save one turn (LangChain adapter)`,
        rounds: longChatRounds(run),
      },
      await langchainTurns(run),
    ),
  ];
}
