/**
 * Rows Go writes with numbers a JavaScript number cannot hold (int64 fields beyond 2^53, long or
 * huge decimals in raw JSON) are read without losing a digit and written back byte for byte; and
 * documents whose keys differ from Go's field names only in case are read as Go reads them.
 */
import { describe, expect, it } from 'vitest';
import {
  cloneEvent,
  decodeEvent,
  decodeSessionState,
  decodeSummary,
  decodeTrackEvent,
  encodeEvent,
  encodeSummary,
  encodeTrackEvent,
  RawJson,
} from '../../src/session/codec/index.js';
import type { Event } from '../../src/session/event.js';
import type { TrackEvent } from '../../src/session/track.js';
import { bytes, comparable, fixture, mapOf, utc } from './helpers.js';

const MAX_INT64 = 9223372036854775807n;
const MIN_INT64 = -9223372036854775808n;
const raw = (text: string) => new RawJson(text);

const bigNumbersEvent: Event = {
  object: 'chat.completion',
  created: MAX_INT64,
  model: 'gpt-4o',
  choices: [
    {
      index: 9007199254740993n,
      message: {
        role: 'assistant',
        content: 'done',
        content_parts: [
          {
            type: 'file',
            content_ref: { artifact_ref: 'a-1', artifact_version: 9007199254740993n, size_bytes: MAX_INT64 },
          },
        ],
        tool_calls: [
          {
            type: 'function',
            function: { name: 'lookup', arguments: '{"id":9223372036854775807}' },
            id: 'call-1',
            index: MIN_INT64,
            extra_fields: mapOf<unknown>([
              ['signature', 'c2ln'],
              ['weight', 0.30000000000000004],
            ]),
          },
        ],
      },
      delta: { role: '' },
      logprobs: { content: [{ token: 'x', logprob: -0.5, bytes: [9007199254740993n] }] },
    },
  ],
  usage: {
    prompt_tokens: MAX_INT64,
    completion_tokens: MIN_INT64,
    // 2^53 is exact as a number, but not a safe integer: it is read as a bigint like the others.
    total_tokens: 9007199254740992n,
    prompt_tokens_details: { cached_tokens: 9007199254740993n },
    completion_tokens_details: { reasoning_tokens: MAX_INT64 },
    timing_info: { time_to_first_token: MAX_INT64, reasoning_duration: 9007199254740993n },
  },
  done: true,
  is_partial: false,
  invocationId: 'inv-big',
  author: 'assistant',
  id: 'e-big-1',
  timestamp: utc(2026, 1, 2, 3, 4, 5),
  extensions: mapOf<unknown>([
    [
      'ledger',
      {
        id: MAX_INT64,
        uid: 18446744073709551615n,
        amount: raw('0.1000000000000000055511151231257827'),
        scaled: raw('15.0'),
        tiny: raw(`0.${'0'.repeat(399)}1`),
        price: raw('1.50'),
        rate: 1e-7,
        plain: 0.5,
        list: [MIN_INT64, raw('123456789012345678901234567890.5')],
      },
    ],
    ['total', 123456789012345678901234567890n],
  ]),
  version: 1,
  response: { id: 'chatcmpl-big', timestamp: utc(2026, 1, 2, 3, 4, 5) },
};

const bigNumbersTrack: TrackEvent = {
  track: 'ledger',
  payload: {
    id: MAX_INT64,
    amount: raw('0.1000000000000000055511151231257827'),
    scaled: raw('15.0'),
    price: raw('1.50'),
    rate: 1e-7,
    list: [18446744073709551615n, -1],
  },
  timestamp: utc(2026, 1, 2, 3, 4, 5),
};

