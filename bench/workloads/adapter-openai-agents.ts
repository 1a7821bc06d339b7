/**
 * OPENAI-AGENTS (adapter-openai-agents): the OpenAI Agents SDK adapter against the core service doing the
 * same work. One turn as the runner does it: load a 1,000-message chat (`getItems()`, the store's
 * window of 1,000), then save the turn's user message and answer (`addItems`, one atomic write).
 * The core side reads the same kind of session with getSession and appends the same two events
 * with appendEvents. Both sessions are filled through the adapter, so both reads decode the same
 * stored JSON; the ratio is what the adapter adds (items out of events, the window rule, items
 * into events). Target: within 1.3x.
 */
import type { AgentInputItem } from '@openai/agents-core';
import { AgentSessionsSession } from '../../src/adapters/openai-agents/index.js';
import { itemToEvent } from '../../src/adapters/openai-agents/item-event.js';
import { newSession } from '../../src/session/session.js';
import { APP, freshKey } from '../data.js';
import type { Figure } from '../measure.js';
import type { Run } from '../run.js';
import { adapterTurnFigure } from './adapter-turn.js';

const CHAT_MESSAGES = 1000;

function turn(i: number): AgentInputItem[] {
  const question = `question ${i}: what changed in the order, the refund and the parcel since yesterday?`;
  return [
    { role: 'user', content: question },
    {
      type: 'message',
      role: 'assistant',
      status: 'completed',
      id: `msg_${i}`,
      content: [
        { type: 'output_text', text: `answer ${i}: the refund was approved and the parcel ships today.` },
      ],
    },
  ];
}

async function filledSession(run: Run, label: string): Promise<AgentSessionsSession> {
  const service = await run.backend.service('sync');
  const { userId, sessionId } = freshKey(label);
  const session = new AgentSessionsSession({ service, appName: APP, userId, sessionId });
  for (let i = 0; i < CHAT_MESSAGES / 2; i += 50) {
    await session.addItems(Array.from({ length: 50 }, (_, k) => turn(i + k)).flat());
  }
  return session;
}

export async function adapterOpenAIAgents(run: Run): Promise<Figure[]> {
  const service = await run.backend.service('sync');
  const ours = await filledSession(run, 'oa-adapter');
  const core = await filledSession(run, 'oa-core');
  const coreKey = core.key;
  let n = CHAT_MESSAGES;
  const turnPair = {
    ours: async () => {
      const items = await ours.getItems();
      if (items.length < CHAT_MESSAGES) throw new Error(`OA: read ${items.length} items`);
      await ours.addItems(turn(n++));
    },
    floor: async () => {
      const session = await service.getSession(coreKey);
      if (!session || session.events.length < CHAT_MESSAGES)
        throw new Error('OA: the core read came back short');
      const now = new Date();
      const events = turn(n++).map((item) => itemToEvent(item as never, { author: 'assistant', now }));
      await service.appendEvents(newSession(coreKey, now), events);
    },
  };
  return [
    await adapterTurnFigure(
      run,
      {
        workload: 'OPENAI-AGENTS',
        name: 'openai-agents: load a 1,000-message chat and save one turn, vs the core service: p50',
        rounds: run.sizes.w3.samples,
      },
      turnPair,
    ),
  ];
}
