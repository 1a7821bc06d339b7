/**
 * Checks of arguments every backend's methods share; each throws an InvalidArgumentError naming
 * the argument before anything is written.
 */
import { InvalidArgumentError } from './errors.js';
import { checkSessionKey, checkStateKey, type SessionKey } from './keys.js';
import { keyOfSession, type Session } from './session.js';

/** Per-call options must be an object when given. */
export function checkOptionsObject(options: unknown): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options', 'must be an object');
}

/** The key of a session object passed to a write, validated (appName, userId, sessionId). */
export function sessionArgKey(session: Session): SessionKey {
  if (session === null || typeof session !== 'object')
    throw new InvalidArgumentError('session', 'is required');
  const key = keyOfSession(session);
  checkSessionKey(key);
  return key;
}

/** A filter key names a summary row (VARCHAR(255)); `''` is the full session. */
export function checkFilterKey(filterKey: unknown): asserts filterKey is string {
  if (typeof filterKey !== 'string') throw new InvalidArgumentError('filterKey', 'must be a string');
  if (filterKey !== '') checkStateKey('filterKey', filterKey);
}

/** `force` of the summary calls must be a boolean. */
export function checkForce(force: unknown): asserts force is boolean {
  if (typeof force !== 'boolean') throw new InvalidArgumentError('force', 'must be a boolean');
}
