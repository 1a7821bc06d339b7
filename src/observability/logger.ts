/**
 * The `logger` option: checked once, called safely (a logger that throws never breaks the work it
 * reports on), and the fallback reporter of background failures when no `onError` is given.
 */
import { ConfigError } from '../session/errors.js';
import type { ErrorReporter, LogFields, Logger } from '../session/service-options.js';

export type LogLevel = keyof Logger;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The logger option, or undefined when absent; anything without the four methods is a ConfigError. */
export function checkLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Record<string, unknown> | null;
  if (
    candidate === null ||
    (typeof candidate !== 'object' && typeof candidate !== 'function') ||
    LEVELS.some((level) => typeof candidate[level] !== 'function')
  ) {
    throw new ConfigError('logger', 'must have debug, info, warn and error methods (pino and console fit)');
  }
  return value as Logger;
}

/** Logs through `logger` (called as a method, so pino keeps its `this`); never throws. */
export function log(logger: Logger | undefined, level: LogLevel, fields: LogFields, message: string): void {
  if (logger === undefined) return;
  try {
    logger[level](fields, message);
  } catch {
    // A broken logger must not break the background work it was told about.
  }
}

/**
 * Where background failures go when the caller gave no `onError`: the logger, at error level,
 * with the error as `err` (pino's key) and the report's context. Undefined without a logger, so
 * the backend keeps its own fallback (a warning).
 */
export function loggerErrorReporter(logger: unknown): ErrorReporter | undefined {
  const checked = checkLogger(logger);
  if (checked === undefined) return undefined;
  return (error, context) =>
    log(checked, 'error', { err: error, ...context }, `agent-sessions: ${context.operation} failed`);
}
