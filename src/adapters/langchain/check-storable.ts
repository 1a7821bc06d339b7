/**
 * What PostgreSQL cannot hold (a NUL character, an unpaired surrogate), refused by the message's
 * own path. The store refuses it anyway, but names the path in the event it was handed
 * (`events[1].choices[0].message.content`), which the caller never built; this names the
 * caller's (`messages[1].content`, `messages[1].tool_calls[0].args.a`).
 */
import type { BaseMessage } from '@langchain/core/messages';
import { checkEvent, InvalidArgumentError, isAgentSessionsError } from '../../index.js';
import { EXTENSION_KEY } from './message-event.js';
import { encodeValue } from './stored-value.js';

/** Where the probe event holds the message's fields; the store's error paths start with it. */
const PROBE_PATH = `event.extensions[${JSON.stringify(EXTENSION_KEY)}]`;

/**
 * Checks every own field of `message` (lc_kwargs included, and fields the stored snapshot leaves
 * out because the event's Go-visible message carries them) with the store's own rule for text.
 * `path` names the message, e.g. `messages[1]`. Values that are not JSON data were refused
 * before, by the snapshot, under the same paths.
 */
export function checkStorable(message: BaseMessage, path: string): void {
  const own = message as unknown as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  // lc_kwargs last: it repeats most fields, and a value found there too is named by its field.
  const keys = Object.keys(message).filter((key) => key !== 'lc_kwargs');
  if (Object.hasOwn(own, 'lc_kwargs')) keys.push('lc_kwargs');
  for (const key of keys) {
    Object.defineProperty(fields, key, {
      value: encodeValue(own[key], `${path}.${key}`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  try {
    checkEvent({
      author: '',
      id: '',
      invocationId: '',
      timestamp: new Date(0),
      extensions: { [EXTENSION_KEY]: fields },
    });
  } catch (error) {
    if (isAgentSessionsError(error, 'INVALID_ARGUMENT') && error.field?.startsWith(PROBE_PATH)) {
      const rule = error.message.slice(error.field.length + 1);
      throw new InvalidArgumentError(path + error.field.slice(PROBE_PATH.length), rule, { cause: error });
    }
    throw error;
  }
}
