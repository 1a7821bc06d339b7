/**
 * Checks of the operator API's arguments, by the rules the services apply to theirs. A value
 * the tables cannot hold is refused by name (INVALID_ARGUMENT) instead of reaching the database:
 * a Date outside years 0001-9999 would fail there as a STORAGE error, and a string with an
 * unpaired surrogate would be sent as U+FFFD by the driver and could match rows holding U+FFFD.
 */
import { InvalidArgumentError, readCallerValue } from '../../session/errors.js';
import { checkStoredText } from '../../session/keys.js';
import { checkTimeOption } from '../../session/options.js';
import { toSqlTimestamp } from '../../session/time.js';

/** An optional text argument (a filter or a key part): a string without NUL or unpaired surrogates. */
export function checkTextArg(field: string, value: unknown): asserts value is string | undefined {
  if (value === undefined) return;
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  checkStoredText(field, value);
}

/** The text arguments of a session key, checked in key order. */
export function checkKeyArgs(key: { appName?: unknown; userId?: unknown; sessionId?: unknown }): void {
  if (key === null || typeof key !== 'object') throw new InvalidArgumentError('key', 'is required');
  checkTextArg('appName', key.appName);
  checkTextArg('userId', key.userId);
  checkTextArg('sessionId', key.sessionId);
}

/** An optional time argument as a TIMESTAMP parameter, checked as the services check theirs. */
export function timeArg(field: string, value: Date | undefined): string | undefined {
  checkTimeOption(field, value);
  return value === undefined ? undefined : toSqlTimestamp(value);
}

/** A required time argument as a TIMESTAMP parameter. */
export function requiredTime(field: string, value: Date | undefined): string {
  if (value === undefined) throw new InvalidArgumentError(field, 'is required');
  return timeArg(field, value)!;
}

/** The time expiry is judged at (`now`, default the current time) as a TIMESTAMP parameter. */
export function nowArg(options: { now?: Date | undefined }): string {
  return timeArg('now', options.now) ?? toSqlTimestamp(new Date());
}

/** The largest row count a statement's `LIMIT $n::int` takes (PostgreSQL's int). */
export const MAX_LIMIT = 2_147_483_647;

/**
 * A count of rows to return (`limit`, `pageSize`): an integer from 1 to `max`, or `fallback` when
 * none was given. Checked here because the database would refuse some values with its own error
 * and take 0 as "no rows", which would make a listing's total and an export silently empty.
 */
export function countArg(field: string, value: unknown, fallback: number, max = MAX_LIMIT): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(field, `must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * An options or filter argument: undefined is `{}`; anything but an object is refused naming
 * `field`; the object is copied, so a getter or Proxy trap of the caller's that throws is refused
 * naming it too, and each of its fields is read once.
 */
export function optionsArg<T extends object>(field: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object') throw new InvalidArgumentError(field, 'must be an object');
  return readCallerValue(field, () => ({ ...value }));
}
