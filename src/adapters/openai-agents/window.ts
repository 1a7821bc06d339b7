/**
 * Which stored items a limited load may start with. A model refuses a history that opens with a
 * tool result whose call is not in it, and a response's items (its reasoning, message and calls)
 * belong together; so a window is moved forward, past such a start, to the first item that can
 * begin a history.
 */
import { callIdOf, type Item, isCallItem, isResultItem } from './item-event.js';

/** Items a model produced in one response: reasoning, messages and calls in a run. */
function isModelOutput(item: Item): boolean {
  if (isCallItem(item) || item.type === 'reasoning') return true;
  return (item.type === 'message' || item.type === undefined) && item.role === 'assistant';
}

/**
 * The part of `items` (the newest items, oldest first) a model accepts as a history: it starts
 * neither with a result whose call was cut off nor inside the outputs of one response, and holds
 * no result whose call is missing. `previous` is the stored item just before `items[0]`
 * (undefined when `items` starts the conversation, which then comes back whole): when both are
 * outputs of the model, the window would split that response, so its outputs in the window are
 * dropped.
 */
export function modelWindow(items: readonly Item[], previous: Item | undefined): Item[] {
  // The whole conversation: nothing was cut, so everything comes back as it was stored.
  if (previous === undefined) return [...items];
  let start = 0;
  if (isModelOutput(previous)) {
    while (start < items.length && isModelOutput(items[start]!)) start++;
  }
  // A result whose call lies before the start: move the start past it (and check again).
  for (;;) {
    const calls = new Set<string>();
    let orphan = -1;
    for (let i = start; i < items.length; i++) {
      const item = items[i]!;
      const id = callIdOf(item);
      if (id === undefined) continue;
      if (isCallItem(item)) calls.add(id);
      else if (isResultItem(item) && !calls.has(id)) orphan = i;
    }
    if (orphan < 0) break;
    start = orphan + 1;
  }
  return start === 0 ? [...items] : items.slice(start);
}
