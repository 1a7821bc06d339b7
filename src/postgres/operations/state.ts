/**
 * The state operations of PostgresSessionService: a session's state merge, and the app and user
 * state rows (upsert, list, delete), one statement each.
 */

import { encodeStateMap } from '../../session/codec/index.js';
import { sessionNotFound } from '../../session/errors.js';
import {
  checkAppName,
  checkSessionKey,
  checkStateKey,
  checkUserKey,
  type SessionKey,
  sessionKeyOf,
  type UserKey,
  userKeyOf,
} from '../../session/keys.js';
import { APP_PREFIX, newStateMap, type StateMap, textValue, USER_PREFIX } from '../../session/state.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../../session/time.js';
import * as q from '../queries/index.js';
import { checkSessionStateUpdate, scopedValues } from './arguments.js';
import { exec, type ServiceContext } from './context.js';

function stateMap(result: { rows: q.StateRow[] }): StateMap {
  const state = newStateMap();
  for (const row of result.rows) state[row.key] = row.value === null ? null : textValue(row.value);
  return state;
}

export async function updateSessionState(
  ctx: ServiceContext,
  key: SessionKey,
  state: StateMap,
): Promise<void> {
  checkSessionKey(key);
  checkSessionStateUpdate(state);
  const delta = encodeStateMap(state, 'state');
  const updateKey = sessionKeyOf(key);
  await ctx.run('updateSessionState', async (db) => {
    // Accepted appends first: an older delta must not land over this newer state.
    await ctx.async?.settled(updateKey);
    const now = ctx.now();
    const query = q.updateSessionState(ctx.tables, {
      key: updateKey,
      delta,
      now: toSqlTimestamp(now),
      updatedAtJson: formatRfc3339Nano(now),
      expiresAt: ctx.expiry(now, ctx.options.sessionTtlMs),
    });
    if ((await exec(db, query)).rows.length === 0) throw sessionNotFound(updateKey);
  });
}

export async function updateAppState(ctx: ServiceContext, appName: string, state: StateMap): Promise<void> {
  checkAppName(appName);
  const { json, count } = scopedValues(state, APP_PREFIX);
  if (count === 0) return;
  await ctx.run('updateAppState', async (db) => {
    const now = ctx.now();
    await exec(
      db,
      q.upsertAppState(ctx.tables, appName, {
        values: json,
        now: toSqlTimestamp(now),
        expiresAt: ctx.expiry(now, ctx.options.appStateTtlMs),
      }),
    );
  });
}

export function listAppStates(ctx: ServiceContext, appName: string): Promise<StateMap> {
  checkAppName(appName);
  return ctx.run('listAppStates', async (db) =>
    stateMap(await exec<q.StateRow>(db, q.listAppState(ctx.tables, appName, toSqlTimestamp(ctx.now())))),
  );
}

export async function deleteAppState(ctx: ServiceContext, appName: string, key: string): Promise<void> {
  checkAppName(appName);
  checkStateKey('key', key);
  // The key is used as given (no `app:` trimming), as trpc-agent-go does.
  await ctx.run('deleteAppState', async (db) => {
    await exec(db, q.deleteAppState(ctx.tables, ctx.mode, appName, key, toSqlTimestamp(ctx.now())));
  });
}

export async function updateUserState(ctx: ServiceContext, key: UserKey, state: StateMap): Promise<void> {
  checkUserKey(key);
  const { json, count } = scopedValues(state, USER_PREFIX);
  if (count === 0) return;
  const userKey = userKeyOf(key);
  await ctx.run('updateUserState', async (db) => {
    const now = ctx.now();
    await exec(
      db,
      q.upsertUserState(ctx.tables, userKey, {
        values: json,
        now: toSqlTimestamp(now),
        expiresAt: ctx.expiry(now, ctx.options.userStateTtlMs),
      }),
    );
  });
}

export function listUserStates(ctx: ServiceContext, key: UserKey): Promise<StateMap> {
  checkUserKey(key);
  const userKey = userKeyOf(key);
  return ctx.run('listUserStates', async (db) =>
    stateMap(await exec<q.StateRow>(db, q.listUserState(ctx.tables, userKey, toSqlTimestamp(ctx.now())))),
  );
}

export async function deleteUserState(ctx: ServiceContext, key: UserKey, stateKey: string): Promise<void> {
  checkUserKey(key);
  checkStateKey('key', stateKey);
  const userKey = userKeyOf(key);
  await ctx.run('deleteUserState', async (db) => {
    await exec(db, q.deleteUserState(ctx.tables, ctx.mode, userKey, stateKey, toSqlTimestamp(ctx.now())));
  });
}
