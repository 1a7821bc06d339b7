/**
 * Asynchronous persistence as PostgresSessionService runs it (`asyncPersist: true`): the event
 * persister and the track persister of `writers.ts`, fed by the service, flushed and
 * closed together, with each failure reported to the service's `onError` together with the
 * event (or track event) that was not stored.
 *
 * It also keeps the service's own calls in order per session: a synchronous write to a session
 * (delete, state update, re-create) first waits for that session's accepted appends, so
 * `append; delete` never leaves the append to land on nothing (or on the next session with
 * that id), and `append; updateSessionState` never has the older append overwrite the newer state.
 * The persisters report completion only as a whole (flush), so such a write waits for a round
 * covering everything accepted until then; a session with nothing pending does not wait at all,
 * so creating a new session never waits.
 */
import type { Event } from '../../session/event.js';
import { type SessionKey, sessionKeyId } from '../../session/keys.js';
import type { PersisterObserver } from '../../session/observers.js';
import type { ErrorReporter } from '../../session/service-options.js';
import type { TrackEvent } from '../../session/track.js';
import type { SqlClient } from '../../sql/client.js';
import type { EventBatchItem } from '../queries/append-batch.js';
import type { TrackBatchItem } from '../queries/append-track-batch.js';
import type { TableNames } from '../schema/index.js';
import { AsyncWriteError } from './errors.js';
import type { AsyncPersister, PersistFailure } from './persister.js';
import { createEventPersister, createTrackPersister } from './writers.js';

/** An event on its way to storage: the batch item, plus the event itself for failure reports. */
interface QueuedEvent extends EventBatchItem {
  readonly event: Event;
}

/** A track event on its way to storage, as {@link QueuedEvent}. */
interface QueuedTrackEvent extends TrackBatchItem {
  readonly trackEvent: TrackEvent;
}

export interface AsyncWritesOptions {
  /** The service's connection (connects lazily; a failure to connect is retried as transient). */
  client: () => Promise<SqlClient>;
  tables: TableNames;
  /** Workers per persister (asyncPersisterNum). */
  workers: number;
  sessionTtlMs: number;
  trackEventTtlMs: number;
  onError: ErrorReporter;
  /** Hides the service's secrets in the messages of failed writes. */
  redact?: (text: string) => string;
  /** Told of acceptances, batches, failures and retries of both persisters (metrics, logs). */
  observer?: PersisterObserver;
}

/** What the service hands over for one accepted appendEvent. */
export interface EventWrite {
  /** The event after the hooks: reported to onError if it is not stored. */
  event: Event;
  /** The event JSON, or null for an event that is not stored (its delta still is). */
  eventJson: string | null;
  /** The encoded state delta (`{}` when the event has none). */
  delta: string;
  now: Date;
  /** The creation time of the session the append was made on (see EventBatchItem.born). */
  born: Date | undefined;
}

/** What the service hands over for one accepted appendTrackEvent. */
export interface TrackWrite {
  trackEvent: TrackEvent;
  eventJson: string;
  now: Date;
  /** The creation time of the session the append was made on (see TrackBatchItem.born). */
  born: Date | undefined;
}

/** A session's appends as far as ordering needs them. */
interface SessionWrites {
  /** The acceptance number of the session's latest accepted append. */
  seq: number;
  /** Appends of the session still waiting for room in a full queue (each resolves, never rejects). */
  waiting: Set<Promise<void>>;
}

/** A round of waiting for everything accepted up to `upTo` to be stored or reported. */
interface Settling {
  upTo: number;
  done: Promise<void>;
}

/**
 * How many sessions may be remembered as having unsettled appends before a settling round is
 * started in the background to forget the settled ones: bounds the bookkeeping of a service that
 * appends to many sessions and never flushes.
 */
const MAX_TRACKED_SESSIONS = 10_000;

/**
 * The two background writers of one service. Items are snapshots taken when the append is
 * accepted (JSON text, not the caller's objects), so a caller changing its event afterwards
 * cannot change what is written.
 */
export class AsyncWrites {
  readonly #o: AsyncWritesOptions;
  readonly #events: AsyncPersister<EventBatchItem>;
  readonly #tracks: AsyncPersister<TrackBatchItem>;
  readonly #sessions = new Map<string, SessionWrites>();
  /** Appends accepted so far (both persisters); each gets the next number. */
  #accepted = 0;
  /** Every append numbered up to this one is stored or reported. */
  #settledUpTo = 0;
  /** The latest settling round, which later waits may share. */
  #settling: Settling | undefined;
  /** Every round under way: flush() waits for them all, so it sees every failure they collect. */
  readonly #rounds = new Set<Promise<void>>();
  /** Failures collected by settling rounds, for the next flush() to report: events, tracks. */
  #failures: [AsyncWriteError[], AsyncWriteError[]] = [[], []];

