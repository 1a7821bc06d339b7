/**
 * The SDK's optional history rewrites that change stored items in place: compaction (the whole
 * history replaced by a compaction item and what it keeps) and `replace_function_call`
 * mutations. Both go through the store's atomic `replaceEvents`, so a reader sees the history
 * before or after, never in between.
 */
import { type Event, InvalidArgumentError, isAgentSessionsError, readCallerValue } from '../../index.js';
import { ALL_EVENTS, type HistoryStore, readNewest, tailOf } from './history-read.js';
import { eventsOf, eventToItems, type Item, itemToEvent, stampAgain, storedItemEvent } from './item-event.js';

/** How often a rewrite made from a read is tried again when a concurrent write changed the read. */
const ATTEMPTS = 5;

/**
 * The same for popItem. Each failed attempt means another write to the session succeeded (the
 * store checks under the session's lock), so a pop racing n others succeeds within n + 1
 * attempts; a runner's pops rarely race, but a client retrying in parallel may.
 */
const POP_ATTEMPTS = 100;

/**
 * Replaces every stored item with `items`, keeping the session (its id, state and tracks): one
 * atomic write. The summaries go, as they describe the replaced events.
 */
export async function replaceAll(store: HistoryStore, items: unknown): Promise<void> {
  const events = eventsOf(items, 'items', store.author);
  try {
    await store.service.replaceEvents(store.key, { events });
  } catch (error) {
    if (!isAgentSessionsError(error, 'NOT_FOUND')) throw error;
    await store.create();
    stampAgain(events);
    await store.service.replaceEvents(store.key, { events });
  }
}

/**
 * Removes the newest item and returns it (undefined when there is none), in one atomic write
 * checked against the read it was made from (made again when another write came in between). An
 * event a Go service wrote may hold several items (a text and its tool calls, the results of
 * parallel calls): its other items are stored again, one event each, in its place; events after
 * the item that hold none (a state change) stay as they were.
 */
export async function popNewestItem(store: HistoryStore): Promise<Item | undefined> {
  for (let attempt = 1; ; attempt++) {
    const session = await readNewest(store, 1);
    const tail = session ? tailOf(session.events, 1, store) : undefined;
    if (!tail) return undefined;
    try {
      await store.service.replaceEvents(store.key, {
        expectedEventIds: tail.events.map((event) => event.id),
        events: tail.keep,
      });
      return tail.items[0];
    } catch (error) {
      // Deleted since the read: nothing to pop any more.
      if (isAgentSessionsError(error, 'NOT_FOUND')) return undefined;
      if (!isAgentSessionsError(error, 'CONFLICT') || attempt >= POP_ATTEMPTS) throw error;
    }
  }
}

/** A `replace_function_call` mutation, checked. */
interface ReplaceCall {
  callId: string;
  replacement: Item;
}

function mutationsArg(args: unknown): ReplaceCall[] {
  if (args === null || typeof args !== 'object') throw new InvalidArgumentError('args', 'must be an object');
  const mutations = readCallerValue('args.mutations', () => {
    const list = (args as { mutations?: unknown }).mutations;
    return Array.isArray(list) ? [...(list as unknown[])] : undefined;
  });
  if (!mutations) throw new InvalidArgumentError('args.mutations', 'must be an array');
  return mutations.map((m: unknown, i: number) => {
    const field = `args.mutations[${i}]`;
    const { type, callId, replacement } = readCallerValue(field, () => ({
      ...((m ?? {}) as Record<string, unknown>),
    }));
    if (type !== 'replace_function_call')
      throw new InvalidArgumentError(`${field}.type`, 'must be "replace_function_call"');
    if (typeof callId !== 'string') throw new InvalidArgumentError(`${field}.callId`, 'must be a string');
    const r = replacement as Item | null | undefined;
    if (r === null || typeof r !== 'object' || r.type !== 'function_call')
      throw new InvalidArgumentError(`${field}.replacement`, 'must be a function_call item');
    // Checked as addItems checks an item (a cycle, a symbol or a throwing getter is refused by
    // name), then copied, so nothing the caller changes later reaches the store.
    storedItemEvent(r, `${field}.replacement`, 'assistant', new Date());
    return { callId, replacement: readCallerValue(`${field}.replacement`, () => structuredClone(r)) };
  });
}

/**
 * Applies `replace_function_call` mutations as the SDK's reference does: the first stored
 * `function_call` with the call id becomes the replacement, later ones with the same id go.
 * The events from the first changed one on are replaced in one atomic write, checked against
 * the read (unchanged ones are stored again as they were); when another write came in between,
 * the read and the rewrite are made again.
 */
export async function applyMutations(store: HistoryStore, args: unknown): Promise<void> {
  const mutations = mutationsArg(args);
  if (mutations.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    const session = await store.service.getSession(store.key, {
      eventPage: { offset: 0, limit: ALL_EVENTS },
    });
    if (!session) return;
    const rewrite = rewriteEvents(session.events, mutations, store.author);
    if (!rewrite) return;
    try {
      await store.service.replaceEvents(store.key, rewrite);
      return;
    } catch (error) {
      if (!isAgentSessionsError(error, 'CONFLICT') || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** The replacement of the events the mutations change, and of all after them; undefined if none. */
function rewriteEvents(
  events: readonly Event[],
  mutations: readonly ReplaceCall[],
  author: string,
): { expectedEventIds: string[]; events: Event[] } | undefined {
  let perEvent = events.map((event) => eventToItems(event));
  const changed = new Set<number>();
  for (const mutation of mutations) perEvent = replaceCall(perEvent, mutation, changed);
  if (changed.size === 0) return undefined;
  const first = Math.min(...changed);
  const now = new Date();
  const replacement = events.slice(first).flatMap((event, k) => {
    const i = first + k;
    // Unchanged events are stored again as they were (same id, same JSON).
    if (!changed.has(i)) return [event];
    return perEvent[i]!.map((item) => itemToEvent(item, { author, now }));
  });
  return { expectedEventIds: events.slice(first).map((e) => e.id), events: replacement };
}

/**
 * One mutation over the items of each event (new arrays): the first matching call replaced, the
 * later ones dropped; the indexes of the events it touched are added to `changed`.
 */
function replaceCall(
  perEvent: readonly Item[][],
  { callId, replacement }: ReplaceCall,
  changed: Set<number>,
): Item[][] {
  let replaced = false;
  return perEvent.map((items, i) =>
    items.flatMap((item) => {
      if (item.type !== 'function_call' || item.callId !== callId) return [item];
      changed.add(i);
      if (replaced) return [];
      replaced = true;
      return [structuredClone(replacement)];
    }),
  );
}
