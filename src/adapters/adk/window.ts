import type { Event as AdkEvent } from '@google/adk';
import { getFunctionCalls, getFunctionResponses } from '@google/adk';

/**
 * The ADK events of a load, in the store's order, made ready for a model:
 *
 * - An event appended again with the same id (ADK's stores replace it in place) appears once, at
 *   its first position, with its latest content.
 * - A window never starts with a function response whose call was cut off: the store's window
 *   starts at a user message (trpc-agent-go's rule); when the last `n` events hold none it puts
 *   the latest user message in front, and responses right after it whose calls fell outside the
 *   window are dropped, as Gemini refuses a function response without its call.
 */
export function eventsForModel(events: readonly AdkEvent[]): AdkEvent[] {
  return dropCutOffResponses(dedupeById(events));
}

function dedupeById(events: readonly AdkEvent[]): AdkEvent[] {
  const at = new Map<string, number>();
  const out: AdkEvent[] = [];
  for (const event of events) {
    const index = at.get(event.id);
    if (index === undefined) {
      at.set(event.id, out.length);
      out.push(event);
    } else {
      out[index] = event;
    }
  }
  return out;
}

function dropCutOffResponses(events: AdkEvent[]): AdkEvent[] {
  // Only the head of a window can hold responses whose calls were cut off: inside it, a call
  // always precedes its response.
  const start = events.length > 0 && isUserText(events[0]!) ? 1 : 0;
  let end = start;
  while (end < events.length && isCutOffResponse(events[end]!)) end++;
  return end === start ? events : [...events.slice(0, start), ...events.slice(end)];
}

function isUserText(event: AdkEvent): boolean {
  return event.author === 'user' && getFunctionResponses(event).length === 0;
}

/** A function-response event (no call of its own) at the head of a window: its calls are not in it. */
function isCutOffResponse(event: AdkEvent): boolean {
  return getFunctionResponses(event).length > 0 && getFunctionCalls(event).length === 0;
}
