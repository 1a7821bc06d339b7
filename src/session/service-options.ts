import type { Clock } from './clock.js';
import type { AppendEventHook, GetSessionHook } from './hooks.js';
import type { SessionSummarizer } from './summarizer.js';

/** Receives what went wrong in background work (sweeps, async writes, summary jobs). */
export type ErrorReporter = (error: Error, context: { operation: string; [detail: string]: unknown }) => void;

/** Structured fields of a log record, e.g. `{ err, operation }`. */
export type LogFields = Record<string, unknown>;

/**
 * Where the service's diagnostics go: any object with `debug`, `info`, `warn` and `error`. Each is
 * called as `(fields, message)`, pino's order (`logger.error({ err, operation }, 'sweep failed')`);
 * `console` fits too and prints both.
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/**
 * OpenTelemetry settings. Spans and metrics go through `@opentelemetry/api` (an optional peer
 * dependency): without it, or without an SDK registered, they cost nothing measurable.
 */
export interface TelemetryOptions {
  /** Where spans go (default: the global provider, `trace.getTracerProvider()`). */
  tracerProvider?: { getTracer(name: string, version?: string): object };
  /**
   * Where metrics go (default: the global provider, `metrics.getMeterProvider()`, as it is when
   * the service is created: register the SDK first).
   */
  meterProvider?: { getMeter(name: string, version?: string): object };
  /**
   * Put `session.id` on spans (default false: session ids may identify a person, so they are
   * kept out of traces unless asked for).
   */
  recordSessionIds?: boolean;
}

/**
 * Options every backend takes, with the same names and defaults, so one configuration (and one
 * conformance suite) works across them. Durations are milliseconds; 0 means "never".
 */
export interface SessionServiceOptions {
  /** Events returned by getSession/listSessions when the call gives no `eventNum` (default 1000). */
  sessionEventLimit?: number;
  /** Sessions (and their events and summaries) expire this long after their last write. */
  sessionTtlMs?: number;
  appStateTtlMs?: number;
  userStateTtlMs?: number;
  /** Track events expire this long after being written (default: `sessionTtlMs`). */
  trackEventTtlMs?: number;
  /** How often expired data is swept (default 5 minutes when any TTL is set; otherwise never). */
  cleanupIntervalMs?: number;
  summarizer?: SessionSummarizer;
  /** Summary worker count (default 3). */
  asyncSummaryNum?: number;
  /** Queued summary jobs per worker before jobs run in the caller (default 100). */
  summaryQueueSize?: number;
  /**
   * A summary (createSessionSummary, a queued job, a job run in its caller) is aborted after this
   * long, waiting for the session's summary lock included: TIMEOUT (default 60000).
   */
  summaryJobTimeoutMs?: number;
  /** Filter keys that may be summarized (hierarchical match); absent allows all, [] allows only ''. */
  summaryFilterAllowlist?: string[];
  /** Also refresh the full-session summary when a filter key is summarized (default true). */
  cascadeFullSessionSummary?: boolean;
  appendEventHooks?: AppendEventHook[];
  getSessionHooks?: GetSessionHook[];
  /** Source of the current time (default: the system clock). */
  clock?: Clock;
  /**
   * Called for failures in background work; they are never thrown from a timer. Without it they
   * are logged at error level through `logger`, and without either they are printed as warnings.
   */
  onError?: ErrorReporter;
  /** Diagnostics (background failures, retries, sweeps); default: silent. */
  logger?: Logger;
  /**
   * OpenTelemetry spans and metrics, through the global providers unless given here; `false`
   * turns them off. See docs/observability.md.
   */
  telemetry?: TelemetryOptions | false;
}

export const DEFAULT_SESSION_EVENT_LIMIT = 1000;
export const DEFAULT_CLEANUP_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_ASYNC_SUMMARY_NUM = 3;
export const DEFAULT_SUMMARY_QUEUE_SIZE = 100;
export const DEFAULT_SUMMARY_JOB_TIMEOUT_MS = 60_000;
