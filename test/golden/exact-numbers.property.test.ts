/**
 * Generated JSON with numbers of every length and spelling: whatever JSON.parse would round is
 * read exactly and written back as the same decimal (the value and the decimal places PostgreSQL's
 * numeric keeps), and everything JSON.parse reads exactly is read as JSON.parse reads it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasInexactNumber, isExactNumber } from '../../src/session/codec/exact.js';
import {
  decodeEvent,
  decodeTrackEvent,
  encodeEvent,
  encodeTrackEvent,
  parseExactJson,
  RawJson,
  stringifyExactJson,
} from '../../src/session/codec/index.js';
import type { Event } from '../../src/session/event.js';
import { jsonValue, readJson } from '../../src/session/state.js';

/**
 * A decimal's value and scale, computed with BigInt, independently of the codec: the reference
 * the properties compare with. Two tokens with the same key are one PostgreSQL numeric.
 */
function numericKey(token: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!m) throw new Error(`not a JSON number: ${token}`);
  const [, sign, whole, fraction = '', exp = '0'] = m;
  const scale = Math.max(0, fraction.length - Number(exp));
  let mantissa = BigInt(whole! + fraction);
  let power = Number(exp) - fraction.length;
  if (mantissa === 0n) return `0/${scale}`;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    power++;
  }
  return `${sign}${mantissa}e${power}/${scale}`;
}

// Number tokens of every shape: long digit runs, fractions with trailing zeros, exponents far
// beyond a float64's range, and the short ones JSON.parse reads exactly.
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const numberToken = fc.oneof(
  fc
    .tuple(
      fc.boolean(),
      fc.oneof(
        fc.constant('0'),
        fc.tuple(fc.constantFrom(...'123456789'), digits(0, 40)).map(([a, b]) => a + b),
      ),
      fc.option(digits(1, 40), { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom('e', 'E', 'e+', 'e-', 'E-'), fc.integer({ min: 0, max: 500 })), {
        nil: undefined,
      }),
    )
    .map(
      ([negative, whole, fraction, exponent]) =>
        `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}${exponent === undefined ? '' : `${exponent[0]}${exponent[1]}`}`,
    ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);

/** JSON text of arrays and objects around number tokens, with strings full of digits between. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    numberToken,
    fc.string().map((s) => JSON.stringify(`${s}1e400 9007199254740993`)),
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[ ${items.join(' , ')} ]`),
    fc
      .array(fc.tuple(fc.string(), tie('value')), { maxLength: 4 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** An exactly parsed tree with every number replaced by its numericKey, to compare values. */
function keyed(value: unknown): unknown {
  if (typeof value === 'number') return { n: numericKey(stringifyExactJson(value)!) };
  if (typeof value === 'bigint') return { n: numericKey(value.toString()) };
  if (value instanceof RawJson) return { n: numericKey(value.text) };
  if (Array.isArray(value)) return value.map(keyed);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keyed(v)]));
  }
  return value;
}

const holdsExact = (value: unknown): boolean =>
  typeof value === 'bigint' ||
  value instanceof RawJson ||
  (value !== null && typeof value === 'object' && Object.values(value).some(holdsExact));

