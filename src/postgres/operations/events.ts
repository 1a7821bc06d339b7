/**
 * The event operations of PostgresSessionService: appendEvent (hooks, the caller's copy, then one
 * statement or the background writer), appendEvents (the same for a list, written in one
 * statement) and getEventWindow.
 */

import { appendArgs, encodeEventsArg, eventWindowArgs } from '../../session/arguments.js';
import { encodeEvent, encodeStateMap } from '../../session/codec/index.js';
import { anchorNotFound, sessionNotFound } from '../../session/errors.js';
import { type Event, isPersistableEvent } from '../../session/event.js';
import { applyToCallerSession, runAppendEventHooks } from '../../session/hooks.js';
import { type SessionKey, sessionKeyId, sessionKeyOf } from '../../session/keys.js';
import { type AppendEventOptions, type EventWindowOptions, MAX_COUNT } from '../../session/options.js';
import { type Session, storedIncarnation } from '../../session/session.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../../session/time.js';
import { inWindow, windowRoles } from '../../session/window.js';
import type { SqlExecutor } from '../../sql/client.js';
import { EnqueueAbortedError } from '../async/errors.js';
import { appendEventsBatch, type EventBatchItem } from '../queries/append-batch.js';
import * as q from '../queries/index.js';
import { byStoredOrder, decodeEvents } from '../read/session-rows.js';
import { exec, type ServiceContext } from './context.js';

export async function appendEvent(
  ctx: ServiceContext,
  session: Session,
  event: Event,
  options: AppendEventOptions,
): Promise<void> {
  const key = appendArgs(session, options);
  // A caller that has already given up changes nothing, not even its own copy.
  if (ctx.async && options.signal?.aborted) {
    throw new EnqueueAbortedError('appendEvent', options.signal.reason);
  }
  const json = encodeEvent(event);
  await runAppendEventHooks(
    ctx.options.appendEventHooks,
    { session, event, key, options, json },
    async (c, stored) => {
      const delta = c.event.stateDelta ? encodeStateMap(c.event.stateDelta, 'event.stateDelta') : '{}';
      const now = ctx.now();
      // The caller's copy changes first, even when the session turns out to be gone (as in Go).
      applyToCallerSession(c, now);
      await persistEvent(
        ctx,
        sessionKeyOf(c.key),
        {
          event: isPersistableEvent(c.event) ? stored : null,
          delta,
          now,
          source: c.event,
          // The stored session the caller's object came from (none for one made by hand), unless
          // a hook moved the event to another session: an async append is written to it only.
          born: sessionKeyId(c.key) === sessionKeyId(key) ? storedIncarnation(session) : undefined,
        },
        c.options.signal,
      );
    },
  );
}

/**
 * appendEvents: every event through the hooks and into the caller's copy, then the whole list in
 * one multi-row statement (the asynchronous writer's batch statement), so a failure or a crash
 * stores nothing of it. Never queued: with `asyncPersist` the session's accepted appends are
 * stored first, so the batch lands after them.
 */
export async function appendEvents(
  ctx: ServiceContext,
  session: Session,
  events: readonly Event[],
  options: AppendEventOptions,
): Promise<void> {
  const key = appendArgs(session, options);
  const jsons = encodeEventsArg(events);
  const writes: EventBatchItem[] = [];
  for (const [i, event] of events.entries()) {
    const input = { session, event, key, options, json: jsons[i]! };
    await runAppendEventHooks(ctx.options.appendEventHooks, input, (c, stored) => {
      const delta = c.event.stateDelta ? encodeStateMap(c.event.stateDelta, 'event.stateDelta') : undefined;
      const now = ctx.now();
      applyToCallerSession(c, now);
      writes.push({
        key: sessionKeyOf(c.key),
        eventJson: isPersistableEvent(c.event) ? stored : null,
        delta,
        now,
        ttlMs: ctx.options.sessionTtlMs,
      });
    });
  }
  if (writes.length === 0) return;
  await ctx.run('appendEvents', async (db) => {
    const keys = distinctKeys(writes);
    for (const k of keys) await ctx.async?.settled(k);
    const write = async (tx: SqlExecutor) => {
      const outcomes = await appendEventsBatch(tx, ctx.tables, writes);
      const missing = outcomes.indexOf('missing');
      // Throwing inside the transaction rolls back what was written for the other sessions.
      if (missing >= 0) throw sessionNotFound(writes[missing]!.key);
    };
    // One session (the usual case, unless a hook moved events elsewhere): one statement, atomic
    // by itself; several: one transaction, so a missing session stores nothing of the batch.
    await (keys.length === 1 ? write(db) : db.transaction(write));
  });
}

