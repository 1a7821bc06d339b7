/**
 * replaceEvents of PostgresSessionService: one transaction that locks the session row, checks the
 * preconditions against what it then reads, removes the replaced events and writes the new ones
 * with the state delta, after the session's accepted background appends have landed.
 */

import { decodeSessionState } from '../../session/codec/index.js';
import { sessionNotFound } from '../../session/errors.js';
import type { SessionKey } from '../../session/keys.js';
import type { ReplaceEventsRequest } from '../../session/options.js';
import {
  checkReplacePreconditions,
  type ReplaceEventsArgs,
  replaceEventsArgs,
} from '../../session/replace-events.js';
import { newStateMap, type StateMap } from '../../session/state.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlExecutor } from '../../sql/client.js';
import { appendEventsBatch, type EventBatchItem } from '../queries/append-batch.js';
import * as q from '../queries/index.js';
import { decodeStored } from '../read/session-rows.js';
import { exec, type ServiceContext } from './context.js';

export async function replaceEvents(
  ctx: ServiceContext,
  key: SessionKey,
  request: ReplaceEventsRequest,
): Promise<void> {
  const args = replaceEventsArgs(key, request);
  await ctx.run('replaceEvents', async (db) => {
    // Accepted appends first: the preconditions must see every event appended before the call.
    await ctx.async?.settled(args.key);
    await db.transaction((tx) => replaceInTransaction(ctx, tx, args));
  });
}

async function replaceInTransaction(
  ctx: ServiceContext,
  tx: SqlExecutor,
  args: ReplaceEventsArgs,
): Promise<void> {
  const { key, expectedEventIds: expected } = args;
  // The lock comes first, as popEvent's: appends that committed while it waited are read below,
  // and none can commit after, until this transaction ends.
  const locked = await exec<q.LockedStateRow>(tx, q.lockLiveSession(ctx.tables, key, true));
  const row = locked.rows[0];
  if (!row) throw sessionNotFound(key);
  const limit = expected === undefined ? null : expected.length;
  const newest =
    limit === 0 ? [] : (await exec<q.NewestEventRow>(tx, q.newestEvents(ctx.tables, key, limit))).rows;
  const oldestFirst = [...newest].reverse();
  const storedIds = expected === undefined ? undefined : oldestFirst.map((r) => r.event_id ?? '');
  // Throwing here rolls the transaction back: nothing was changed yet anyway.
  checkReplacePreconditions(args, storedIds, storedState(key, row.body));

  const now = ctx.now();
  const at = toSqlTimestamp(now);
  if (newest.length > 0) {
    const rowIds = newest.map((r) => r.row_id);
    await exec(tx, q.removeEventRows(ctx.tables, ctx.mode, key, rowIds, at));
  }
  if (expected === undefined) await exec(tx, q.removeSummaries(ctx.tables, ctx.mode, key, at));
  const writes: EventBatchItem[] = args.events.map((event) => ({
    key,
    eventJson: event.persistable ? event.json : null,
    delta: event.delta,
    now,
    ttlMs: ctx.options.sessionTtlMs,
  }));
  // The request's state last (it wins over the events' deltas); as an unstored event, this item
  // also makes the batch move updated_at and the TTL when there are no events at all.
  writes.push({ key, eventJson: null, delta: args.stateDelta, now, ttlMs: ctx.options.sessionTtlMs });
  const outcomes = await appendEventsBatch(tx, ctx.tables, writes);
  if (outcomes.includes('missing')) throw sessionNotFound(key);
}

/** The session's own state, from its locked row's envelope. */
function storedState(key: SessionKey, body: string | null): StateMap {
  if (body === null) return newStateMap();
  return decodeStored('session state', key, undefined, body, decodeSessionState).state;
}