describe('numbers read without loss', () => {
  it('reads a number token as a number exactly when writing that number gives the same decimal', () => {
    fc.assert(
      fc.property(numberToken, (token) => {
        const exact = isExactNumber(token);
        const n = Number(token);
        // A negative zero is not exact: numeric keeps no sign on zero, so a row holds 0.
        const negativeZero = n === 0 && token.startsWith('-');
        const same =
          Number.isFinite(n) && !negativeZero && numericKey(stringifyExactJson(n)!) === numericKey(token);
        expect(exact).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes back the same decimal for every token, in raw JSON values', () => {
    fc.assert(
      fc.property(numberToken, (token) => {
        const read = decodeTrackEvent(
          `{"track":"t","payload":[${token}],"timestamp":"2026-01-02T03:04:05Z"}`,
        );
        const written = /"payload":\[(.*)\]/.exec(encodeTrackEvent(read))![1]!;
        expect(numericKey(written)).toBe(numericKey(token));
      }),
      { numRuns: 2000 },
    );
  });

  it('parses as JSON.parse does, numbers aside, and tells when JSON.parse would round', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const exact = parseExactJson(text);
        // The scan may also see a number a later duplicate key replaced; it never misses one.
        if (holdsExact(exact)) expect(hasInexactNumber(text)).toBe(true);
        if (!hasInexactNumber(text)) expect(exact).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every number of generated extensions and track payloads through decode and encode', () => {
    fc.assert(
      fc.property(jsonText, jsonText, (extension, payload) => {
        const eventText = `{"invocationId":"i","author":"a","id":"e","timestamp":"2026-01-02T03:04:05Z","extensions":{"x":${extension}}}`;
        const again = parseExactJson(encodeEvent(decodeEvent(eventText))) as { extensions?: { x: unknown } };
        expect(keyed(again.extensions?.x)).toEqual(keyed(parseExactJson(extension)));
        const trackText = `{"track":"t","payload":${payload},"timestamp":"2026-01-02T03:04:05Z"}`;
        const track = parseExactJson(encodeTrackEvent(decodeTrackEvent(trackText))) as { payload: unknown };
        expect(keyed(track.payload)).toEqual(keyed(parseExactJson(payload)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a `__proto__` key an ordinary property, as JSON.parse does', () => {
    const parsed = parseExactJson('{"__proto__":{"polluted":12345678901234567890},"a":1}') as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a']);
    const own = Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value as Record<string, unknown>;
    expect(own.polluted).toBe(12345678901234567890n);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses nesting far deeper than the call stack allows recursion', () => {
    const depth = 100_000;
    const parsed = parseExactJson(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
    let level = 0;
    for (let v: unknown = parsed; Array.isArray(v); v = v[0]) level++;
    expect(level).toBe(depth);
  });
});

describe('RawJson and the exact helpers', () => {
  it('refuses text that is not JSON', () => {
    expect(() => new RawJson('{')).toThrow(/RawJson must be valid JSON text/);
    expect(() => new RawJson(1 as unknown as string)).toThrow(/must be JSON text/);
  });

  it('is written compact, with Go’s escaping, and checked like any value', () => {
    const track = (payload: unknown) => encodeTrackEvent({ track: 't', payload, timestamp: new Date(0) });
    expect(track(new RawJson(' { "a" : [ 1 , 2.50 , "<b> & \u2028" ] } '))).toContain(
      '"payload":{"a":[1,2.50,"\\u003cb\\u003e \\u0026 \\u2028"]}',
    );
    expect(() => track(new RawJson('{"a":"\\u0000"}'))).toThrow(/trackEvent.payload.a must not contain NUL/);
    expect(() => track(new RawJson('"\\ud800"'))).toThrow(
      /trackEvent.payload must not contain unpaired surrogates/,
    );
    expect(() => track(new RawJson(`${'['.repeat(1001)}${']'.repeat(1001)}`))).toThrow(/1000 levels/);
  });

  it('gives its value as JSON.parse reads it, and its exact text to JSON.stringify where the runtime can', () => {
    const price = new RawJson('1.50');
    expect(price.value).toBe(1.5);
    expect(String(price)).toBe('1.50');
    const rawJSON = (JSON as { rawJSON?: unknown }).rawJSON;
    expect(JSON.stringify({ price })).toBe(rawJSON ? '{"price":1.50}' : '{"price":1.5}');
    expect(stringifyExactJson({ price, id: 2n ** 64n, list: [new RawJson('{"a": 1e400}')] })).toBe(
      '{"price":1.50,"id":18446744073709551616,"list":[{"a": 1e400}]}',
    );
  });

  it('reads and writes state values exactly', () => {
    const bytes = jsonValue({ id: 2n ** 63n - 1n, price: new RawJson('1.50') });
    expect(new TextDecoder().decode(bytes)).toBe('{"id":9223372036854775807,"price":1.50}');
    expect(readJson({ v: bytes }, 'v')).toEqual({ id: 2n ** 63n - 1n, price: new RawJson('1.50') });
    // Values without such numbers are written as JSON.stringify writes them, as before.
    expect(new TextDecoder().decode(jsonValue({ a: '<b>' }))).toBe('{"a":"<b>"}');
  });
});

describe('a boxed bigint', () => {
  const event = (extensions: Record<string, unknown>) =>
    encodeEvent({
      id: 'e',
      invocationId: 'i',
      author: 'user',
      timestamp: new Date(0),
      extensions,
    } as Event);
  const track = (payload: unknown) => encodeTrackEvent({ track: 't', payload, timestamp: new Date(0) });
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  /** Every writer of caller values, each given `value` alone and inside an object and an array. */
  const writings = (value: unknown) => [
    event({ k: value, list: [value] }),
    track(value),
    track({ k: value }),
    text(jsonValue(value)),
    text(jsonValue({ k: value, list: [value] })),
    stringifyExactJson(value),
    stringifyExactJson({ k: value, list: [value] }),
  ];

  it('is written as the bigint it holds, by every writer of caller values', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), (n) => {
        expect(writings(Object(n))).toEqual(writings(n));
      }),
    );
    expect(text(jsonValue({ a: Object(5n) }))).toBe('{"a":5}');
    expect(text(jsonValue(Object(5n)))).toBe('5');
  });

  it('is written as its digits even when BigInt.prototype has a toJSON, as a bigint is', () => {
    const prototype = BigInt.prototype as { toJSON?: () => string };
    prototype.toJSON = function (this: bigint) {
      return `${this}n`;
    };
    try {
      expect(writings(Object(5n))).toEqual(writings(5n));
      expect(track({ k: Object(5n) })).toContain('"payload":{"k":5}');
    } finally {
      delete prototype.toJSON;
    }
  });
});

describe('the range of PostgreSQL numeric', () => {
  const track = (payload: unknown) => encodeTrackEvent({ track: 't', payload, timestamp: new Date(0) });

  it('writes numbers numeric holds, and refuses the others as the database would, naming the value', () => {
    for (const ok of ['1e131071', '9.99e131071', '1e-16383', '0.5e131072'])
      expect(() => track(new RawJson(ok))).not.toThrow();
    for (const bad of ['1e131072', '1e-16384', '1.5e-16383', '10e131071']) {
      expect(() => track(new RawJson(bad)), bad).toThrow(
        /trackEvent.payload must be a number PostgreSQL's numeric can hold/,
      );
      expect(() => track([new RawJson(`[${bad}]`)]), bad).toThrow(
        /trackEvent.payload\[0\]\[0\] must be a number/,
      );
    }
    expect(() => track({ n: 10n ** 131072n })).toThrow(/trackEvent.payload.n must be a number/);
  });

  it('reads a number beyond it as its text, which the writer then refuses', () => {
    const read = decodeTrackEvent('{"track":"t","payload":[1e200000],"timestamp":"2026-01-02T03:04:05Z"}');
    expect(read.payload).toEqual([new RawJson('1e200000')]);
    expect(() => encodeTrackEvent(read)).toThrow(/must be a number PostgreSQL's numeric can hold/);
  });
});
