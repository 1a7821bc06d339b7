/**
 * The two asynchronous persisters a PostgreSQL service runs, as trpc-agent-go runs them: one for
 * events, sharded by session, and one for track events, sharded by session and track. Each binds
 * the generic {@link AsyncPersister} to its batch statement.
 */
import { sessionNotFound } from '../../session/errors.js';
import { type SessionKey, sessionHash } from '../../session/keys.js';
import type { SqlClient } from '../../sql/client.js';
import { appendEventsBatch, type EventBatchItem, retryEventsBatch } from '../queries/append-batch.js';
import { appendTrackEventsBatch, type TrackBatchItem } from '../queries/append-track-batch.js';
import type { BatchOutcome } from '../queries/batch.js';
import type { TableNames } from '../schema/index.js';
import { AsyncPersister, type AsyncPersisterOptions } from './persister.js';

/** Options shared by both persisters; the defaults are {@link AsyncPersister}'s. */
export type PostgresPersisterOptions<Item extends { readonly key: SessionKey }> = Omit<
  AsyncPersisterOptions<Item>,
  'operation' | 'shardOf' | 'writeBatch'
> & {
  /** The database, or how to reach it (a failure to connect counts as transient and is retried). */
  client: SqlClient | (() => Promise<SqlClient>);
  tables: TableNames;
};

/**
 * The worker of an event or a track event: its session's hash (FNV-1a of `app:user:session`), as
 * Go's `sess.Hash % n` for events. Go shards track events by `app:user:session:track`, which keeps
 * each track's order but lets two tracks of one session land in either order, and the session's
 * `tracks` index then lists them in landing order rather than first-append order. One worker per
 * session keeps both orders.
 */
function sessionShard(item: { key: SessionKey }): number {
  return sessionHash(item.key);
}

function connector(client: SqlClient | (() => Promise<SqlClient>)): () => Promise<SqlClient> {
  return typeof client === 'function' ? client : () => Promise.resolve(client);
}

/**
 * Each item's error, as the synchronous append throws it: a NotFoundError for an item whose
 * session was missing, or the error the batch gave the item itself.
 */
function perItem(
  outcomes: (BatchOutcome | Error)[],
  items: readonly { key: SessionKey }[],
): (Error | undefined)[] {
  return outcomes.map((outcome, i) =>
    outcome instanceof Error ? outcome : outcome === 'missing' ? sessionNotFound(items[i]!.key) : undefined,
  );
}

/**
 * The persister of appendEvent: each batch is one statement (see appendEventsBatch), a retry one
 * short transaction (see retryEventsBatch).
 */
export function createEventPersister(
  options: PostgresPersisterOptions<EventBatchItem>,
): AsyncPersister<EventBatchItem> {
  const { client, tables, ...rest } = options;
  const connect = connector(client);
  return new AsyncPersister<EventBatchItem>({
    weigh: (item) => (item.eventJson?.length ?? 0) + (item.delta?.length ?? 0),
    ...rest,
    operation: 'appendEvent',
    shardOf: sessionShard,
    writeBatch: async (items, attempt) => {
      const db = await connect();
      const outcomes = attempt.retried
        ? await retryEventsBatch(db, tables, items)
        : await appendEventsBatch(db, tables, items);
      return perItem(outcomes, items);
    },
  });
}

/** The persister of appendTrackEvent: each batch is one short transaction (see appendTrackEventsBatch). */
export function createTrackPersister(
  options: PostgresPersisterOptions<TrackBatchItem>,
): AsyncPersister<TrackBatchItem> {
  const { client, tables, ...rest } = options;
  const connect = connector(client);
  return new AsyncPersister<TrackBatchItem>({
    weigh: (item) => item.eventJson.length,
    ...rest,
    operation: 'appendTrackEvent',
    shardOf: sessionShard,
    writeBatch: async (items, attempt) => {
      const db = await connect();
      return perItem(await appendTrackEventsBatch(db, tables, items, { retried: attempt.retried }), items);
    },
  });
}
