import { describe, expect, it } from 'vitest';
import {
  decodeEvent,
  decodeSessionState,
  decodeStateMap,
  decodeSummary,
  decodeTrackEvent,
  decodeTrackNames,
  encodeSessionState,
  encodeStateMap,
  encodeSummary,
  encodeTrackEvent,
  encodeTrackNames,
  goJsonString,
  type SessionStateEnvelope,
} from '../../src/session/codec/index.js';
import type { Summary } from '../../src/session/summary.js';
import type { TrackEvent } from '../../src/session/track.js';
import { bytes, comparable, fixture, goZero, mapOf, utc } from './helpers.js';

describe('summary JSON', () => {
  const summaries: Record<string, Summary> = {
    'summary-boundary.json': {
      summary: 'The user asked about Paris weather & packing.',
      topics: ['weather', 'travel'],
      updated_at: utc(2026, 1, 2, 3, 4, 7, 250),
      boundary: {
        version: 1,
        filter_key: 'app/agent',
        cutoff_at: utc(2026, 1, 2, 3, 4, 7, 250),
        last_event_id: 'e-result-1',
      },
    },
    // omitempty has no effect on time.Time: a zero cutoff is still written.
    'summary-boundary-minimal.json': {
      summary: '',
      updated_at: goZero(),
      boundary: { version: 1, cutoff_at: goZero() },
    },
    'summary-plain.json': { summary: 'Short chat.', updated_at: utc(2026, 1, 2, 3, 4, 5) },
  };

  for (const [name, summary] of Object.entries(summaries)) {
    it(`writes and reads ${name}`, () => {
      expect(encodeSummary(summary)).toBe(fixture(name));
      expect(comparable(decodeSummary(fixture(name)))).toStrictEqual(comparable(summary));
      expect(encodeSummary(decodeSummary(fixture(name)))).toBe(fixture(name));
    });
  }

  it('omits empty topics', () => {
    expect(encodeSummary({ summary: 's', topics: [], updated_at: goZero() })).toBe(
      '{"summary":"s","updated_at":"0001-01-01T00:00:00Z"}',
    );
  });
});

describe('track event JSON', () => {
  const events: Record<string, TrackEvent> = {
    'track-event-object.json': {
      track: 'agui',
      payload: { type: 'RUN_STARTED', threadId: 't-1', runId: 'r-1', n: 3 },
      timestamp: utc(2026, 1, 2, 3, 4, 5, 500),
    },
    'track-event-null.json': { track: 'custom', payload: null, timestamp: utc(2026, 1, 2, 3, 4, 5) },
  };

  for (const [name, event] of Object.entries(events)) {
    it(`writes and reads ${name}`, () => {
      expect(encodeTrackEvent(event)).toBe(fixture(name));
      expect(comparable(decodeTrackEvent(fixture(name)))).toStrictEqual(comparable(event));
      expect(encodeTrackEvent(decodeTrackEvent(fixture(name)))).toBe(fixture(name));
    });
  }

  it('writes an undefined payload as null, as Go writes a nil json.RawMessage', () => {
    expect(
      encodeTrackEvent({ track: 'custom', payload: undefined, timestamp: utc(2026, 1, 2, 3, 4, 5) }),
    ).toBe(fixture('track-event-null.json'));
  });

  it('reads a missing payload as null', () => {
    expect(decodeTrackEvent('{"track":"t","timestamp":"2026-01-02T03:04:05Z"}').payload).toBeNull();
  });
});

