/**
 * State values are base64 in Go's JSON, read as strictly as Go's base64.StdEncoding: padded,
 * standard alphabet, CR and LF skipped, anything else refused. The decoder takes a one-pass route
 * for short values and a general one for long values and values with line breaks; both must
 * agree with Go's rules, written out here as a regular expression over the text without breaks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStateMap } from '../../src/session/codec/index.js';

const GO_STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's reading of `text`: its bytes, or null when Go's decoder refuses it. */
function goDecode(text: string): Uint8Array | null {
  const s = text.replace(/[\r\n]/g, '');
  return GO_STD_BASE64.test(s) ? new Uint8Array(Buffer.from(s, 'base64')) : null;
}

/** Our reading, through the state-map decoder: bytes, or null when it refused the value. */
function ourDecode(text: string): Uint8Array | null {
  try {
    return decodeStateMap({ k: text }).k!;
  } catch (error) {
    expect((error as Error).message).toMatch(/^state\["k"\]: expected standard base64/);
    return null;
  }
}

/** Text near base64: mostly its alphabet and padding, with line breaks and strays mixed in. */
const nearBase64 = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        {
          weight: 20,
          arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
        },
        { weight: 3, arbitrary: fc.constant('=') },
        { weight: 1, arbitrary: fc.constantFrom('\r', '\n', ' ', '-', '_', 'é', '\u0000', '\ud83d\ude00') },
      ),
      { maxLength },
    )
    .map((chars) => chars.join(''));

describe('state values in base64', () => {
  it('reads every encoding of random bytes, short and long, padded as Go pads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, wrap) => {
        let text = Buffer.from(bytes).toString('base64');
        // MIME-style line breaks, which Go skips.
        if (wrap) text = text.replace(/(.{76})/g, '$1\r\n');
        expect(ourDecode(text)).toEqual(new Uint8Array(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with Go on any text near base64: the same bytes, or refused', () => {
    for (const maxLength of [12, 40, 300]) {
      fc.assert(
        fc.property(nearBase64(maxLength), (text) => {
          expect(ourDecode(text)).toEqual(goDecode(text));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('refuses padding anywhere but the end, and more than two padding characters', () => {
    for (const text of ['QQ==QQ==', 'Q===', '====', 'QU=J', '=QUJ', 'QUJD=', 'QUJ', 'QQ', 'Q']) {
      expect([text, ourDecode(text)]).toEqual([text, null]);
    }
    expect(ourDecode('')).toEqual(new Uint8Array(0));
    expect(ourDecode('QQ==')).toEqual(new Uint8Array([0x41]));
    expect(ourDecode('QUI=')).toEqual(new Uint8Array([0x41, 0x42]));
    expect(ourDecode('Q\r\nU\nI=')).toEqual(new Uint8Array([0x41, 0x42]));
  });
});
