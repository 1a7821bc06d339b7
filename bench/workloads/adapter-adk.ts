/**
 * The ADK adapter's cost: load a 1,000-message chat through AdkSessionService.getSession and save
 * one turn (a user event and a model reply) with appendEvent, against the core service doing the
 * same with its own events of the same text. Target: within 1.3x of the core service.
 */
import { createEvent as adkEvent } from '@google/adk';
import { AdkSessionService } from '../../src/adapters/adk/index.js';
import { freshKey } from '../data.js';
import type { Figure } from '../measure.js';
import type { Run } from '../run.js';
import { adapterTurnFigure, chatCoreEvent, chatText, longChatRounds } from './adapter-turn.js';
import type { Pair } from './read.js';

const MESSAGES = 1000;

/** The `i`-th chat message as an ADK event. */
export function adkMessage(i: number) {
  const user = i % 2 === 0;
  return adkEvent({
    author: user ? 'user' : 'bot',
    invocationId: `inv-${i >> 1}`,
    content: { role: user ? 'user' : 'model', parts: [{ text: chatText(i) }] },
  });
}

/**
 * Two 1,000-message chats, one stored through the ADK adapter and one through the core service,
 * and one turn of each: load the chat, save a user event and a model reply.
 */
export async function adkTurns(run: Run): Promise<Pair> {
  const core = await run.backend.service('sync');
  const adk = new AdkSessionService(core);

  const coreKey = freshKey('adk-core');
  const coreSession = await core.createSession(coreKey);
  const adkKey = freshKey('adk');
  const adkSession = await adk.createSession({ ...adkKey });
  run.log(`ADK: storing two ${MESSAGES}-message chats`);
  for (let i = 0; i < MESSAGES; i++) {
    await core.appendEvent(coreSession, chatCoreEvent(i));
    await adk.appendEvent({ session: adkSession, event: adkMessage(i) });
  }

  let n = MESSAGES;
  return {
    ours: async () => {
      const session = await adk.getSession({ ...adkKey });
      if (!session || session.events.length < MESSAGES) throw new Error('ADK: the chat read back short');
      const i = n++;
      await adk.appendEvent({ session, event: adkMessage(2 * i) });
      await adk.appendEvent({ session, event: adkMessage(2 * i + 1) });
    },
    floor: async () => {
      const session = await core.getSession(coreKey);
      if (!session || session.events.length < MESSAGES) throw new Error('ADK: the core chat read back short');
      const i = n++;
      await core.appendEvent(session, chatCoreEvent(2 * i));
      await core.appendEvent(session, chatCoreEvent(2 * i + 1));
    },
  };
}

export async function adkAdapter(run: Run): Promise<Figure[]> {
  return [
    await adapterTurnFigure(
      run,
      {
        workload: 'ADK',
        name: `load a ${MESSAGES.toLocaleString('en')}-message chat + save one turn (ADK adapter)`,
        rounds: longChatRounds(run),
      },
      await adkTurns(run),
    ),
  ];
}
