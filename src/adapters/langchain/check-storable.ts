/**
 * What PostgreSQL cannot hold (a NUL character, an unpaired surrogate), refused by the message's
 * own path. The store refuses it anyway, but names the path in the event it was handed
 * (`events[1].choices[0].message.content`), which the caller never built; this names the
 * caller's (`messages[1].content`, `messages[1].tool_calls[0].args.a`).
 */
import type { BaseMessage } from '@langchain/core/messages';
import { checkJsonValue } from '../../index.js';
import { encodeValue } from './stored-value.js';

/**
 * Checks every own field of `message` (lc_kwargs included, and fields the stored snapshot leaves
 * out because the event's Go-visible message carries them) with the store's own rule for text.
 * `path` names the message, e.g. `messages[1]`. Values that are not JSON data were refused
 * before, by the snapshot, under the same paths.
 */
export function checkStorable(message: BaseMessage, path: string): void {
  const own = message as unknown as Record<string, unknown>;
  // lc_kwargs last: it repeats most fields, and a value found there too is named by its field.
  const keys = Object.keys(message).filter((key) => key !== 'lc_kwargs');
  if (Object.hasOwn(own, 'lc_kwargs')) keys.push('lc_kwargs');
  for (const key of keys) checkJsonValue(encodeValue(own[key], `${path}.${key}`), `${path}.${key}`);
}
