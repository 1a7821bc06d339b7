import { InvalidArgumentError, isCallerArray, readCallerValue } from './errors.js';
import type { Event } from './event.js';
import type { StateMap } from './state.js';
import { isStorableTime, STORABLE_TIME_RULE } from './time.js';

/** Options of getSession. `eventPage` cannot be combined with `eventNum` or `eventTime`. */
export interface GetSessionOptions {
  /** Return at most this many of the newest events (default: the service's event limit). */
  eventNum?: number;
  /** Return events from the first one whose timestamp is at or after this time. */
  eventTime?: Date;
  /**
   * A page of events counted from the newest: `offset` events skipped, `limit` returned, oldest
   * first. No user anchoring is applied to a page.
   */
  eventPage?: { offset: number; limit: number };
}

export interface ListSessionsOptions {
  eventNum?: number;
  eventTime?: Date;
  /** A page of sessions, newest first. */
  page?: { offset: number; limit: number };
  /** Return sessions without events, tracks or summaries. */
  onlyMeta?: boolean;
}

export interface AppendEventOptions {
  /** Re-filter the caller's in-memory events to at most this many after the append. */
  eventNum?: number;
  /** Re-filter the caller's in-memory events to those from this time on. */
  eventTime?: Date;
  /** Gives up waiting for room in a full async queue; the event is then not accepted. */
  signal?: AbortSignal;
}

export interface TrackEventsOptions {
  /** At most this many of the newest track events; 0 or absent returns all. */
  eventNum?: number;
  /** Only track events strictly after this time. */
  eventTime?: Date;
}

/**
 * The events around an anchor, as trpc-agent-go's GetEventWindow gives them: a window shows only
 * messages with text (see session/window.ts), and counts only those.
 */
export interface EventWindowOptions {
  /** How many shown events before the anchor to include. */
  before: number;
  /** How many shown events after the anchor to include. */
  after: number;
  /**
   * Only messages of these roles (`user`, `assistant`, `tool`; a tool result is `tool`), the
   * anchor included; absent, empty or all blank: every role.
   */
  roles?: readonly string[];
}

/** What `SessionService.replaceEvents` replaces, with what, and on which conditions. */
export interface ReplaceEventsRequest {
  /**
   * The ids of the events replaced: the session's newest stored events, oldest first. The call
   * fails with `CONFLICT`, changing nothing, unless the session's newest
   * `expectedEventIds.length` events have exactly these ids, in this order (so a writer that
   * appended or removed events since the caller read them makes it fail). `[]` replaces nothing:
   * the events are appended. Absent: every stored event is replaced, and the session's summaries
   * are removed with them, as `clearEvents` does.
   */
  expectedEventIds?: readonly string[];
  /**
   * The events stored in their place, in order, after the session's remaining events. Each is
   * validated and stored as appendEvents stores it (its state delta applied; one without content
   * applies its delta but is not stored). Append hooks do not run: there is no caller session.
   */
  events: readonly Event[];
  /**
   * Merged into the session's own state in the same atomic step, after the events' deltas
   * (`app:` and `user:` keys are refused, as by updateSessionState).
   */
  state?: StateMap;
  /**
   * Values the session's own state must hold for the call to go on, else `CONFLICT` and nothing
   * changes; `null` means the key is absent (or null). With `state`, a compare-and-set: callers
   * can record what they did (an operation id) in the same step that does it, and a second call
   * that read the same state fails instead of doing it again.
   */
  expectedState?: StateMap;
}

export interface SummaryTextOptions {
  /** The summary's filter key; falls back to the full-session summary when it has none. */
  filterKey?: string;
}

/** Options of createSessionSummary and enqueueSummaryJob. */
export interface SummaryCallOptions {
  /**
   * Gives up the summary: waiting for the session's summary lock ends and the summarizer's signal
   * aborts, rejecting with an `AbortError` (code `INVALID_ARGUMENT`, the reason as `cause`); a
   * queued job aborted so is reported to `onError`. The call is also bounded by
   * `summaryJobTimeoutMs` and by close().
   */
  signal?: AbortSignal;
}

/**
 * The largest count a read accepts: PostgreSQL's `integer`, the type its LIMIT and OFFSET
 * parameters are sent as. Above it the PostgreSQL backends would fail with STORAGE while the
 * in-memory one answered, so every backend refuses it alike.
 */
export const MAX_COUNT = 2_147_483_647;

