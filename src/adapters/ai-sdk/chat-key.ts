import { InvalidArgumentError, readCallerValue, type SessionKey } from '../../index.js';

/**
 * Which chat: the AI SDK's chat id is the session id, the user id is the session's user, and the
 * store's `appName` (one per store) is the session's app. The same chat id under two users is two
 * chats.
 */
export interface ChatKey {
  userId: string;
  chatId: string;
}

export function sessionKeyOf(appName: string, chat: ChatKey): SessionKey {
  if (chat === null || typeof chat !== 'object')
    throw new InvalidArgumentError('chat', 'must be { userId, chatId }');
  // Read once, through readCallerValue: a getter or Proxy trap that throws is refused naming it.
  const key = readCallerValue('chat', () => ({ userId: chat.userId, chatId: chat.chatId }));
  if (typeof key.chatId !== 'string' || key.chatId === '')
    throw new InvalidArgumentError('chat.chatId', 'must be a non-empty string');
  if (typeof key.userId !== 'string' || key.userId === '')
    throw new InvalidArgumentError('chat.userId', 'must be a non-empty string');
  return { appName, userId: key.userId, sessionId: key.chatId };
}