describe('session state envelope', () => {
  const envelope: SessionStateEnvelope = {
    id: 'sess-1',
    state: mapOf([
      ['user:name', bytes('Ada')],
      ['tracks', bytes('["agui","custom"]')],
      ['nothing', null],
      ['app:x', bytes('1')],
    ]),
    createdAt: utc(2026, 1, 2, 3, 4, 5, 123, 456_789),
    updatedAt: utc(2026, 1, 2, 3, 5, 0),
  };

  it('writes the envelope as Go does: sorted keys, base64 values, null for null', () => {
    expect(encodeSessionState(envelope)).toBe(fixture('session-state.json'));
  });

  it('reads it back, nanoseconds and null values included', () => {
    const decoded = decodeSessionState(fixture('session-state.json'));
    expect(comparable(decoded)).toStrictEqual(comparable(envelope));
    expect(Object.getPrototypeOf(decoded.state)).toBeNull();
    expect(encodeSessionState(decoded)).toBe(fixture('session-state.json'));
  });

  it('writes an empty state as {}', () => {
    const empty = {
      id: 'sess-2',
      state: {},
      createdAt: utc(2026, 1, 2, 3, 4, 5),
      updatedAt: utc(2026, 1, 2, 3, 4, 5),
    };
    expect(encodeSessionState(empty)).toBe(fixture('session-state-empty.json'));
  });

  it('reads a missing or null state as an empty map', () => {
    for (const json of ['{"id":"s"}', '{"id":"s","state":null}']) {
      const decoded = decodeSessionState(json);
      expect(Object.keys(decoded.state)).toEqual([]);
      expect(decoded.createdAt.getTime()).toBe(goZero().getTime());
    }
  });

  it('reads a value written as an array of bytes, as Go reads a []byte, and refuses items that are not bytes', () => {
    const decoded = decodeSessionState('{"id":"s","state":{"a":[104,105],"b":[],"c":[0,null,255]}}');
    expect(comparable(decoded.state)).toStrictEqual(
      comparable(
        mapOf([
          ['a', bytes('hi')],
          ['b', new Uint8Array()],
          ['c', new Uint8Array([0, 0, 255])],
        ]),
      ),
    );
    const event = decodeEvent(
      '{"invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z","stateDelta":{"k":[1,2,3]}}',
    );
    expect(comparable(event.stateDelta)).toStrictEqual(comparable(mapOf([['k', new Uint8Array([1, 2, 3])]])));
    for (const [item, got] of [
      ['256', 'got number'],
      ['-1', 'got number'],
      ['1.5', 'got number'],
      ['"a"', 'got string'],
      ['[1]', 'got an array'],
    ]) {
      expect(() => decodeSessionState(`{"id":"s","state":{"k":[7,${item}]}}`)).toThrow(
        `sessionState.state["k"][1]: expected a byte (an integer from 0 to 255), ${got}`,
      );
    }
  });

  it('writes and reads a bare state map for SQL-side merges', () => {
    const state = mapOf([
      ['b', bytes('2')],
      ['a', null],
    ]);
    expect(encodeStateMap(state)).toBe('{"a":null,"b":"Mg=="}');
    expect(comparable(decodeStateMap(JSON.parse('{"a":null,"b":"Mg=="}')))).toStrictEqual(comparable(state));
    expect(comparable(decodeStateMap('{"a":null,"b":"Mg=="}'))).toStrictEqual(comparable(state));
    expect(Object.keys(decodeStateMap(null))).toEqual([]);
  });
});

describe('the tracks state value', () => {
  it('holds json.Marshal([]Track) bytes', () => {
    expect(new TextDecoder().decode(encodeTrackNames(['agui', 'custom']))).toBe(fixture('track-names.json'));
    expect(decodeTrackNames(bytes(fixture('track-names.json')))).toEqual(['agui', 'custom']);
  });

  it('escapes names as Go does', () => {
    expect(new TextDecoder().decode(encodeTrackNames(['a<b', 'é']))).toBe('["a\\u003cb","é"]');
  });

  it('reads absent, empty and null values as no tracks', () => {
    expect(decodeTrackNames(undefined)).toEqual([]);
    expect(decodeTrackNames(null)).toEqual([]);
    expect(decodeTrackNames(new Uint8Array(0))).toEqual([]);
    expect(decodeTrackNames(bytes('null'))).toEqual([]);
  });

  it('throws on a value that is not a list of names', () => {
    expect(() => decodeTrackNames(bytes('{"a":1}'))).toThrow(TypeError);
    expect(() => decodeTrackNames(bytes('[1]'))).toThrow(/tracks\[0\]: expected a string/);
    expect(() => decodeTrackNames(bytes('[oops'))).toThrow(SyntaxError);
  });
});

describe('goJsonString', () => {
  it('escapes as Go does', () => {
    expect(goJsonString('<a href="x">&</a>\u2028\u2029\b\f\n\r\t\u0001\u007f\\/😀')).toBe(
      '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e\\u2028\\u2029\\b\\f\\n\\r\\t\\u0001\u007f\\\\/😀"',
    );
  });
});
