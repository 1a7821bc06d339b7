/**
 * LangChain.js with agent-sessions (`npm run example:langchain`): a RunnableWithMessageHistory
 * chain whose history lives in the store — the line agent-sessions adds is marked. A tiny scripted
 * chat model answers, so it runs offline; the history lives in an in-memory PGlite database.
 */
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableWithMessageHistory } from '@langchain/core/runnables';
import { AgentSessionsChatMessageHistory } from '../src/adapters/langchain/index.js';
import { PostgresSessionService } from '../src/postgres/index.js';
import { pgliteClient } from '../src/sql/pglite-client.js';

/** Answers with how many earlier messages it was shown: the history at work. */
class CountingModel extends BaseChatModel {
  _llmType(): string {
    return 'counting';
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const text = `I have seen ${messages.length - 2} earlier messages.`;
    return { generations: [{ text, message: new AIMessage(text) }] };
  }
}

const client = await pgliteClient();
const service = await PostgresSessionService.create({ client });
const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'You are a counting assistant.'],
  new MessagesPlaceholder('history'),
  ['human', '{input}'],
]);
const chain = new RunnableWithMessageHistory({
  runnable: prompt.pipe(new CountingModel({})),
  // agent-sessions: one history per (app, user, session)
  getMessageHistory: (sessionId: string) =>
    new AgentSessionsChatMessageHistory({ service, appName: 'example', userId: 'ada', sessionId }),
  inputMessagesKey: 'input',
  historyMessagesKey: 'history',
});
for (const input of ['Hello!', 'And now?', 'One more.']) {
  const reply = await chain.invoke({ input }, { configurable: { sessionId: 'chat-1' } });
  console.log(`user: ${input}\nassistant: ${String(reply.content)}`);
}
await service.close();
await client.close(); // the service leaves a client it was handed open
