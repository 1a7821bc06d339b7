/**
 * popEvent and clearEvents of PostgresSessionService: taking events out of a session that stays,
 * each in one statement after locking the session row, after the session's accepted background
 * appends have landed.
 */

import { decodeEvent } from '../../session/codec/index.js';
import { sessionNotFound } from '../../session/errors.js';
import type { Event } from '../../session/event.js';
import { checkSessionKey, type SessionKey, sessionKeyOf } from '../../session/keys.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../../session/time.js';
import * as q from '../queries/index.js';
import { decodeStored } from '../read/session-rows.js';
import { exec, type ServiceContext } from './context.js';

/** The time arguments of both statements: a write to the session, as any other. */
function removalArgs(ctx: ServiceContext, key: SessionKey): q.EventRemovalArgs {
  const now = ctx.now();
  return {
    key,
    now: toSqlTimestamp(now),
    updatedAtJson: formatRfc3339Nano(now),
    expiresAt: ctx.expiry(now, ctx.options.sessionTtlMs),
  };
}

export function popEvent(ctx: ServiceContext, key: SessionKey): Promise<Event | undefined> {
  checkSessionKey(key);
  const popKey = sessionKeyOf(key);
  return ctx.run('popEvent', async (db) => {
    // The session's accepted appends land first: the newest event may still be queued.
    await ctx.async?.settled(popKey);
    const query = q.popEvent(ctx.tables, ctx.mode, removalArgs(ctx, popKey));
    // The session row is locked first, in the same transaction, as deleteSession does: the
    // statement then reads the events in a snapshot that holds every append that committed
    // while it waited, so the newest event is the one taken (see queries/sessions.ts).
    const { rows } = await db.transaction(async (tx) => {
      await exec(tx, q.lockLiveSession(ctx.tables, popKey));
      return exec<q.PopEventRow>(tx, query);
    });
    if (!rows.some((row) => row.kind === 's')) throw sessionNotFound(popKey);
    const removed = rows.find((row) => row.kind === 'e');
    if (!removed?.body) return undefined;
    return decodeStored('event', popKey, removed.row_id ?? undefined, removed.body, decodeEvent);
  });
}

export async function clearEvents(ctx: ServiceContext, key: SessionKey): Promise<void> {
  checkSessionKey(key);
  const clearKey = sessionKeyOf(key);
  await ctx.run('clearEvents', async (db) => {
    // Accepted appends first, so an event appended before the call is cleared with the rest.
    await ctx.async?.settled(clearKey);
    const query = q.clearEvents(ctx.tables, ctx.mode, removalArgs(ctx, clearKey));
    // Lock first, as deleteSession: an append that committed while this waited is cleared too.
    const { rows } = await db.transaction(async (tx) => {
      await exec(tx, q.lockLiveSession(ctx.tables, clearKey));
      return exec(tx, query);
    });
    if (rows.length === 0) throw sessionNotFound(clearKey);
  });
}
