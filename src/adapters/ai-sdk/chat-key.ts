import { InvalidArgumentError, type SessionKey } from '../../index.js';

/**
 * Which chat: the AI SDK's chat id is the session id, the user id is the session's user, and the
 * store's `appName` (one per store) is the session's app. The same chat id under two users is two
 * chats.
 */
export interface ChatKey {
  userId: string;
  chatId: string;
}

export function sessionKeyOf(appName: string, key: ChatKey): SessionKey {
  if (key === null || typeof key !== 'object')
    throw new InvalidArgumentError('chat', 'must be { userId, chatId }');
  if (typeof key.chatId !== 'string' || key.chatId === '')
    throw new InvalidArgumentError('chat.chatId', 'must be a non-empty string');
  if (typeof key.userId !== 'string' || key.userId === '')
    throw new InvalidArgumentError('chat.userId', 'must be a non-empty string');
  return { appName, userId: key.userId, sessionId: key.chatId };
}
