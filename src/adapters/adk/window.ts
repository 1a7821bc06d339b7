import type { Event as AdkEvent } from '@google/adk';
import { getFunctionCalls, getFunctionResponses } from '@google/adk';

/**
 * The ADK events of a window cut from a longer history, made ready for a model:
 *
 * - An event appended again with the same id (ADK's stores replace it in place) appears once, at
 *   its first position, with its latest content.
 * - A window never starts with a function response whose call was cut off: the store's window
 *   starts at a user message (trpc-agent-go's rule); when the last `n` events hold none it puts
 *   the latest user message in front, and responses right after it whose calls fell outside the
 *   window are dropped, as Gemini refuses a function response without its call.
 *
 * A read that returned the whole session cut nothing: it takes {@link dedupeById} alone, so it
 * returns every event, as ADK's own services do.
 */
export function eventsForModel(events: readonly AdkEvent[]): AdkEvent[] {
  return dropCutOffResponses(dedupeById(events));
}

export function dedupeById(events: readonly AdkEvent[]): AdkEvent[] {
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

/** Drops the function responses at the head of a window cut from a longer history. */
export function dropCutOffResponses(events: AdkEvent[]): AdkEvent[] {
  const { start, end } = headResponses(events);
  return end === start ? events : [...events.slice(0, start), ...events.slice(end)];
}

/**
 * Whether the events start with function responses (right after a user text or not) that
 * {@link dropCutOffResponses} would drop if the history was cut before them.
 */
export function startsWithResponses(events: readonly AdkEvent[]): boolean {
  const { start, end } = headResponses(events);
  return end > start;
}

/**
 * The function responses at the head: only there can a window hold responses whose calls were
 * cut off, as inside it a call always precedes its response.
 */
function headResponses(events: readonly AdkEvent[]): { start: number; end: number } {
  const start = events.length > 0 && isUserText(events[0]!) ? 1 : 0;
  let end = start;
  while (end < events.length && isCutOffResponse(events[end]!)) end++;
  return { start, end };
}

function isUserText(event: AdkEvent): boolean {
  return event.author === 'user' && getFunctionResponses(event).length === 0;
}

/** A function-response event (no call of its own) at the head of a window: its calls are not in it. */
function isCutOffResponse(event: AdkEvent): boolean {
  return getFunctionResponses(event).length > 0 && getFunctionCalls(event).length === 0;
}
