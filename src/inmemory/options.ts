import { loggerErrorReporter } from '../observability/index.js';
import type { Clock } from '../session/clock.js';
import { ConfigError } from '../session/errors.js';
import type { AppendEventHook, GetSessionHook } from '../session/hooks.js';
import {
  allowlistOption,
  clockOption,
  count,
  flag,
  functions,
  MAX_TIMER_MS,
  MAX_WORKERS,
  onErrorOption,
  sessionEventLimit,
  summarizerOption,
  timerPeriod,
  ttl,
} from '../session/option-checks.js';
import {
  DEFAULT_ASYNC_SUMMARY_NUM,
  DEFAULT_CLEANUP_INTERVAL_MS,
  DEFAULT_SESSION_EVENT_LIMIT,
  DEFAULT_SUMMARY_JOB_TIMEOUT_MS,
  DEFAULT_SUMMARY_QUEUE_SIZE,
  type ErrorReporter,
  type SessionServiceOptions,
} from '../session/service-options.js';
import type { SessionSummarizer } from '../session/summarizer.js';

/** The options of an InMemorySessionService after validation, with every default filled in. */
export interface ResolvedOptions {
  sessionEventLimit: number;
  sessionTtlMs: number;
  appStateTtlMs: number;
  userStateTtlMs: number;
  /** The track events' own TTL (the session's unless set); 0 = never. */
  trackEventTtlMs: number;
  /** 0 = no sweeper. */
  cleanupIntervalMs: number;
  summarizer: SessionSummarizer | undefined;
  asyncSummaryNum: number;
  summaryQueueSize: number;
  summaryJobTimeoutMs: number;
  summaryFilterAllowlist: readonly string[] | undefined;
  cascadeFullSessionSummary: boolean;
  appendEventHooks: readonly AppendEventHook[];
  getSessionHooks: readonly GetSessionHook[];
  clock: Clock;
  onError: ErrorReporter;
}

/** Background failures are reported here when the caller gives no `onError`: never silently lost. */
const warnOnError: ErrorReporter = (error, context) => {
  console.warn(`agent-sessions: ${context.operation} failed:`, error);
};

/**
 * Validates the options and fills in the defaults trpc-agent-go uses: 0 for a worker count, a
 * queue size or a job timeout means "the default"; a sweeper runs every 5 minutes when any TTL is
 * set and no interval is given.
 */
export function resolveOptions(options: SessionServiceOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new ConfigError('options', 'must be an object');
  const sessionTtlMs = ttl('sessionTtlMs', options.sessionTtlMs) ?? 0;
  const appStateTtlMs = ttl('appStateTtlMs', options.appStateTtlMs) ?? 0;
  const userStateTtlMs = ttl('userStateTtlMs', options.userStateTtlMs) ?? 0;
  const trackEventTtlMs = ttl('trackEventTtlMs', options.trackEventTtlMs) ?? sessionTtlMs;
  let cleanupIntervalMs = timerPeriod('cleanupIntervalMs', options.cleanupIntervalMs) ?? 0;
  if (cleanupIntervalMs === 0 && (sessionTtlMs || appStateTtlMs || userStateTtlMs || trackEventTtlMs)) {
    cleanupIntervalMs = DEFAULT_CLEANUP_INTERVAL_MS;
  }
  const summaryJobTimeoutMs = count(
    'summaryJobTimeoutMs',
    options.summaryJobTimeoutMs,
    DEFAULT_SUMMARY_JOB_TIMEOUT_MS,
    MAX_TIMER_MS,
  );
  const clock = clockOption(options.clock);
  const onError = onErrorOption(options.onError);
  return {
    sessionEventLimit: sessionEventLimit(options.sessionEventLimit, DEFAULT_SESSION_EVENT_LIMIT),
    sessionTtlMs,
    appStateTtlMs,
    userStateTtlMs,
    trackEventTtlMs,
    cleanupIntervalMs,
    summarizer: summarizerOption(options.summarizer),
    asyncSummaryNum: count(
      'asyncSummaryNum',
      options.asyncSummaryNum,
      DEFAULT_ASYNC_SUMMARY_NUM,
      MAX_WORKERS,
    ),
    summaryQueueSize: count('summaryQueueSize', options.summaryQueueSize, DEFAULT_SUMMARY_QUEUE_SIZE),
    summaryJobTimeoutMs,
    summaryFilterAllowlist: allowlistOption(options.summaryFilterAllowlist),
    cascadeFullSessionSummary: flag('cascadeFullSessionSummary', options.cascadeFullSessionSummary, true),
    appendEventHooks: functions<AppendEventHook>('appendEventHooks', options.appendEventHooks),
    getSessionHooks: functions<GetSessionHook>('getSessionHooks', options.getSessionHooks),
    clock,
    onError: onError ?? loggerErrorReporter(options.logger) ?? warnOnError,
  };
}
