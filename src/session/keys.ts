import { InvalidArgumentError, readCallerValue } from './errors.js';

/** Identifies one session: one conversation of one user with one app. */
export interface SessionKey {
  appName: string;
  userId: string;
  sessionId: string;
}

/** Identifies one user of one app; the scope of `user:` state and of `listSessions`. */
export interface UserKey {
  appName: string;
  userId: string;
}

/** The key columns are VARCHAR(255): PostgreSQL counts characters (code points), not bytes. */
export const MAX_KEY_LENGTH = 255;

/**
 * Checks one text value bound for a VARCHAR or TEXT column: PostgreSQL rejects NUL characters and
 * unpaired surrogates (they are not valid UTF-8), so they are refused here, before any write.
 */
export function checkStoredText(field: string, value: string): void {
  if (value.includes('\u0000'))
    throw new InvalidArgumentError(field, 'must not contain NUL (\\u0000) characters');
  if (!value.isWellFormed())
    throw new InvalidArgumentError(field, 'must be well-formed Unicode (no unpaired surrogates)');
}

/**
 * A byte order mark at the start of a key column's text: embedded PGlite's protocol reader drops
 * it when it reads the column back (the server keeps it), so such a key would come back as another
 * key there. Refused on every backend alike; it is almost always a file's BOM glued to an id.
 */
export const LEADING_BOM_RULE = 'must not start with U+FEFF (a byte order mark)';

function checkKeyPart(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError(field, 'is required');
  checkStoredText(field, value);
  if (value.charCodeAt(0) === 0xfeff) throw new InvalidArgumentError(field, LEADING_BOM_RULE);
  if (longerThanKey(value)) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_KEY_LENGTH} characters`);
  }
}

/**
 * Whether text holds more than MAX_KEY_LENGTH characters, in code points as VARCHAR(255) counts
 * them: an emoji is one character, two UTF-16 units.
 */
export function longerThanKey(value: string): boolean {
  return value.length > MAX_KEY_LENGTH && [...value].length > MAX_KEY_LENGTH;
}

/** Validates in the order appName, userId (as trpc-agent-go's CheckUserKey). */
export function checkUserKey(key: UserKey | null | undefined): void {
  if (key === null || typeof key !== 'object') throw new InvalidArgumentError('key', 'is required');
  checkKeyPart('appName', keyPartOf(key, 'appName'));
  checkKeyPart('userId', keyPartOf(key, 'userId'));
}

/** Validates in the order appName, userId, sessionId (as trpc-agent-go's CheckSessionKey). */
export function checkSessionKey(key: SessionKey | null | undefined): void {
  checkUserKey(key);
  checkKeyPart('sessionId', keyPartOf(key as SessionKey, 'sessionId'));
}

/** One field of a caller's key; a getter that throws is an INVALID_ARGUMENT naming the field. */
export function keyPartOf<K extends keyof SessionKey>(key: Partial<SessionKey>, name: K): unknown {
  return readCallerValue(name, () => key[name]);
}

/** Validates an app name on its own (app-state calls). */
export function checkAppName(appName: unknown): asserts appName is string {
  checkKeyPart('appName', appName);
}

/** Validates a state key given to deleteAppState / deleteUserState or stored in a state table. */
export function checkStateKey(field: string, key: unknown): asserts key is string {
  checkKeyPart(field, key);
}

/** A copy holding exactly the key fields, so callers' extra properties never leak into storage. */
export function sessionKeyOf(key: SessionKey): SessionKey {
  return { appName: key.appName, userId: key.userId, sessionId: key.sessionId };
}

/**
 * One string per session, for maps and sets keyed by session: the three parts as a JSON array, so
 * no choice of separator can make two different keys collide.
 */
export function sessionKeyId(key: SessionKey): string {
  return JSON.stringify([key.appName, key.userId, key.sessionId]);
}

export function userKeyOf(key: UserKey): UserKey {
  return { appName: key.appName, userId: key.userId };
}

/**
 * FNV-1a 32-bit hash, masked to a non-negative int as trpc-agent-go's HashString: the same string
 * lands on the same async worker in both implementations.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The hash of `appName:userId:sessionId`, used to pick a session's worker. */
export function sessionHash(key: SessionKey): number {
  return fnv1a32(`${key.appName}:${key.userId}:${key.sessionId}`);
}
