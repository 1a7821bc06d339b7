/**
 * Every error this package throws is an {@link AgentSessionsError} with a stable `code`, so callers
 * branch on `err.code` rather than on message text. Driver errors are kept as `cause`.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CLOSED'
  | 'CONFIG'
  | 'STORAGE'
  | 'SUMMARIZER'
  | 'TIMEOUT';

export class AgentSessionsError extends Error {
  readonly code: ErrorCode;
  /** The argument or option at fault, when there is one (e.g. `key.userId`, `sslMode`). */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
  }
}

/** A caller passed a value that breaks a rule; nothing was written. */
export class InvalidArgumentError extends AgentSessionsError {
  constructor(field: string, rule: string, options: { cause?: unknown } = {}) {
    super('INVALID_ARGUMENT', `${field} ${rule}`, { field, ...options });
  }
}

/**
 * What an error thrown while reading a caller's value becomes: ours as it is, any other (a getter
 * or a `toJSON` of the caller's that throws, a buffer that was transferred) an INVALID_ARGUMENT
 * naming the value, with the original as its cause.
 */
export function callerValueError(field: string, error: unknown): AgentSessionsError {
  if (error instanceof AgentSessionsError) return error;
  return new InvalidArgumentError(field, `cannot be read: ${reasonOf(error)}`, { cause: error });
}

/**
 * What was thrown, as text. Anything can be thrown, and not all of it can be shown: String() of
 * an object without a prototype throws, and so may a Proxy or a `message` getter.
 */
function reasonOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'a value that cannot be shown as text';
  }
}

/**
 * Reads part of a caller's argument (a key field, an option, a state map's keys or one value):
 * a getter or Proxy trap of the caller's that throws (or any other error of `read` that is not
 * one of ours) becomes an {@link InvalidArgumentError} naming `field` and what was thrown, so no
 * caller value escapes as a bare error without a code. Our own errors pass through unchanged.
 */
export function readCallerValue<T>(field: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw callerValueError(field, error);
  }
}

/**
 * Whether a caller's value is an array: Array.isArray runs a Proxy's IsArray check, which a
 * revoked Proxy fails with a bare TypeError; that is refused naming `field` instead.
 */
export function isCallerArray(field: string, value: unknown): value is unknown[] {
  return readCallerValue(field, () => Array.isArray(value));
}

/** The session (or anchor event) the call needs does not exist, is expired or was deleted. */
export class NotFoundError extends AgentSessionsError {
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super('NOT_FOUND', message, options);
  }
}

/** The error of a write to a session that does not exist (or was deleted, or swept), on every backend. */
export function sessionNotFound(key: { sessionId: string }): NotFoundError {
  return new NotFoundError(`session not found: ${key.sessionId}`, { field: 'sessionId' });
}

/** The error of an event window around an event the session does not hold, on every backend. */
export function anchorNotFound(anchorId: string): NotFoundError {
  return new NotFoundError(`anchor event not found: ${anchorId}`, { field: 'anchorEventId' });
}

/**
 * A live row with the same key already exists, or a conditional write's precondition does not
 * hold (replaceEvents: the newest events or the state are not the expected ones); nothing changed.
 */
export class ConflictError extends AgentSessionsError {
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super('CONFLICT', message, options);
  }
}

/** The service was closed; it takes no more calls. */
export class ClosedError extends AgentSessionsError {
  constructor(operation: string) {
    super('CLOSED', `${operation}: the session service is closed`);
  }
}

/** An option is invalid, or the database schema does not match what the service needs. */
export class ConfigError extends AgentSessionsError {
  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', `${field}: ${message}`, { field, ...options });
  }
}

/** The database failed; the driver's error is the `cause`. */
export class StorageError extends AgentSessionsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('STORAGE', message, options);
  }
}

/**
 * The summarizer failed: its `shouldSummarize` or `summarize` threw or rejected (that error is the
 * `cause`), or `summarize` resolved to something other than a string. Nothing was stored.
 */
export class SummarizerError extends AgentSessionsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SUMMARIZER', message, options);
  }
}

/**
 * A summary call or job ran past `summaryJobTimeoutMs` (waiting for the session's summary lock
 * included). Named `TimeoutError`, as the errors of `AbortSignal.timeout()` are.
 */
export class SummaryTimeoutError extends AgentSessionsError {
  constructor(operation: string, ms: number) {
    super('TIMEOUT', `${operation} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * The caller's `signal` aborted the call; the signal's reason is the `cause`. Code
 * `INVALID_ARGUMENT` with field `signal` and the name `AbortError`, as appendEvent's abort.
 */
export class CallAbortedError extends AgentSessionsError {
  constructor(operation: string, reason: unknown, field = 'options.signal') {
    super('INVALID_ARGUMENT', `${operation}: aborted by the caller's signal`, { field, cause: reason });
    this.name = 'AbortError';
  }
}

export function isAgentSessionsError(err: unknown, code?: ErrorCode): err is AgentSessionsError {
  return err instanceof AgentSessionsError && (code === undefined || err.code === code);
}
