/**
 * The session operations of InMemorySessionService: create, get (through the get-session hooks)
 * and list, as functions of the service's store and options.
 */
import { checkOptionsObject, createSessionArgs } from '../session/arguments.js';
import { ConflictError } from '../session/errors.js';
import { runGetSessionHooks } from '../session/hooks.js';
import { checkUserKey, type SessionKey, type UserKey } from '../session/keys.js';
import {
  checkListSessionsOptions,
  type GetSessionOptions,
  type ListSessionsOptions,
} from '../session/options.js';
import type { CreateSessionKey } from '../session/service.js';
import type { Session } from '../session/session.js';
import { copyState, type StateMap } from '../session/state.js';
import { compareTime } from '../session/time.js';
import type { MemoryContext } from './context.js';
import { readSession } from './read.js';
import type { SessionRecord } from './records.js';
import { expiryOf, isLive } from './state-table.js';

export async function createSession(
  mem: MemoryContext,
  key: CreateSessionKey,
  state?: StateMap,
): Promise<Session> {
  const sessionKey = createSessionArgs(key, state);
  const now = mem.store.now();
  const existing = mem.store.sessions.get(sessionKey);
  if (existing && isLive(existing.expiresAt, now.getTime())) {
    throw new ConflictError(
      `session ${JSON.stringify(sessionKey.sessionId)} already exists and has not expired`,
      {
        field: 'sessionId',
      },
    );
  }
  // An expired session with the same key is replaced whole: the new one starts empty.
  const record: SessionRecord = {
    key: sessionKey,
    state: copyState(state),
    events: [],
    tracks: new Map(),
    summaries: new Map(),
    createdAt: now,
    updatedAt: now,
    expiresAt: expiryOf(now.getTime(), mem.options.sessionTtlMs),
  };
  mem.store.sessions.set(record);
  return readSession(record, { onlyMeta: true }, mem.store.readContext(sessionKey, now.getTime()));
}

export async function getSession(
  mem: MemoryContext,
  key: SessionKey,
  options: GetSessionOptions = {},
): Promise<Session | null> {
  return runGetSessionHooks(mem.options.getSessionHooks, key, options, async (readKey, readOptions) => {
    const nowMs = mem.store.nowMs();
    const record = mem.store.liveRecord(readKey, nowMs);
    if (!record) return null;
    // onlyMeta is listSessions' option alone: getSession always reads events, as on PostgreSQL.
    const read = {
      eventNum: readOptions.eventNum,
      eventTime: readOptions.eventTime,
      eventPage: readOptions.eventPage,
    };
    return readSession(record, read, mem.store.readContext(readKey, nowMs));
  });
}

export async function listSessions(
  mem: MemoryContext,
  key: UserKey,
  options: ListSessionsOptions = {},
): Promise<Session[]> {
  checkUserKey(key);
  checkOptionsObject(options);
  checkListSessionsOptions(options);
  const nowMs = mem.store.nowMs();
  const records = mem.store.sessions
    .ofUser(key)
    .filter((record) => isLive(record.expiresAt, nowMs))
    .sort(
      (a, b) =>
        compareTime(b.updatedAt, a.updatedAt) ||
        (a.key.sessionId < b.key.sessionId ? 1 : a.key.sessionId > b.key.sessionId ? -1 : 0),
    );
  const page = options.page
    ? records.slice(options.page.offset, options.page.offset + options.page.limit)
    : records;
  const ctx = mem.store.readContext(key, nowMs);
  // Only `true` leaves the events out, as on PostgreSQL (a truthy 1 or "yes" does not).
  const read = {
    eventNum: options.eventNum,
    eventTime: options.eventTime,
    onlyMeta: options.onlyMeta === true,
  };
  return page.map((record) => readSession(record, read, ctx));
}
