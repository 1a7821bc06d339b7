import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerValueError, InvalidArgumentError } from '../../src/session/errors.js';

/**
 * Whatever a caller's code throws while its value is read, the error the call rejects with is an
 * InvalidArgumentError naming the value that could not be read, the thrown value as its cause.
 */

/** Anything a caller's code may throw: errors, primitives, objects without a prototype. */
const thrownArb = fc.oneof(
  fc.string().map((message) => new Error(message)),
  fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true }),
);

function expectRefusal(error: unknown, field: string, thrown: unknown): void {
  expect(error).toBeInstanceOf(InvalidArgumentError);
  const typed = error as InvalidArgumentError;
  expect(typed.code).toBe('INVALID_ARGUMENT');
  expect(typed.field).toBe(field);
  expect(typed.message.startsWith(`${field} cannot be read: `)).toBe(true);
  expect(typed.cause).toBe(thrown);
}

describe('values that throw when read', () => {
  it('callerValueError describes anything thrown, and passes our own errors as they are', () => {
    fc.assert(
      fc.property(thrownArb, (thrown) => {
        expectRefusal(callerValueError('value', thrown), 'value', thrown);
      }),
    );
    const ours = new InvalidArgumentError('state["x"]', 'must be a Uint8Array or null');
    expect(callerValueError('state', ours)).toBe(ours);
  });
});
