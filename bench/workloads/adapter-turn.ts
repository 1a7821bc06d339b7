/**
 * What the adapter rows share: one turn of a framework's loop (load a long chat, save one turn)
 * timed against the core service doing the same, interleaved, as one latency figure whose target
 * is 1.3x the core service.
 */
import { createEvent, type Event } from '../../src/index.js';
import type { Figure } from '../measure.js';
import type { Run } from '../run.js';
import { interleave, latencyFigure, type Pair } from './read.js';

/** The `i`-th message of the adapter rows' chats: of a typical chat's length, different each time. */
export function chatText(i: number): string {
  return `message ${i}: ${'the quick brown fox jumps over the lazy dog, '.repeat(6)}`;
}

/** The same message as the core service's event, alternately the user's and the model's. */
export function chatCoreEvent(i: number): Event {
  const role = i % 2 === 0 ? 'user' : 'assistant';
  return createEvent({ author: role === 'user' ? 'user' : 'bot', message: { role, content: chatText(i) } });
}

/**
 * Rounds for an adapter row whose turn reads a 1,000-message chat: a round is tens of milliseconds
 * that a collection can double, and 150 rounds keep the median steady (60 gave 1.19-1.60x for the
 * same code on a quiet machine).
 */
export function longChatRounds(run: Run): number {
  return run.sizes.w3.samples >= 100 ? 150 : 10;
}

/** `turn.ours` (the adapter) against `turn.floor` (the core service), `rounds` times each. */
export async function adapterTurnFigure(
  run: Run,
  row: { workload: string; name: string; rounds: number },
  turn: Pair,
): Promise<Figure> {
  const [times] = await interleave([turn], row.rounds, run.sizes.warmup);
  return {
    ...latencyFigure(
      {
        workload: row.workload,
        backend: run.backend.name,
        name: row.name,
        target: { op: '<=', value: 1.3 },
      },
      times!,
    ),
    reference: 'core service',
  };
}
