import { describe, expect, it } from 'vitest';
import {
  encodeEvent,
  encodeSessionState,
  encodeStateMap,
  encodeSummary,
  encodeTrackEvent,
  encodeTrackNames,
  goJsonString,
} from '../../src/session/codec/index.js';
import { InvalidArgumentError } from '../../src/session/errors.js';
import type { Event } from '../../src/session/event.js';
import { MIN_STORABLE_TIME_MS } from '../../src/session/time.js';
import { bytes, mapOf, utc } from './helpers.js';

function event(overrides: Record<string, unknown> = {}): Event {
  return {
    invocationId: 'inv',
    author: 'user',
    id: 'e-1',
    timestamp: utc(2026, 1, 2),
    choices: [{ index: 0, message: { role: 'user', content: 'hi' } }],
    ...overrides,
  } as Event;
}

/** Runs the encoder and returns the InvalidArgumentError it throws. */
function rejection(encode: () => unknown): InvalidArgumentError {
  try {
    encode();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error('expected the value to be rejected');
}

function expectRejected(encode: () => unknown, field: string, rule: RegExp): void {
  const err = rejection(encode);
  expect(err.code).toBe('INVALID_ARGUMENT');
  expect(err.field).toBe(field);
  expect(err.message).toMatch(rule);
  expect(err.message.startsWith(field)).toBe(true);
}

const NUL = /must not contain NUL characters/;
const SURROGATE = /must not contain unpaired surrogates/;

describe('the encoder refuses values Go or PostgreSQL cannot store, naming the field', () => {
  it('strings with NUL, which JSONB rejects', () => {
    expectRejected(
      () => encodeEvent(event({ choices: [{ index: 0, message: { role: 'user', content: 'a\u0000b' } }] })),
      'event.choices[0].message.content',
      NUL,
    );
    expectRejected(() => encodeEvent(event({ branch: '\u0000' })), 'event.branch', NUL);
    expectRejected(
      () => encodeEvent(event({ extensions: { foo: { bar: ['ok', 'x\u0000'] } } })),
      'event.extensions.foo.bar[1]',
      NUL,
    );
  });

  it('unpaired surrogates, which are not Unicode', () => {
    expectRejected(() => encodeEvent(event({ author: 'a\ud800' })), 'event.author', SURROGATE);
    expectRejected(() => encodeEvent(event({ id: '\udc00x' })), 'event.id', SURROGATE);
    expectRejected(
      () =>
        encodeEvent(
          event({
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{"a":"\ud83d"}' } }],
                },
              },
            ],
          }),
        ),
      'event.choices[0].message.tool_calls[0].function.arguments',
      SURROGATE,
    );
  });

  it('map keys with NUL or unpaired surrogates', () => {
    expectRejected(
      () => encodeEvent(event({ stateDelta: { 'k\u0000': null } })),
      'event.stateDelta key "k\\u0000"',
      NUL,
    );
    expectRejected(
      () => encodeEvent(event({ extensions: { '\ud800': 1 } })),
      'event.extensions key "\\ud800"',
      SURROGATE,
    );
    expectRejected(
      () => encodeEvent(event({ extensions: { foo: { 'a\u0000': 1 } } })),
      'event.extensions.foo key "a\\u0000"',
      NUL,
    );
    expectRejected(
      () => encodeEvent(event({ longRunningToolIDs: { 'c\u0000': {} } })),
      'event.longRunningToolIDs key "c\\u0000"',
      NUL,
    );
  });

  it('extension values that are not JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [unknown, string, RegExp][] = [
      [() => 1, 'event.extensions.foo', /got function/],
      [{ nested: Symbol('s') }, 'event.extensions.foo.nested', /got symbol/],
      [cyclic, 'event.extensions.foo.self', /must not contain a cycle/],
      [undefined, 'event.extensions.foo', /must be a JSON value \(got undefined\)/],
      [Number.NaN, 'event.extensions.foo', /must be a finite number/],
      [[1, Number.POSITIVE_INFINITY], 'event.extensions.foo[1]', /must be a finite number/],
    ];
    for (const [value, field, rule] of cases) {
      expectRejected(() => encodeEvent(event({ extensions: { foo: value } })), field, rule);
    }
    expectRejected(
      () => encodeEvent(event({ extensions: { 'odd key': { x: Symbol('s') } } })),
      'event.extensions["odd key"].x',
      /symbol/,
    );
  });

  it('follows JSON.stringify for what it can write: toJSON, undefined properties and items', () => {
    const json = encodeEvent(
      event({
        extensions: {
          foo: {
            when: new Date(Date.UTC(2026, 0, 2)),
            gone: undefined,
            list: [undefined, 1],
            boxed: new String('s'),
          },
        },
      }),
    );
    expect(JSON.parse(json).extensions).toEqual({
      foo: { when: '2026-01-02T00:00:00.000Z', list: [null, 1], boxed: 's' },
    });
  });

  it('bytes that are not a Uint8Array or null', () => {
    expectRejected(
      () => encodeEvent(event({ stateDelta: { k: 'text' } })),
      'event.stateDelta["k"]',
      /must be a Uint8Array or null/,
    );
    expectRejected(
      () =>
        encodeEvent(
          event({
            choices: [
              {
                index: 0,
                message: {
                  role: 'user',
                  content_parts: [{ type: 'image', image: { url: '', data: [1, 2] } }],
                },
              },
            ],
          }),
        ),
      'event.choices[0].message.content_parts[0].image.data',
      /must be a Uint8Array or null/,
    );
  });

  it('invalid or out-of-range Dates', () => {
    expectRejected(
      () => encodeEvent(event({ timestamp: new Date(Number.NaN) })),
      'event.timestamp',
      /must be a valid Date/,
    );
    expectRejected(
      () => encodeEvent(event({ response: { timestamp: new Date(Number.NaN) } })),
      'event.response.timestamp',
      /must be a valid Date/,
    );
    const range = /from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z/;
    expectRejected(
      () => encodeEvent(event({ timestamp: new Date(Date.UTC(10000, 0, 1)) })),
      'event.timestamp',
      range,
    );
    // Go writes year 0000, but PostgreSQL's TIMESTAMP has no such year: refused alike everywhere.
    expectRejected(
      () => encodeEvent(event({ timestamp: new Date(MIN_STORABLE_TIME_MS - 1) })),
      'event.timestamp',
      range,
    );
    expectRejected(
      () => encodeEvent(event({ response: { timestamp: new Date(8.64e15) } })),
      'event.response.timestamp',
      range,
    );
  });

  it('wrong types for the required fields', () => {
    expectRejected(() => encodeEvent(event({ id: 5 })), 'event.id', /must be a string \(got number\)/);
    expectRejected(
      () => encodeEvent(event({ author: undefined })),
      'event.author',
      /must be a string \(got undefined\)/,
    );
    expectRejected(
      () => encodeEvent(event({ invocationId: null })),
      'event.invocationId',
      /must be a string/,
    );
    expectRejected(
      () => encodeEvent(event({ timestamp: '2026-01-02T00:00:00Z' })),
      'event.timestamp',
      /must be a Date \(got string\)/,
    );
    expectRejected(() => encodeEvent(null as unknown as Event), 'event', /must be an event object/);
  });

  it('wrong types elsewhere', () => {
    expectRejected(() => encodeEvent(event({ created: 1.5 })), 'event.created', /must be a safe integer/);
    expectRejected(() => encodeEvent(event({ choices: {} })), 'event.choices', /must be an array/);
    expectRejected(() => encodeEvent(event({ done: 'yes' })), 'event.done', /must be a boolean/);
    expectRejected(() => encodeEvent(event({ version: '1' })), 'event.version', /must be a safe integer/);
    expectRejected(
      () => encodeEvent(event({ choices: [{ index: 0, message: 'hi' }] })),
      'event.choices[0].message',
      /must be a plain object \(got string\)/,
    );
  });

  it('maps given as Map objects, which would otherwise be written as {}', () => {
    expectRejected(
      () => encodeEvent(event({ stateDelta: new Map([['k', null]]) })),
      'event.stateDelta',
      /must be a plain object \(got Map\)/,
    );
    expectRejected(
      () => encodeEvent(event({ extensions: new Map() })),
      'event.extensions',
      /must be a plain object \(got Map\)/,
    );
  });

  it('uses the field name the caller gives', () => {
    expectRejected(
      () => encodeEvent(event({ author: 1 }), 'events[3]'),
      'events[3].author',
      /must be a string/,
    );
  });

  it('checks summaries, track events and state documents too', () => {
    expectRejected(
      () => encodeSummary({ summary: '\u0000', updated_at: utc(2026, 1, 2) }),
      'summary.summary',
      NUL,
    );
    expectRejected(
      () =>
        encodeSummary({ summary: 's', topics: ['ok', 7 as unknown as string], updated_at: utc(2026, 1, 2) }),
      'summary.topics[1]',
      /must be a string/,
    );
    expectRejected(
      () =>
        encodeSummary({
          summary: 's',
          updated_at: utc(2026, 1, 2),
          boundary: { version: 1, cutoff_at: new Date(Number.NaN) },
        }),
      'summary.boundary.cutoff_at',
      /must be a valid Date/,
    );
    expectRejected(
      () => encodeTrackEvent({ track: 't', payload: { x: () => 1 }, timestamp: utc(2026, 1, 2) }),
      'trackEvent.payload.x',
      /function/,
    );
    expectRejected(
      () =>
        encodeSessionState({
          id: 's',
          state: mapOf([['k', 'v' as unknown as Uint8Array]]),
          createdAt: utc(2026, 1, 2),
          updatedAt: utc(2026, 1, 2),
        }),
      'sessionState.state["k"]',
      /must be a Uint8Array or null/,
    );
    expectRejected(
      () => encodeStateMap({ k: 1 as unknown as Uint8Array }, 'delta'),
      'delta["k"]',
      /must be a Uint8Array or null/,
    );
    expectRejected(() => encodeTrackNames(['ok', '\ud800']), 'tracks[1]', SURROGATE);
    expectRejected(() => goJsonString('a\u0000', 'key'), 'key', NUL);
  });

  it('leaves the caller’s event untouched', () => {
    const input = event({ stateDelta: { k: bytes('v') }, branch: '' });
    const before = JSON.stringify(input);
    encodeEvent(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});
