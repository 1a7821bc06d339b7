/**
 * replaceEvents of InMemorySessionService: checks the preconditions and swaps the events in one
 * synchronous step, so no other call sees the session in between.
 */
import { decodeEvent } from '../session/codec/index.js';
import type { SessionKey } from '../session/keys.js';
import type { ReplaceEventsRequest } from '../session/options.js';
import { checkReplacePreconditions, replaceEventsArgs } from '../session/replace-events.js';
import type { MemoryContext } from './context.js';

export function replaceEvents(mem: MemoryContext, key: SessionKey, request: ReplaceEventsRequest): void {
  const args = replaceEventsArgs(key, request);
  const record = mem.store.writableRecord(args.key);
  const expected = args.expectedEventIds;
  // The ids of the events the expectation covers (all of them when there is no expectation).
  const removed =
    expected === undefined ? record.events.length : Math.min(expected.length, record.events.length);
  const start = record.events.length - removed;
  const storedIds = expected === undefined ? undefined : record.events.slice(start).map((e) => e.event.id);
  checkReplacePreconditions(args, storedIds, record.state);

  const now = mem.store.now();
  record.events.splice(start, removed);
  // Replacing every event makes the summaries describe events that are gone, as clearEvents.
  if (expected === undefined) record.summaries.clear();
  for (const { json, persistable } of args.events) {
    // Decoded from the validated JSON: the store keeps no object the caller holds.
    mem.store.storeEvent(args.key, decodeEvent(json), persistable ? json : null, now);
  }
  for (const [stateKey, value] of Object.entries(args.state ?? {})) record.state[stateKey] = value;
  // updatedAt moves past the write's time as after an appendEvents batch (see touchAfterBatch).
  const stored = args.events.filter((event) => event.persistable).length;
  mem.store.touch(record, now, Math.max(0, stored - 1));
}
