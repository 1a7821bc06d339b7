/**
 * The observer interfaces of the background workers (the PostgreSQL sweeper and async persisters,
 * the summary job queue), and the sweep report they share. The core owns them so that telemetry
 * implements them knowing only `session/`, and the workers report to them knowing nothing of
 * telemetry.
 */

/** Rows soft- or hard-deleted by a sweep (or purged), per table. */
export interface SweepCounts {
  sessions: number;
  events: number;
  trackEvents: number;
  summaries: number;
  appStates: number;
  userStates: number;
}

/** The outcome of one sweep (or purge): rows soft- or hard-deleted per table. */
export interface SweepReport extends SweepCounts {
  /** False when another instance held the sweep lock, so this one did nothing. */
  ran: boolean;
}

/**
 * Told of every pass, for metrics and logs. Called synchronously from the sweeper, so it must be
 * quick and must never throw.
 */
export interface SweeperObserver {
  /** A pass ended: `report.ran` is false when another instance held the lock. */
  swept?(report: SweepReport, durationMs: number): void;
  /** A pass failed (what earlier batches committed stays done). */
  failed?(error: unknown, durationMs: number): void;
}

/**
 * Told what a persister does, for metrics and logs. Called synchronously from the persister's own
 * work, so it must be quick and must never throw.
 */
export interface PersisterObserver {
  /** An item was accepted after waiting `waitMs` for room in a full queue (0 when there was room). */
  accepted?(operation: string, waitMs: number): void;
  /** A worker wrote (or reported) a batch of `size` items, retries included, in `durationMs`. */
  batch?(operation: string, size: number, durationMs: number): void;
  /** An item's write failed for good (it also goes to onError). */
  failed?(operation: string, error: Error): void;
  /** A batch failed transiently and is retried after `delayMs`. */
  retrying?(operation: string, error: unknown, attempt: number, delayMs: number): void;
}

/** How a job ran: on a worker, or in the caller because its worker's queue was full. */
export type SummaryJobMode = 'queued' | 'inline';

/** How a job ended; `dropped`: still queued when close() gave up waiting, so never started. */
export type SummaryJobOutcome = 'ok' | 'failed' | 'timed_out' | 'dropped';

/**
 * Told of every job, for metrics and logs. Called synchronously from the queue, so it must be
 * quick and must never throw.
 */
export interface SummaryJobObserver {
  enqueued?(mode: SummaryJobMode): void;
  finished?(mode: SummaryJobMode, outcome: SummaryJobOutcome, durationMs: number, error?: unknown): void;
}
