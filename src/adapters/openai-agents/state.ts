/**
 * State for an OpenAI Agents run, in the store's three scopes: the values a run's context needs
 * are read from, and written back to, the session (no prefix), the app (`app:`) and the user
 * (`user:`), with the core service's semantics; `temp:` values belong to one run and are never
 * stored.
 */
import {
  APP_PREFIX,
  checkStateKey,
  checkStateMap,
  jsonValue,
  newStateMap,
  readCallerValue,
  type SessionKey,
  type SessionService,
  type StateMap,
  TEMP_PREFIX,
  USER_PREFIX,
} from '../../index.js';

/** JSON values by state key; app and user values under their `app:` and `user:` prefixes. */
export type StateValues = Record<string, unknown>;

const decoder = new TextDecoder();

/** A stored value as JSON when it is JSON text (what {@link splitByScope} writes), else as text. */
function decodedValue(bytes: Uint8Array | null | undefined): unknown {
  if (bytes === null || bytes === undefined) return null;
  const text = decoder.decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A state map's values, decoded (keys as they are, `__proto__` included). */
export function stateValues(state: StateMap | undefined): StateValues {
  const out: StateValues = {};
  for (const [key, bytes] of Object.entries(state ?? {})) {
    Object.defineProperty(out, key, {
      value: decodedValue(bytes),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Values split into the three stored scopes, each as JSON bytes; `temp:` keys and undefined values dropped. */
export function splitByScope(values: StateValues): { session: StateMap; app: StateMap; user: StateMap } {
  const scopes = { session: newStateMap(), app: newStateMap(), user: newStateMap() };
  for (const [key, value] of readCallerValue('state', () => Object.entries(values))) {
    if (value === undefined || key.startsWith(TEMP_PREFIX)) continue;
    const scope = key.startsWith(APP_PREFIX)
      ? scopes.app
      : key.startsWith(USER_PREFIX)
        ? scopes.user
        : scopes.session;
    scope[key] = jsonValue(value, `state[${JSON.stringify(key)}]`);
  }
  return scopes;
}

/**
 * Writes values to their scopes: session keys to the session (created first by `ensure` when
 * missing), `app:` keys to the app, `user:` keys to the user.
 */
export async function writeStateValues(
  service: SessionService,
  key: SessionKey,
  values: StateValues,
  ensure: () => Promise<void>,
): Promise<void> {
  const { session, app, user } = splitByScope(values);
  // The three scopes are three writes: every key is checked before the first, as each write would
  // check its own, so a key refused in one scope does not leave the others written.
  checkStateMap('state', session);
  for (const [prefix, scope] of [
    [APP_PREFIX, app],
    [USER_PREFIX, user],
  ] as const) {
    for (const key of Object.keys(scope))
      checkStateKey(`state[${JSON.stringify(key)}]`, key.slice(prefix.length));
  }
  if (Object.keys(app).length > 0) await service.updateAppState(key.appName, app);
  if (Object.keys(user).length > 0) await service.updateUserState(key, user);
  if (Object.keys(session).length === 0) return;
  try {
    await service.updateSessionState(key, session);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'NOT_FOUND') throw error;
    await ensure();
    await service.updateSessionState(key, session);
  }
}
