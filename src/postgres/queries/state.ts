/**
 * Statements on app and user state (the app_states and user_states tables). Keys are stored
 * without their `app:`/`user:` prefix, values as raw text, as trpc-agent-go stores them.
 */
import type { UserKey } from '../../session/keys.js';
import type { TableNames } from '../schema/index.js';
import type { DeleteMode } from './sessions.js';
import { isLive, Params, type SqlQuery } from './sql.js';

/** A row of the list statements: the key without prefix, the TEXT value or null. */
export interface StateRow {
  key: string;
  value: string | null;
}

/**
 * Upserts every key of `values` (a JSON object of key to text or null) in ONE statement: a
 * multi-row INSERT from jsonb_each_text with ON CONFLICT on the live-row unique index, instead of
 * a statement per key. The object's keys are distinct, which the upsert needs (one statement may
 * not change the same row twice).
 */
function upsert(
  table: string,
  owner: { columns: string; values: string },
  conflict: string,
  p: Params,
  a: UpsertArgs,
): string {
  const now = p.add(a.now, 'timestamp');
  const expires = p.add(a.expiresAt, 'timestamp');
  return `INSERT INTO ${table} (${owner.columns}, key, value, created_at, updated_at, expires_at, deleted_at)
SELECT ${owner.values}, kv.key, kv.value, ${now}, ${now}, ${expires}, NULL
FROM jsonb_each_text(${p.add(a.values, 'jsonb')}) AS kv(key, value)
ON CONFLICT (${conflict}) WHERE deleted_at IS NULL
DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at`;
}

interface UpsertArgs {
  /** JSON object text: `{"key": "text" | null, ...}`. */
  values: string;
  now: string;
  expiresAt: string | null;
}

export function upsertAppState(t: TableNames, appName: string, a: UpsertArgs): SqlQuery {
  const p = new Params();
  const app = p.add(appName, 'text');
  const text = upsert(t.appStates.qualified, { columns: 'app_name', values: app }, 'app_name, key', p, a);
  return { text, params: p.values };
}

export function upsertUserState(t: TableNames, key: UserKey, a: UpsertArgs): SqlQuery {
  const p = new Params();
  const owner = {
    columns: 'app_name, user_id',
    values: `${p.add(key.appName, 'text')}, ${p.add(key.userId, 'text')}`,
  };
  const text = upsert(t.userStates.qualified, owner, 'app_name, user_id, key', p, a);
  return { text, params: p.values };
}

export function listAppState(t: TableNames, appName: string, now: string): SqlQuery {
  const p = new Params();
  const text = `SELECT key, value FROM ${t.appStates.qualified}
WHERE app_name = ${p.add(appName, 'text')} AND ${isLive(p.add(now, 'timestamp'))}`;
  return { text, params: p.values };
}

export function listUserState(t: TableNames, key: UserKey, now: string): SqlQuery {
  const p = new Params();
  const text = `SELECT key, value FROM ${t.userStates.qualified}
WHERE app_name = ${p.add(key.appName, 'text')} AND user_id = ${p.add(key.userId, 'text')}
  AND ${isLive(p.add(now, 'timestamp'))}`;
  return { text, params: p.values };
}

function removeKey(mode: DeleteMode, table: string, where: string, p: Params, now: string): string {
  return mode === 'soft'
    ? `UPDATE ${table} SET deleted_at = ${p.add(now, 'timestamp')} WHERE ${where} AND deleted_at IS NULL`
    : `DELETE FROM ${table} WHERE ${where}`;
}

export function deleteAppState(
  t: TableNames,
  mode: DeleteMode,
  appName: string,
  key: string,
  now: string,
): SqlQuery {
  const p = new Params();
  const where = `app_name = ${p.add(appName, 'text')} AND key = ${p.add(key, 'text')}`;
  return { text: removeKey(mode, t.appStates.qualified, where, p, now), params: p.values };
}

export function deleteUserState(
  t: TableNames,
  mode: DeleteMode,
  user: UserKey,
  key: string,
  now: string,
): SqlQuery {
  const p = new Params();
  const where = `app_name = ${p.add(user.appName, 'text')} AND user_id = ${p.add(user.userId, 'text')} AND key = ${p.add(key, 'text')}`;
  return { text: removeKey(mode, t.userStates.qualified, where, p, now), params: p.values };
}
