import { describe, expect, it } from 'vitest';
import { cloneEvent, decodeEvent, encodeEvent } from '../../src/session/codec/index.js';
import { hasResponse, isPersistableEvent } from '../../src/session/event.js';
import { PreciseDate } from '../../src/session/time.js';
import { decodeOnlyEvents, expectedEvents } from './expected-events.js';
import { bytes, comparable, fixture, utc } from './helpers.js';

// Extension values are raw JSON in Go, kept in whatever key order their writer chose; the test
// compares them parsed, and everything around them byte for byte.
function withoutExtensions(json: string): string {
  const event = JSON.parse(json);
  delete event.extensions;
  return JSON.stringify(event);
}

describe('event JSON, as Go writes it', () => {
  for (const [name, event] of Object.entries(expectedEvents)) {
    describe(name, () => {
      it('encodes to the exact bytes Go writes', () => {
        const encoded = encodeEvent(event);
        if (event.extensions) {
          expect(JSON.parse(encoded).extensions).toEqual(JSON.parse(fixture(name)).extensions);
          // Keys around the extensions stay in Go's order.
          expect(Object.keys(JSON.parse(encoded))).toEqual(Object.keys(JSON.parse(fixture(name))));
          expect(withoutExtensions(encoded)).toBe(withoutExtensions(fixture(name)));
        } else {
          expect(encoded).toBe(fixture(name));
        }
      });

      it('decodes to the expected event, nanoseconds included', () => {
        expect(comparable(decodeEvent(fixture(name)))).toStrictEqual(comparable(event));
      });

      it('re-encodes what it decodes to the same bytes', () => {
        expect(encodeEvent(decodeEvent(fixture(name)))).toBe(fixture(name));
      });
    });
  }

  for (const [name, { event, reencoded }] of Object.entries(decodeOnlyEvents)) {
    describe(name, () => {
      it('decodes to the expected event', () => {
        expect(comparable(decodeEvent(fixture(name)))).toStrictEqual(comparable(event));
      });

      it('re-encodes in UTC with the nested response', () => {
        expect(encodeEvent(decodeEvent(fixture(name)))).toBe(reencoded());
      });
    });
  }

  it('keeps all nine fractional digits of a timestamp', () => {
    const decoded = decodeEvent(fixture('event-user-message.json'));
    expect(decoded.timestamp).toBeInstanceOf(PreciseDate);
    expect(decoded.timestamp.getTime()).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 123));
    expect((decoded.timestamp as PreciseDate).subMillisecondNanos).toBe(456_789);
  });

  it('reads +08:00 and -05:30 offsets as the same instants in UTC', () => {
    const decoded = decodeEvent(fixture('event-timestamp-offset.json'));
    expect(decoded.timestamp.toISOString()).toBe('2026-01-02T03:04:05.123Z');
    expect(decoded.response?.timestamp?.toISOString()).toBe('2026-01-02T03:04:05.100Z');
  });

  it('reads base64 into plain Uint8Arrays that share no memory with other values', () => {
    const decoded = decodeEvent(fixture('event-state-delta.json'));
    const value = decoded.stateDelta?.counter;
    expect(value?.constructor).toBe(Uint8Array);
    expect(value?.byteOffset).toBe(0);
    expect(value?.buffer.byteLength).toBe(2);
  });

  it('reads an event without response fields as one without a response', () => {
    const decoded = decodeEvent(fixture('event-no-response.json'));
    expect(hasResponse(decoded)).toBe(false);
    expect('response' in decoded).toBe(false);
  });

  it('tells stored events from the rest as Go does', () => {
    const persistable = (name: string) => isPersistableEvent(decodeEvent(fixture(name)));
    expect(persistable('event-user-message.json')).toBe(true);
    expect(persistable('event-tool-call.json')).toBe(true);
    expect(persistable('event-tool-result.json')).toBe(true);
    expect(persistable('event-partial-chunk.json')).toBe(false);
    expect(persistable('event-error-only.json')).toBe(false);
    expect(persistable('event-no-response.json')).toBe(false);
  });
});