function checkCount(field: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > MAX_COUNT) {
    throw new InvalidArgumentError(field, `must be an integer from ${min} to ${MAX_COUNT}`);
  }
}

/**
 * One option of a caller's options object, read once for its check: a getter or Proxy trap that
 * throws is an INVALID_ARGUMENT naming the option (`field`), not a bare error.
 */
export function optionOf(options: object, name: string, field = name): unknown {
  return readCallerValue(field, () => (options as Record<string, unknown>)[name]);
}

/**
 * A time given as an option (or to the operator API): a Date every backend can store and compare
 * (see isStorableTime), refused alike everywhere; absent is fine.
 */
export function checkTimeOption(field: string, value: unknown): asserts value is Date | undefined {
  if (value === undefined) return;
  if (!isStorableTime(value)) throw new InvalidArgumentError(field, STORABLE_TIME_RULE);
}

/** Validates getSession options (trpc-agent-go's ValidateGetSessionOptions, plus type checks). */
export function checkGetSessionOptions(options: GetSessionOptions): void {
  const eventNum = optionOf(options, 'eventNum');
  checkCount('eventNum', eventNum, 0);
  const eventTime = optionOf(options, 'eventTime');
  checkTimeOption('eventTime', eventTime);
  const page = optionOf(options, 'eventPage');
  if (page === undefined) return;
  checkPage('eventPage', page);
  if ((eventNum ?? 0) !== 0 || eventTime !== undefined) {
    throw new InvalidArgumentError('eventPage', 'cannot be combined with eventNum or eventTime');
  }
}

/** Validates listSessions options (trpc-agent-go's ValidateListSessionsOptions, plus type checks). */
export function checkListSessionsOptions(options: ListSessionsOptions): void {
  if (optionOf(options, 'eventPage') !== undefined) {
    throw new InvalidArgumentError('eventPage', 'is only supported by getSession');
  }
  checkCount('eventNum', optionOf(options, 'eventNum'), 0);
  checkTimeOption('eventTime', optionOf(options, 'eventTime'));
  // Any value is taken (only true counts); read here so that one that cannot be read is refused.
  optionOf(options, 'onlyMeta');
  const page = optionOf(options, 'page');
  if (page !== undefined) checkPage('page', page);
}

/** A page option, `{ offset, limit }`: an offset from 0 and a limit from 1. */
function checkPage(field: string, page: unknown): void {
  if (page === null || typeof page !== 'object')
    throw new InvalidArgumentError(field, 'must be { offset, limit }');
  checkCount(`${field}.offset`, optionOf(page, 'offset', `${field}.offset`) ?? Number.NaN, 0);
  checkCount(`${field}.limit`, optionOf(page, 'limit', `${field}.limit`) ?? Number.NaN, 1);
}

export function checkAppendEventOptions(options: AppendEventOptions): void {
  checkCount('eventNum', optionOf(options, 'eventNum'), 0);
  checkTimeOption('eventTime', optionOf(options, 'eventTime'));
  checkSignalOption(options);
}

/**
 * `options.signal`, when given, must be an AbortSignal; checked on every backend, whether or not
 * it waits for anything, so each refuses the same options.
 */
export function checkSignalOption(options: object): void {
  const signal = optionOf(options, 'signal', 'options.signal');
  // instanceof runs a Proxy's getPrototypeOf trap, which may throw (a revoked Proxy's does).
  if (signal !== undefined && !readCallerValue('options.signal', () => signal instanceof AbortSignal))
    throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
}

export function checkTrackEventsOptions(options: TrackEventsOptions): void {
  checkCount('eventNum', optionOf(options, 'eventNum'), 0);
  checkTimeOption('eventTime', optionOf(options, 'eventTime'));
}

export function checkEventWindowOptions(options: EventWindowOptions): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('window', 'must be { before, after }');
  checkCount('before', optionOf(options, 'before') ?? Number.NaN, 0);
  checkCount('after', optionOf(options, 'after') ?? Number.NaN, 0);
  const roles = optionOf(options, 'roles');
  if (roles === undefined) return;
  if (!isCallerArray('roles', roles))
    throw new InvalidArgumentError('roles', 'must be an array of role names');
  const count = optionOf(roles, 'length', 'roles') as number;
  for (let i = 0; i < count; i++) {
    if (typeof optionOf(roles, String(i), `roles[${i}]`) !== 'string')
      throw new InvalidArgumentError(`roles[${i}]`, 'must be a string');
  }
}