function distinctKeys(writes: readonly EventBatchItem[]): SessionKey[] {
  const byId = new Map<string, SessionKey>();
  for (const { key } of writes) byId.set(sessionKeyId(key), key);
  return [...byId.values()];
}

/**
 * Where an accepted event goes to storage: here, at once, in one statement; or, with
 * `asyncPersist`, to the background writer, resolving once it is accepted (the caller's session
 * has already changed by then, in both modes). `event` is the JSON snapshot, `source` the event
 * itself (for the failure report).
 */
function persistEvent(
  ctx: ServiceContext,
  key: SessionKey,
  write: { event: string | null; delta: string; now: Date; source: Event; born: Date | undefined },
  signal: AbortSignal | undefined,
): Promise<void> {
  if (ctx.async) {
    const accepted = ctx.async.appendEvent(
      key,
      { event: write.source, eventJson: write.event, delta: write.delta, now: write.now, born: write.born },
      signal,
    );
    return ctx.track(accepted);
  }
  return ctx.run('appendEvent', async (db) => {
    const query = q.appendEvent(ctx.tables, {
      key,
      delta: write.delta,
      event: write.event,
      now: toSqlTimestamp(write.now),
      updatedAtJson: formatRfc3339Nano(write.now),
      expiresAt: ctx.expiry(write.now, ctx.options.sessionTtlMs),
    });
    if ((await exec(db, query)).rows.length === 0) throw sessionNotFound(key);
  });
}

/**
 * The rows to read for a window side that still wants `want` shown events. A window counts only
 * the events it shows (see session/window.ts), and SQL cannot tell which those are; twice as many
 * rows and a few more cover a conversation's tool calls (about one event in four) without a
 * second round trip.
 */
const pageFor = (want: number) => (want === 0 ? 0 : Math.min(want * 2 + 8, MAX_COUNT));

export function getEventWindow(
  ctx: ServiceContext,
  key: SessionKey,
  anchorEventId: string,
  options: EventWindowOptions,
): Promise<Event[]> {
  const anchorId = eventWindowArgs(key, anchorEventId, options);
  const readKey = sessionKeyOf(key);
  const roles = windowRoles(options.roles);
  return ctx.run('getEventWindow', async (db) => {
    const now = toSqlTimestamp(ctx.now());
    const { rows } = await exec<q.EventWindowRow>(
      db,
      q.eventWindow(ctx.tables, {
        key: readKey,
        anchorId,
        before: pageFor(options.before),
        after: pageFor(options.after),
        now,
      }),
    );
    const anchorRow = rows.find((row) => row.part === 'a');
    const anchor = anchorRow ? decodeEvents([anchorRow], readKey)[0]! : undefined;
    if (!anchor || !inWindow(anchor, roles)) throw anchorNotFound(anchorId);

    /** The first `want` shown events of one side, nearest first, reading pages while it is short. */
    const side = async (part: 'b' | 'f', want: number): Promise<Event[]> => {
      const shown: Event[] = [];
      const nearestFirst = (page: q.EventWindowRow[]) =>
        page.sort(part === 'b' ? (x, y) => byStoredOrder(y, x) : byStoredOrder);
      let page = nearestFirst(rows.filter((row) => row.part === part));
      let asked = pageFor(want);
      while (shown.length < want) {
        for (const row of page) {
          const event = decodeEvents([row], readKey)[0]!;
          if (inWindow(event, roles) && shown.push(event) === want) return shown;
        }
        const last = page.at(-1);
        if (!last || page.length < asked) return shown;
        asked = pageFor(want - shown.length);
        const next = await exec<q.EventWindowRow>(
          db,
          q.eventWindowPage(ctx.tables, {
            key: readKey,
            sessionCreated: anchorRow!.session_created,
            side: part,
            createdAt: last.created_at,
            rowId: last.row_id,
            limit: asked,
            now,
          }),
        );
        page = nearestFirst(next.rows);
      }
      return shown;
    };
    const before = await side('b', options.before);
    const after = await side('f', options.after);
    return [...before.reverse(), anchor, ...after];
  });
}