describe('numbers beyond a float64, as Go writes them', () => {
  it('reads int64 fields and raw JSON numbers with every digit', () => {
    expect(comparable(decodeEvent(fixture('event-big-numbers.json')))).toStrictEqual(
      comparable(bigNumbersEvent),
    );
    expect(comparable(decodeTrackEvent(fixture('track-event-big-numbers.json')))).toStrictEqual(
      comparable(bigNumbersTrack),
    );
  });

  it('writes what it read back to the same bytes', () => {
    expect(encodeEvent(decodeEvent(fixture('event-big-numbers.json')))).toBe(
      fixture('event-big-numbers.json'),
    );
    expect(encodeTrackEvent(decodeTrackEvent(fixture('track-event-big-numbers.json')))).toBe(
      fixture('track-event-big-numbers.json'),
    );
  });

  it('writes the expected event to the bytes Go writes', () => {
    expect(encodeEvent(bigNumbersEvent)).toBe(fixture('event-big-numbers.json'));
    expect(encodeTrackEvent(bigNumbersTrack)).toBe(fixture('track-event-big-numbers.json'));
  });

  it('keeps the digits through cloneEvent, which backends store', () => {
    expect(encodeEvent(cloneEvent(bigNumbersEvent))).toBe(fixture('event-big-numbers.json'));
  });

  it('reads an integer beyond 2^53 in a summary boundary as a bigint', () => {
    const json =
      '{"summary":"s","updated_at":"2026-01-02T03:04:05Z","boundary":{"version":9223372036854775807,"cutoff_at":"2026-01-02T03:04:05Z"}}';
    const summary = decodeSummary(json);
    expect(summary.boundary?.version).toBe(MAX_INT64);
    expect(encodeSummary(summary)).toBe(json);
  });

  it('refuses an int field Go cannot hold, as Go does', () => {
    const event = (created: string) =>
      `{"object":"","created":${created},"invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z"}`;
    expect(() => decodeEvent(event('9223372036854775808'))).toThrow(
      'event.created: expected an integer in the int64 range, got the number 9223372036854775808',
    );
    expect(() => decodeEvent(event('1e400'))).toThrow(
      `event.created: expected an integer in the int64 range, got the number 1${'0'.repeat(39)}… (401 digits)`,
    );
    expect(() => decodeEvent(event('1.5'))).toThrow(/event.created: expected an integer/);
    expect(decodeEvent(event('-9223372036854775808')).created).toBe(MIN_INT64);
  });

  it('writes the same decimal PostgreSQL stores, however it was spelled', () => {
    // Each pair is one numeric value with the same scale: JSONB stores them alike.
    const read = decodeTrackEvent(
      '{"track":"t","payload":[0.0000001,1000000000000000000000,2.5E+3,1.5e-7],"timestamp":"2026-01-02T03:04:05Z"}',
    );
    expect(read.payload).toEqual([1e-7, 1e21, 2500, 1.5e-7]);
    expect(encodeTrackEvent(read)).toContain('"payload":[1e-7,1e+21,2500,1.5e-7]');
  });

  it('reads a number a float64 cannot hold as PostgreSQL spells it, so every backend reads it alike', () => {
    // What JSONB gives back for these tokens (checked against the database in go-exact-roundtrip).
    const read = decodeTrackEvent(
      '{"track":"t","payload":[1e400,1e-400,1.50e1,-0.0,0.000e-5,123456789012345678901e-3],"timestamp":"2026-01-02T03:04:05Z"}',
    );
    expect(read.payload).toEqual([
      10n ** 400n,
      raw(`0.${'0'.repeat(399)}1`),
      raw('15.0'),
      raw('0.0'),
      raw('0.00000000'),
      raw('123456789012345678.901'),
    ]);
  });

  it('reads a long decimal deep in extensions exactly, and extensions without numbers as they are', () => {
    const event = (extensions: string) =>
      `{"object":"","created":0,"invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z","extensions":${extensions}}`;
    // Deeper than the check for numbers in raw values looks: it takes the value to hold one.
    const deep = `${'['.repeat(100)}0.1000000000000000055511151231257827${']'.repeat(100)}`;
    let value = decodeEvent(event(`{"deep":${deep}}`)).extensions!.deep;
    for (let i = 0; i < 100; i++) value = (value as unknown[])[0];
    expect(value).toEqual(raw('0.1000000000000000055511151231257827'));
    // Digits in strings are no numbers: these come back from the fast parse.
    const text = event('{"app":{"note":"1.0000000000000001","list":[true,null,"9007199254740993"]}}');
    expect(decodeEvent(text).extensions).toEqual(
      mapOf<unknown>([['app', { note: '1.0000000000000001', list: [true, null, '9007199254740993'] }]]),
    );
    expect(encodeEvent(decodeEvent(text))).toContain(
      '"extensions":{"app":{"note":"1.0000000000000001","list":[true,null,"9007199254740993"]}}',
    );
  });
});

