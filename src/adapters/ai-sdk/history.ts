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

/**
 * The last `limit` messages of a folded chat, in its order, starting at the first user message
 * among them (an answer whose question was cut off is no start for a model); when they hold none,
 * the chat's last user message before them is put in front, and a chat without any user message
 * keeps its last `limit`. Cut from the whole fold, not folded from the newest versions: a message
 * updated later keeps the position of its first version, which may lie before any bounded page.
 */
export function lastMessages<M extends UIMessageLike>(messages: readonly M[], limit: number): M[] {
  const start = Math.max(0, messages.length - limit);
  for (let i = start; i < messages.length; i++) if (messages[i]!.role === 'user') return messages.slice(i);
  for (let i = start - 1; i >= 0; i--)
    if (messages[i]!.role === 'user') return [messages[i]!, ...messages.slice(start)];
  return messages.slice(start);
}
