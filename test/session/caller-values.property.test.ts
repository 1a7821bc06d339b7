import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerValueError, InvalidArgumentError } from '../../src/session/errors.js';
import { checkSessionKey } from '../../src/session/keys.js';
import { checkGetSessionOptions } from '../../src/session/options.js';
import { checkStateMap } from '../../src/session/state.js';

/**
 * Whatever a caller's code throws while its value is read, the error the call rejects with is an
 * InvalidArgumentError naming the value that could not be read, the thrown value as its cause.
 */

/** Anything a caller's code may throw: errors, primitives, objects without a prototype. */
const thrownArb = fc.oneof(
  fc.string().map((message) => new Error(message)),
  fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true }),
);

/** Runs `check` and returns what it threw. */
function thrownBy(check: () => void): unknown {
  try {
    check();
  } catch (error) {
    return error;
  }
  throw new Error('expected the check to throw');
}

function expectRefusal(error: unknown, field: string, thrown: unknown): void {
  expect(error).toBeInstanceOf(InvalidArgumentError);
  const typed = error as InvalidArgumentError;
  expect(typed.code).toBe('INVALID_ARGUMENT');
  expect(typed.field).toBe(field);
  expect(typed.message.startsWith(`${field} cannot be read: `)).toBe(true);
  expect(typed.cause).toBe(thrown);
}

/** State keys every backend accepts. */
const stateKeyArb = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter((k) => !k.includes('\u0000') && k.isWellFormed());

describe('values that throw when read', () => {
  it('a state map refuses the first value whose getter throws, naming it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(stateKeyArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        thrownArb,
        (keys, pick, thrown) => {
          const bad = keys[pick % keys.length]!;
          const state: Record<string, unknown> = {};
          for (const key of keys) {
            if (key === bad)
              Object.defineProperty(state, key, {
                enumerable: true,
                get: () => {
                  throw thrown;
                },
              });
            else state[key] = new Uint8Array([1]);
          }
          expectRefusal(
            thrownBy(() => checkStateMap('state', state)),
            `state[${JSON.stringify(bad)}]`,
            thrown,
          );
        },
      ),
    );
  });

  it('a key refuses the first field, in the order appName, userId, sessionId, whose getter throws', () => {
    const fields = ['appName', 'userId', 'sessionId'] as const;
    fc.assert(
      fc.property(fc.subarray([...fields], { minLength: 1 }), thrownArb, (throwing, thrown) => {
        const key: Record<string, unknown> = { appName: 'a', userId: 'u', sessionId: 's' };
        for (const field of throwing)
          Object.defineProperty(key, field, {
            get: () => {
              throw thrown;
            },
          });
        const first = fields.find((field) => throwing.includes(field))!;
        expectRefusal(
          thrownBy(() => checkSessionKey(key as never)),
          first,
          thrown,
        );
      }),
    );
  });

  it('getSession options refuse the first option, in the order they are checked, whose getter throws', () => {
    const names = ['eventNum', 'eventTime', 'eventPage'] as const;
    fc.assert(
      fc.property(fc.subarray([...names], { minLength: 1 }), thrownArb, (throwing, thrown) => {
        const options: Record<string, unknown> = {};
        for (const name of throwing)
          Object.defineProperty(options, name, {
            get: () => {
              throw thrown;
            },
          });
        const first = names.find((name) => throwing.includes(name))!;
        expectRefusal(
          thrownBy(() => checkGetSessionOptions(options)),
          first,
          thrown,
        );
      }),
    );
  });

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
