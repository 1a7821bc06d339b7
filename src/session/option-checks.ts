/**
 * The checks of the service options every backend shares (event limit, TTLs, worker and queue
 * counts), so that the in-memory and the PostgreSQL service refuse a bad value with the same
 * ConfigError, naming the option and the rule.
 */
import { inspect } from 'node:util';
import { type Clock, systemClock } from './clock.js';
import { ConfigError } from './errors.js';
import { MAX_COUNT } from './options.js';
import type { ErrorReporter } from './service-options.js';
import type { SessionSummarizer } from './summarizer.js';

/**
 * The longest TTL: Go's longest time.Duration (2^63 - 1 ns), so a trpc-agent-go service sharing
 * the tables can hold it too. An expiry must also be a time PostgreSQL and RFC 3339 can write
 * (before the year 10000); with this bound it is, for centuries to come.
 */
export const MAX_TTL_MS = 9_223_372_036_854;

/** The most workers of a background pool (async persisters, summary workers): each is a queue. */
export const MAX_WORKERS = 1024;

/** A count option: absent or 0 means `fallback` (trpc-agent-go's "0 is the default"). */
export function count(
  field: string,
  value: unknown,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(field, `must be a non-negative integer, got ${inspect(value)}`);
  }
  if (value > max) throw new ConfigError(field, `must be at most ${max}, got ${value}`);
  return value === 0 ? fallback : value;
}

/**
 * `sessionEventLimit`: absent or 0 is the default. At most MAX_COUNT, as a call's `eventNum`: the
 * read statements bind it as a PostgreSQL integer, so a larger limit would fail every read on the
 * database backends while the in-memory one took it.
 */
export function sessionEventLimit(value: unknown, fallback: number): number {
  return count('sessionEventLimit', value, fallback, MAX_COUNT);
}

/** The service's clock: absent is the system clock; anything else must be an object with now(). */
export function clockOption(value: unknown): Clock {
  if (value === undefined) return systemClock;
  if (typeof value !== 'object' || value === null || typeof (value as Clock).now !== 'function') {
    throw new ConfigError('clock', 'must be an object with a now() method returning a Date');
  }
  return value as Clock;
}

/**
 * Node's timers take at most 2^31 - 1 ms; a longer period fires at once, so a huge sweeper
 * interval would be a busy loop instead of a rare one.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A number of milliseconds: absent is undefined. */
function milliseconds(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(
      field,
      `must be a non-negative integer number of milliseconds, got ${inspect(value)}`,
    );
  }
  return value;
}

/** A TTL in milliseconds: absent is undefined, 0 means none. */
export function ttl(field: string, value: unknown): number | undefined {
  const ms = milliseconds(field, value);
  if (ms !== undefined && ms > MAX_TTL_MS) {
    throw new ConfigError(
      field,
      `must be at most ${MAX_TTL_MS} ms (Go's longest duration, about 292 years), got ${ms}`,
    );
  }
  return ms;
}

/** The period of a timer in milliseconds (the sweeper's, a connection timeout): absent is undefined. */
export function timerPeriod(field: string, value: unknown): number | undefined {
  const ms = milliseconds(field, value);
  if (ms !== undefined && ms > MAX_TIMER_MS) {
    throw new ConfigError(field, `must be at most ${MAX_TIMER_MS}, got ${ms}`);
  }
  return ms;
}

/** A boolean option: absent is `fallback`. */
export function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `must be true or false, got ${inspect(value)}`);
  return value;
}

/** A list of hooks: absent is none; a frozen copy, so a caller's later push changes nothing. */
export function functions<T>(field: string, value: unknown): readonly T[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || value.some((h) => typeof h !== 'function')) {
    throw new ConfigError(field, 'must be an array of functions');
  }
  return Object.freeze([...value]) as readonly T[];
}

/** The `summarizer` option: absent is none; else an object with both methods. */
export function summarizerOption(value: unknown): SessionSummarizer | undefined {
  if (value === undefined) return undefined;
  const s = value as Partial<SessionSummarizer> | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.summarize !== 'function' ||
    typeof s.shouldSummarize !== 'function'
  ) {
    throw new ConfigError(
      'summarizer',
      'must be a SessionSummarizer (with summarize() and shouldSummarize() methods)',
    );
  }
  return s as SessionSummarizer;
}

/**
 * `summaryFilterAllowlist`: absent is undefined (every filter key); else its entries trimmed, empty
 * ones and repeats dropped, as Go does (an empty list still means "only the full session's").
 */
export function allowlistOption(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((k) => typeof k !== 'string')) {
    throw new ConfigError('summaryFilterAllowlist', 'must be an array of strings');
  }
  return Object.freeze([...new Set((value as string[]).map((k) => k.trim()).filter((k) => k !== ''))]);
}

/** The `onError` option: absent is undefined (the backend's default reporter). */
export function onErrorOption(value: unknown): ErrorReporter | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new ConfigError('onError', 'must be a function');
  return value as ErrorReporter | undefined;
}
