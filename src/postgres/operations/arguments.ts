import { checkStateKey } from '../../session/keys.js';
import { checkStateMap, type StateMap, stateValueToText, trimPrefix } from '../../session/state.js';

export {
  anchorIdArg,
  checkFilterKey,
  checkForce,
  checkOptionsObject,
  checkSessionStateUpdate,
  checkTrackEventArg,
  checkTrackEventsArgs,
  sessionArgKey,
  summaryTextArgs,
} from '../../session/arguments.js';

/**
 * An app or user state update as the JSON object the upsert reads (key without `prefix` to text
 * or null), validated whole before anything is written: TEXT columns hold UTF-8 without NUL.
 */
export function scopedValues(state: StateMap, prefix: string): { json: string; count: number } {
  checkStateMap('state', state);
  const values: Record<string, string | null> = Object.create(null);
  let count = 0;
  for (const [rawKey, value] of Object.entries(state)) {
    const field = `state[${JSON.stringify(rawKey)}]`;
    const key = trimPrefix(rawKey, prefix);
    checkStateKey(field, key);
    values[key] = stateValueToText(field, value);
    count++;
  }
  return { json: JSON.stringify(values), count };
}

/** Standard padded base64, as the envelope stores byte values. */
export const base64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