describe('keys Go matches case-insensitively', () => {
  const folded: Event = {
    object: 'chat.completion',
    created: 1767323045,
    model: 'gpt-4o',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Bonjour' },
        delta: { role: '' },
        finish_reason: 'stop',
      },
    ],
    // `usage` then `Usage`: Go decodes both into the one struct, the later total winning.
    usage: {
      prompt_tokens: 3,
      completion_tokens: 2,
      total_tokens: 5,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: {},
    },
    done: true,
    is_partial: false,
    invocationId: 'inv-f',
    // `author` then `Author`: the later key wins.
    author: 'assistant',
    id: 'e-fold-1',
    timestamp: utc(2026, 1, 2, 3, 4, 5),
    // `tag` then `TAG: null`: null leaves a plain field as it was.
    tag: 'kept',
    // `ſtateDelta`: the long s folds to `s`.
    stateDelta: mapOf([['k', bytes('v')]]),
    // `Extensions` then `extensions`: the maps merge.
    extensions: mapOf<unknown>([
      ['a', 1],
      ['b', 2],
    ]),
    // `filter\u212Aey`: the Kelvin sign folds to `k`.
    filterKey: 'root',
    version: 1,
    // `Response` then `response`: merged.
    response: { id: 'chatcmpl-f', timestamp: utc(2026, 1, 2, 3, 4, 4) },
  };

  it('reads the fields whatever the case of their keys, as Go does', () => {
    expect(comparable(decodeEvent(fixture('event-folded-keys.json')))).toStrictEqual(comparable(folded));
  });

  it('writes them back under Go’s names', () => {
    expect(encodeEvent(decodeEvent(fixture('event-folded-keys.json')))).toBe(encodeEvent(folded));
  });

  it('slices merge element by element, and null clears a pointer', () => {
    const event = decodeEvent(
      '{"object":"","choices":[{"index":1,"message":{"role":"user","content":"a"}}],"Choices":[{"message":{"content":"b"}}],' +
        '"error":{"message":"x"},"ERROR":null,"invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z"}',
    );
    expect(event.choices).toEqual([
      { index: 1, message: { role: 'user', content: 'b' }, delta: { role: '' } },
    ]);
    expect(event.error).toBeUndefined();
  });

  it('reads summaries, track events and the session-state envelope the same way', () => {
    const summary = decodeSummary(
      '{"Summary":"s","TOPICS":["t"],"Updated_At":"2026-01-02T03:04:05Z","Boundary":{"Version":1,"Cutoff_At":"2026-01-02T03:04:05Z"}}',
    );
    expect(summary).toEqual({
      summary: 's',
      topics: ['t'],
      updated_at: utc(2026, 1, 2, 3, 4, 5),
      boundary: { version: 1, cutoff_at: utc(2026, 1, 2, 3, 4, 5) },
    });
    const track = decodeTrackEvent('{"Track":"t","PAYLOAD":{"A":1},"TimeStamp":"2026-01-02T03:04:05Z"}');
    expect(track).toEqual({ track: 't', payload: { A: 1 }, timestamp: utc(2026, 1, 2, 3, 4, 5) });
    const envelope = decodeSessionState(
      '{"ID":"s","State":{"K":"dg=="},"CreatedAt":"2026-01-02T03:04:05Z","updatedat":"2026-01-02T03:04:06Z"}',
    );
    expect(comparable(envelope)).toStrictEqual(
      comparable({
        id: 's',
        state: mapOf([['K', bytes('v')]]),
        createdAt: utc(2026, 1, 2, 3, 4, 5),
        updatedAt: utc(2026, 1, 2, 3, 4, 6),
      }),
    );
  });

  it('matches no key to a field by any other folding', () => {
    // U+0130 (İ) and U+0131 (ı) are not in the simple-folding orbit of i.
    const event = decodeEvent(
      '{"\u0130nvocationId":"x","\u0131nvocationId":"y","invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z"}',
    );
    expect(event.invocationId).toBe('i');
  });
});
