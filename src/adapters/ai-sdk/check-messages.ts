import { checkJsonValue, InvalidArgumentError, readCallerValue } from '../../index.js';
import type { UIMessageLike } from './stored-message.js';

const ROLES = new Set(['system', 'user', 'assistant']);

/**
 * Checks a list of UI messages before anything of it is written, so a save stores all of its
 * messages or none: each is an object with a non-empty string `id` (the key a save upserts by; the
 * AI SDK leaves a streamed response's id empty unless the route passes `generateMessageId`), a known
 * role, and a `parts` array; no id appears twice.
 */
export function checkMessages<M extends UIMessageLike>(messages: readonly M[], field = 'messages'): void {
  if (!Array.isArray(messages)) throw new InvalidArgumentError(field, 'must be an array of UI messages');
  const seen = new Map<string, number>();
  const list = readCallerValue(field, () => [...messages]);
  list.forEach((message, i) => {
    const at = `${field}[${i}]`;
    // A getter or Proxy trap of the caller's that throws is refused naming the message.
    readCallerValue(at, () => checkMessage(message, at, field, seen, i));
  });
}

/** One message of checkMessages: its shape, and its id not seen before in the list. */
function checkMessage<M extends UIMessageLike>(
  message: M,
  at: string,
  field: string,
  seen: Map<string, number>,
  i: number,
): void {
  if (message === null || typeof message !== 'object')
    throw new InvalidArgumentError(at, 'must be a UI message object');
  if (typeof message.id !== 'string' || message.id === '')
    throw new InvalidArgumentError(
      `${at}.id`,
      'must be a non-empty string (pass generateMessageId to toUIMessageStreamResponse so responses get ids)',
    );
  if (!ROLES.has(message.role))
    throw new InvalidArgumentError(`${at}.role`, 'must be "system", "user" or "assistant"');
  if (!Array.isArray(message.parts)) throw new InvalidArgumentError(`${at}.parts`, 'must be an array');
  const earlier = seen.get(message.id);
  if (earlier !== undefined)
    throw new InvalidArgumentError(
      `${at}.id`,
      `must be unique in the list (${field}[${earlier}] has it too)`,
    );
  seen.set(message.id, i);
}

/**
 * Checks that a message can be stored exactly (JSON that PostgreSQL accepts: no NUL, no unpaired
 * surrogates, no functions, cycles or non-finite numbers), naming the offending value by its path
 * in the caller's list, e.g. `messages[2].parts[0].text`.
 */
export function checkStorable(message: UIMessageLike, at: string): void {
  checkJsonValue(message, at);
}