describe('reading what Go reads', () => {
  const base = '"invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z"';

  it('prefers the nested response id over the flat one, keeping the flat fields', () => {
    const decoded = decodeEvent(
      `{"id":"evt-2","object":"chat.completion","done":true,"response":{"id":"resp-2","object":"x","done":false}}`,
    );
    expect(decoded.id).toBe('evt-2');
    expect(decoded.response?.id).toBe('resp-2');
    expect(decoded.object).toBe('chat.completion');
    expect(decoded.done).toBe(true);
  });

  it('ignores a malformed nested response, as Go only logs it', () => {
    for (const response of ['"oops"', '{"id":5}', '{"timestamp":"yesterday"}', '[1]']) {
      const decoded = decodeEvent(`{${base},"object":"o","response":${response}}`);
      expect(decoded.object).toBe('o');
      expect(comparable(decoded.response)).toStrictEqual(comparable({ timestamp: utc(1, 1, 1) }));
    }
    // Without flat response fields, a malformed nested response leaves no response at all.
    expect(hasResponse(decodeEvent(`{${base},"response":"oops"}`))).toBe(false);
  });

  it('gives an event a response as soon as one response key appears, even with null', () => {
    const decoded = decodeEvent(`{${base},"usage":null}`);
    expect(hasResponse(decoded)).toBe(true);
    expect(decoded.choices).toBeNull();
    expect(encodeEvent(decoded)).toBe(
      `{"object":"","created":0,"model":"","choices":null,"done":false,"is_partial":false,${base},"response":{"timestamp":"0001-01-01T00:00:00Z"}}`,
    );
  });

  it('reads a nested response alone as a response', () => {
    const decoded = decodeEvent(`{${base},"response":{"id":"r-1"}}`);
    expect(hasResponse(decoded)).toBe(true);
    expect(decoded.response?.id).toBe('r-1');
  });

  it('reads null as the zero value and ignores unknown fields', () => {
    const decoded = decodeEvent(
      `{"invocationId":null,"author":null,"id":"e","timestamp":null,"branch":null,"x":1}`,
    );
    expect(decoded.invocationId).toBe('');
    expect(decoded.author).toBe('');
    expect(decoded.timestamp.getTime()).toBe(utc(1, 1, 1).getTime());
    expect('branch' in decoded).toBe(false);
  });

  it('accepts JSONB text, with its own key order and spacing', () => {
    const decoded = decodeEvent(
      '{"id": "e-1", "author": "user", "version": 1, "timestamp": "2026-01-02T03:04:05Z", "invocationId": "i"}',
    );
    expect(encodeEvent(decoded)).toBe(
      '{"invocationId":"i","author":"user","id":"e-1","timestamp":"2026-01-02T03:04:05Z","version":1}',
    );
  });

  it('throws a SyntaxError for malformed JSON', () => {
    expect(() => decodeEvent('{"id":')).toThrow(SyntaxError);
    expect(() => decodeEvent('{"id":')).toThrow(/^event: malformed JSON/);
  });

  it('throws a TypeError naming the field for a wrong type', () => {
    const cases: [string, RegExp][] = [
      ['null', /^event: expected a JSON object, got null/],
      ['[]', /^event: expected a JSON object, got an array/],
      ['{"author":5}', /^event\.author: expected a string, got number/],
      ['{"timestamp":"yesterday"}', /^event\.timestamp: expected an RFC 3339 timestamp/],
      ['{"stateDelta":{"k":"not base64!"}}', /^event\.stateDelta\["k"\]: expected standard base64/],
      ['{"stateDelta":{"k":"QQ"}}', /^event\.stateDelta\["k"\]: expected standard base64/],
      ['{"stateDelta":{"k":5}}', /^event\.stateDelta\["k"\]: expected a base64 string or null/],
      ['{"choices":{}}', /^event\.choices: expected an array, got object/],
      ['{"choices":[{"index":1.5}]}', /^event\.choices\[0\]\.index: expected an integer/],
      [
        '{"choices":[{"message":{"tool_calls":[{"function":{"arguments":{"a":1}}}]}}]}',
        /^event\.choices\[0\]\.message\.tool_calls\[0\]\.function\.arguments: expected a string/,
      ],
      ['{"longRunningToolIDs":{"c":true}}', /^event\.longRunningToolIDs\.c: expected an object/],
    ];
    for (const [json, message] of cases) {
      expect(() => decodeEvent(json), json).toThrow(TypeError);
      expect(() => decodeEvent(json), json).toThrow(message);
    }
  });
});

describe('cloneEvent', () => {
  it('copies deeply, so changing the copy leaves the original alone', () => {
    const original = decodeEvent(fixture('event-state-delta.json'));
    const copy = cloneEvent(original);
    copy.stateDelta!.counter![0] = 0x39;
    (copy.extensions!['trpc_agent.tool_call_args'] as { call_abc: { city: string } }).call_abc.city = 'Lyon';
    expect(encodeEvent(original)).toBe(encodeEvent(decodeEvent(fixture('event-state-delta.json'))));
  });

  it('gives the canonical shape a database round trip gives', () => {
    const copy = cloneEvent({
      invocationId: 'i',
      author: 'user',
      id: 'e',
      timestamp: utc(2026, 1, 2),
      choices: [{ index: 0, message: { role: 'user', content: 'hi', tool_calls: [] } }],
      branch: '',
      stateDelta: { k: bytes('v') },
    });
    expect(comparable(copy)).toStrictEqual(
      comparable({
        object: '',
        created: 0,
        model: '',
        choices: [{ index: 0, message: { role: 'user', content: 'hi' }, delta: { role: '' } }],
        done: false,
        is_partial: false,
        invocationId: 'i',
        author: 'user',
        id: 'e',
        timestamp: utc(2026, 1, 2),
        stateDelta: { k: bytes('v') },
        response: { timestamp: utc(1, 1, 1) },
      }),
    );
    expect(Object.getPrototypeOf(copy.stateDelta)).toBeNull();
  });
});
