import { inspect } from 'node:util';
import { loggerErrorReporter } from '../observability/index.js';
import type { Clock } from '../session/clock.js';
import { ConfigError } from '../session/errors.js';
import type { AppendEventHook, GetSessionHook } from '../session/hooks.js';
import {
  clockOption,
  count,
  MAX_TIMER_MS,
  MAX_WORKERS,
  sessionEventLimit,
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
import { normalizeAllowlist } from '../summary/policy.js';

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
  summaryFilterAllowlist: string[] | undefined;
  cascadeFullSessionSummary: boolean;
  appendEventHooks: AppendEventHook[];
  getSessionHooks: GetSessionHook[];
  clock: Clock;
  onError: ErrorReporter;
}

/** Background failures are reported here when the caller gives no `onError`: never silently lost. */
const warnOnError: ErrorReporter = (error, context) => {
  console.warn(`agent-sessions: ${context.operation} failed:`, error);
};

function flag(
  options: SessionServiceOptions,
  field: keyof SessionServiceOptions,
  fallback: boolean,
): boolean {
  const value = options[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `must be true or false, got ${inspect(value)}`);
  return value;
}

function functions<T>(options: SessionServiceOptions, field: 'appendEventHooks' | 'getSessionHooks'): T[] {
  const value = options[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((hook) => typeof hook !== 'function')) {
    throw new ConfigError(field, 'must be an array of functions');
  }
  return [...value] as T[];
}

function checkSummarizer(value: unknown): SessionSummarizer | undefined {
  if (value === undefined) return undefined;
  const summarizer = value as Partial<SessionSummarizer> | null;
  if (
    summarizer === null ||
    typeof summarizer !== 'object' ||
    typeof summarizer.summarize !== 'function' ||
    typeof summarizer.shouldSummarize !== 'function'
  ) {
    throw new ConfigError('summarizer', 'must have summarize() and shouldSummarize() methods');
  }
  return summarizer as SessionSummarizer;
}

function checkAllowlist(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((key) => typeof key !== 'string')) {
    throw new ConfigError('summaryFilterAllowlist', 'must be an array of strings');
  }
  return normalizeAllowlist(value);
}

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
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new ConfigError('onError', 'must be a function');
  }
  return {
    sessionEventLimit: sessionEventLimit(options.sessionEventLimit, DEFAULT_SESSION_EVENT_LIMIT),
    sessionTtlMs,
    appStateTtlMs,
    userStateTtlMs,
    trackEventTtlMs,
    cleanupIntervalMs,
    summarizer: checkSummarizer(options.summarizer),
    asyncSummaryNum: count(
      'asyncSummaryNum',
      options.asyncSummaryNum,
      DEFAULT_ASYNC_SUMMARY_NUM,
      MAX_WORKERS,
    ),
    summaryQueueSize: count('summaryQueueSize', options.summaryQueueSize, DEFAULT_SUMMARY_QUEUE_SIZE),
    summaryJobTimeoutMs,
    summaryFilterAllowlist: checkAllowlist(options.summaryFilterAllowlist),
    cascadeFullSessionSummary: flag(options, 'cascadeFullSessionSummary', true),
    appendEventHooks: functions<AppendEventHook>(options, 'appendEventHooks'),
    getSessionHooks: functions<GetSessionHook>(options, 'getSessionHooks'),
    clock,
    onError: options.onError ?? loggerErrorReporter(options.logger) ?? warnOnError,
  };
}
