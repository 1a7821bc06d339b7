/**
 * The session operations of PostgresSessionService: create, get, list and delete. Each is one
 * statement (create: one transaction of two), its rows decoded by `read/`.
 */
import { createSessionArgs } from '../../session/arguments.js';
import { encodeSessionState } from '../../session/codec/index.js';
import { ConflictError } from '../../session/errors.js';
import { runGetSessionHooks } from '../../session/hooks.js';
import {
  checkSessionKey,
  checkUserKey,
  type SessionKey,
  sessionKeyOf,
  type UserKey,
  userKeyOf,
} from '../../session/keys.js';
import {
  checkListSessionsOptions,
  type GetSessionOptions,
  type ListSessionsOptions,
} from '../../session/options.js';
import type { CreateSessionKey } from '../../session/service.js';
import { markStoredIncarnation, newSession, type Session } from '../../session/session.js';
import { copyState, mergeScopedState, newStateMap, type StateMap, textValue } from '../../session/state.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlExecutor } from '../../sql/client.js';
import { isUniqueViolation } from '../../sql/errors.js';
import * as q from '../queries/index.js';
import {
  buildSession,
  groupRows,
  planRead,
  type ReadContext,
  type SessionRows,
  sessionOfRow,
} from '../read/session-rows.js';
import { checkOptionsObject } from './arguments.js';
import { exec, type ServiceContext } from './context.js';

function readContext(ctx: ServiceContext, db: SqlExecutor): ReadContext {
  return {
    db,
    tables: ctx.tables,
    now: ctx.now(),
    sessionTtlMs: ctx.options.sessionTtlMs,
    sessionEventLimit: ctx.options.sessionEventLimit,
  };
}

export function createSession(
  ctx: ServiceContext,
  key: CreateSessionKey,
  state?: StateMap,
): Promise<Session> {
  const sessionKey = createSessionArgs(key, state);
  const initial = copyState(state);
  const now = ctx.now();
  const envelope = encodeSessionState({
    id: sessionKey.sessionId,
    state: initial,
    createdAt: now,
    updatedAt: now,
  });
  const conflict = () =>
    new ConflictError(`session ${JSON.stringify(sessionKey.sessionId)} already exists and has not expired`, {
      field: 'sessionId',
    });
  return ctx.run(
    'createSession',
    async (db) => {
      // Appends still queued for an earlier session with this id go to that session first.
      await ctx.async?.settled(sessionKey);
      const sqlNow = toSqlTimestamp(now);
      // One transaction: the sweep of an expired session with this key and the insert commit
      // together. The partial unique index, not a prior SELECT, decides between racing creates.
      const rows = await db.transaction(async (tx) => {
        await exec(tx, q.sweepBeforeCreate(ctx.tables, ctx.mode, sessionKey, sqlNow));
        const inserted = q.insertSession(ctx.tables, {
          key: sessionKey,
          envelope,
          now: sqlNow,
          expiresAt: ctx.expiry(now, ctx.options.sessionTtlMs),
        });
        return (await exec<q.InsertSessionRow>(tx, inserted)).rows;
      });
      if (!rows.some((row) => row.kind === 'i')) throw conflict();
      const appState = newStateMap();
      const userState = newStateMap();
      for (const row of rows) {
        if (row.kind === 'i' || row.name === null) continue;
        (row.kind === 'a' ? appState : userState)[row.name] =
          row.value === null ? null : textValue(row.value);
      }
      const session = newSession(sessionKey, now, mergeScopedState(copyState(initial), appState, userState));
      // The envelope was written with `now` as its createdAt (see markStoredIncarnation).
      return markStoredIncarnation(session, now);
    },
    // A writer that takes no part in ON CONFLICT (a Go service's plain INSERT racing ours)
    // still loses on the unique index: that is the same conflict.
    (error) => (isUniqueViolation(error) ? conflict() : undefined),
  );
}

export function getSession(
  ctx: ServiceContext,
  key: SessionKey,
  options: GetSessionOptions,
): Promise<Session | null> {
  return runGetSessionHooks(ctx.options.getSessionHooks, key, options, (readKey, readOptions) =>
    ctx.run('getSession', async (db) => {
      const read = readContext(ctx, db);
      const plan = planRead(readOptions, read);
      const query = q.selectSession(ctx.tables, {
        key: readKey,
        now: toSqlTimestamp(read.now),
        events: plan.events,
        tracks: plan.tracks,
      });
      const grouped = groupRows((await exec<q.PackedRow>(db, query)).rows);
      const rows = grouped.sessions[0];
      return rows ? buildSession(readKey, rows, grouped.scoped, plan, read) : null;
    }),
  );
}

export function listSessions(
  ctx: ServiceContext,
  key: UserKey,
  options: ListSessionsOptions,
): Promise<Session[]> {
  checkUserKey(key);
  checkOptionsObject(options);
  checkListSessionsOptions(options);
  const userKey = userKeyOf(key);
  return ctx.run('listSessions', async (db) => {
    const read = readContext(ctx, db);
    const plan = planRead({ eventNum: options.eventNum, eventTime: options.eventTime }, read);
    const onlyMeta = options.onlyMeta === true;
    const query = q.selectSessions(ctx.tables, {
      key: userKey,
      now: toSqlTimestamp(read.now),
      page: options.page,
      onlyMeta,
      eventLimit: plan.events.limit,
      tracks: plan.tracks,
    });
    const { sessions, scoped } = groupRows((await exec<q.PackedRow>(db, query)).rows);
    // A literal, not a spread of userKey: spreading cost more than decoding a session's state.
    const { appName, userId } = userKey;
    const keyOf = (rows: SessionRows): SessionKey => ({ appName, userId, sessionId: rows.session.sid! });
    // Metadata needs no further query, so it is built without a promise per session.
    if (onlyMeta) return sessions.map((rows) => sessionOfRow(keyOf(rows), rows.session, scoped));
    return Promise.all(sessions.map((rows) => buildSession(keyOf(rows), rows, scoped, plan, read)));
  });
}

export async function deleteSession(ctx: ServiceContext, key: SessionKey): Promise<void> {
  checkSessionKey(key);
  const deleteKey = sessionKeyOf(key);
  await ctx.run('deleteSession', async (db) => {
    // The session's accepted appends land first, as they would have without asyncPersist.
    await ctx.async?.settled(deleteKey);
    const now = toSqlTimestamp(ctx.now());
    // Lock first, delete second, in one transaction: see queries/sessions.ts deleteSession.
    await db.transaction(async (tx) => {
      await exec(tx, q.lockLiveSession(ctx.tables, deleteKey));
      await exec(tx, q.deleteSession(ctx.tables, ctx.mode, deleteKey, now));
    });
  });
}
