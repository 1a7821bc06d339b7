import type { Event } from '../../index.js';
import { storedRecord, type UIMessageLike } from './stored-message.js';

/**
 * The chat as the AI SDK sees it, folded from the stored events in the store's sequence: each
 * message id appears once, at the position of its first stored version, holding its newest
 * version; a removal drops the id (a later version of it starts a new position). Events that
 * other writers stored in the session, without the adapter's extension, are skipped.
 */
export function foldMessages<M extends UIMessageLike>(events: readonly Event[]): M[] {
  const slots: { message: M | undefined }[] = [];
  const byId = new Map<string, { message: M | undefined }>();
  for (const event of events) {
    const record = storedRecord<M>(event);
    if (record === undefined) continue;
    if ('removed' in record) {
      const slot = byId.get(record.removed);
      if (slot) slot.message = undefined;
      byId.delete(record.removed);
      continue;
    }
    const slot = byId.get(record.message.id);
    if (slot) {
      slot.message = record.message;
    } else {
      const created = { message: record.message };
      byId.set(record.message.id, created);
      slots.push(created);
    }
  }
  const messages: M[] = [];
  for (const slot of slots) if (slot.message !== undefined) messages.push(slot.message);
  return messages;
}