  constructor(options: AsyncWritesOptions) {
    this.#o = options;
    const { client, tables, workers, onError, observer, redact } = options;
    this.#events = createEventPersister({
      client,
      tables,
      workers,
      observer,
      redact,
      onError: (error, failure: PersistFailure<EventBatchItem>) =>
        onError(error, { ...failure, event: (failure.item as QueuedEvent).event }),
    });
    this.#tracks = createTrackPersister({
      client,
      tables,
      workers,
      observer,
      redact,
      onError: (error, failure: PersistFailure<TrackBatchItem>) =>
        onError(error, { ...failure, trackEvent: (failure.item as QueuedTrackEvent).trackEvent }),
    });
  }

  /** Items queued in both persisters and not yet taken by a worker. */
  get depth(): number {
    return this.#events.depth + this.#tracks.depth;
  }

  /** Accepted appends (both persisters) not yet stored or reported. */
  get pending(): number {
    return this.#events.pending + this.#tracks.pending;
  }

  /** Callers waiting for room in a full queue. */
  get waiting(): number {
    return this.#events.waiting + this.#tracks.waiting;
  }

  /** Resolves once the event is accepted (waiting while its worker's queue is full). */
  appendEvent(key: SessionKey, write: EventWrite, signal?: AbortSignal): Promise<void> {
    const item: QueuedEvent = {
      key,
      event: write.event,
      eventJson: write.eventJson,
      delta: write.delta,
      now: write.now,
      ttlMs: this.#o.sessionTtlMs,
      born: write.born,
    };
    return this.#note(key, this.#events.enqueue(item, signal));
  }

  /**
   * Resolves once the track event is accepted. The session's `tracks` index is not sent: the
   * batch computes it from the stored row under its lock, so a track added meanwhile by another
   * writer (another process, a Go service) is never dropped from the index.
   */
  appendTrackEvent(key: SessionKey, write: TrackWrite, signal?: AbortSignal): Promise<void> {
    const item: QueuedTrackEvent = {
      key,
      trackEvent: write.trackEvent,
      track: write.trackEvent.track,
      eventJson: write.eventJson,
      timestamp: write.trackEvent.timestamp,
      now: write.now,
      sessionTtlMs: this.#o.sessionTtlMs,
      trackTtlMs: this.#o.trackEventTtlMs,
      born: write.born,
    };
    return this.#note(key, this.#tracks.enqueue(item, signal));
  }

  /**
   * Resolves when every append of `key` made before the call is stored or reported (at once when
   * it has none pending). A failure among them is kept for the next flush(), not thrown here.
   */
  async settled(key: SessionKey): Promise<void> {
    const writes = this.#sessions.get(sessionKeyId(key));
    if (!writes) return;
    while (writes.waiting.size > 0) await Promise.all(writes.waiting);
    if (writes.seq > this.#settledUpTo) await this.#settle(writes.seq);
  }

  /**
   * Resolves when every item accepted before the call is stored or reported. Rejects with the
   * persister's AsyncWriteError (code STORAGE) when writes failed since the last flush, or with an
   * AggregateError of two when both events and track events failed; the failures are then
   * cleared.
   */
  async flush(): Promise<void> {
    // An earlier round may have taken a failure from a persister and not yet recorded it.
    const earlier = [...this.#rounds];
    await this.#settle(Number.POSITIVE_INFINITY);
    await Promise.all(earlier);
    const [events, tracks] = this.#failures;
    this.#failures = [[], []];
    const errors = [combine(events, 'appendEvent'), combine(tracks, 'appendTrackEvent')].filter(
      (error): error is AsyncWriteError => error !== undefined,
    );
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, 'asynchronous writes of events and of track events failed');
    }
  }

  /**
   * Refuses new items (CLOSED) and writes everything accepted. Resolves after the drain even when
   * writes failed: each failure went to onError.
   */
  async close(): Promise<void> {
    await Promise.all([this.#events.close(), this.#tracks.close()]);
  }

  /** Numbers an append of `key` once accepted, so settled(key) knows what to wait for. */
  #note(key: SessionKey, enqueued: Promise<void>): Promise<void> {
    const id = sessionKeyId(key);
    let writes = this.#sessions.get(id);
    if (!writes) {
      writes = { seq: 0, waiting: new Set() };
      this.#sessions.set(id, writes);
      if (this.#sessions.size > MAX_TRACKED_SESSIONS && !this.#settling) {
        void this.#settle(this.#accepted);
      }
    }
    const entry = writes;
    // Numbered after the persister has accepted the item, never before: a settling round that
    // starts in between covers an item it does not count, which only makes it wait less often.
    const accepted = enqueued.then(
      () => {
        entry.seq = ++this.#accepted;
      },
      () => undefined,
    );
    entry.waiting.add(accepted);
    void accepted.then(() => entry.waiting.delete(accepted));
    return enqueued;
  }

  /**
   * Waits until every item accepted so far (at least up to number `upTo`) is stored or reported,
   * keeping the failures for flush(). A round already under way that covers `upTo` is shared.
   */
  #settle(upTo: number): Promise<void> {
    const current = this.#settling;
    if (current && current.upTo >= upTo) return current.done;
    const snapshot = this.#accepted;
    // flush() of both persisters is called now, synchronously: it covers every item accepted so
    // far, which includes every one numbered up to `snapshot`.
    const flushes = [this.#events.flush(), this.#tracks.flush()];
    const done = Promise.allSettled(flushes).then((results) => {
      results.forEach((result, i) => {
        if (result.status === 'rejected') this.#failures[i]!.push(result.reason as AsyncWriteError);
      });
      this.#settledUpTo = Math.max(this.#settledUpTo, snapshot);
      this.#forgetSettled();
      if (this.#settling?.done === done) this.#settling = undefined;
      this.#rounds.delete(done);
    });
    this.#settling = { upTo: snapshot, done };
    this.#rounds.add(done);
    return done;
  }

  #forgetSettled(): void {
    for (const [id, writes] of this.#sessions) {
      if (writes.waiting.size === 0 && writes.seq <= this.#settledUpTo) this.#sessions.delete(id);
    }
  }
}

/**
 * The reports of one persister's settling rounds as one AsyncWriteError: counts summed, the
 * first failure as cause (several rounds may have collected failures since the last flush).
 */
function combine(reports: readonly AsyncWriteError[], operation: string): AsyncWriteError | undefined {
  if (reports.length <= 1) return reports[0];
  const failed = reports.reduce((n, report) => n + report.failed, 0);
  return new AsyncWriteError(operation, failed, reports[0]!.cause as Error);
}
