import { InvalidArgumentError } from '../errors.js';

/**
 * A piece of JSON text, kept as it is. Two uses:
 *
 * - Reading: a number in a raw JSON value (an event's `extensions`, a track event's `payload`,
 *   a tool call's `extra_fields`, a state value read with `readJson`) that a JavaScript number
 *   cannot hold exactly — `0.1000000000000000055511151231257827`, `1.50` — is read as a RawJson
 *   of its digits, spelled as PostgreSQL's numeric spells them (`1.50e1` is `15.0`). Integers of
 *   that kind (`1e400` too) are read as a `bigint`. Written back, either gives the same digits, so
 *   what trpc-agent-go reads is what it wrote.
 * - Writing: any JSON text to store as it is, in a raw JSON value: `new RawJson('{"id":1}')`.
 *   It is written without insignificant whitespace and with Go's escaping of `<`, `>`, `&`,
 *   U+2028 and U+2029, as Go's json.Marshal writes a json.RawMessage.
 */
export class RawJson {
  /** The JSON text. */
  readonly text: string;

  constructor(text: string) {
    if (typeof text !== 'string') throw new InvalidArgumentError('RawJson', 'must be JSON text (a string)');
    try {
      JSON.parse(text);
    } catch (error) {
      throw new InvalidArgumentError('RawJson', `must be valid JSON text (${(error as Error).message})`);
    }
    this.text = text;
  }

  /** The value as JSON.parse reads it: numbers beyond a float64's precision are rounded. */
  get value(): unknown {
    return JSON.parse(this.text);
  }

  /**
   * What JSON.stringify writes: the exact text where the runtime can embed raw JSON
   * (`JSON.rawJSON`, for numbers and other primitives), else the value as JSON.parse reads it.
   */
  toJSON(): unknown {
    const rawJSON = (JSON as { rawJSON?: (text: string) => unknown }).rawJSON;
    const first = this.text.trimStart()[0];
    if (rawJSON && first !== '{' && first !== '[') return rawJSON(this.text.trim());
    return this.value;
  }

  toString(): string {
    return this.text;
  }
}

/** A RawJson of a number token the parser has already checked, without checking it again. */
export function rawNumber(token: string): RawJson {
  const raw = Object.create(RawJson.prototype) as { text: string };
  raw.text = token;
  return raw as RawJson;
}

/**
 * JSON.stringify for values read exactly: a bigint is written as its digits and a RawJson as its
 * text (JSON.stringify throws on the one and rounds the other). Arguments and result as
 * JSON.stringify's, without a replacer.
 */
export function stringifyExactJson(value: unknown, space?: string | number): string | undefined {
  const exact: string[] = [];
  // Each exact value is first written as a string holding NUL characters and a nonce, which no
  // string of the value can collide with by chance, then replaced by its text.
  const nonce = Math.random().toString(36).slice(2);
  const text = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, replaced: unknown) {
      // `this[key]` is the value before its toJSON ran: a RawJson, not what RawJson.toJSON gives.
      // A boxed bigint counts as its bigint: JSON.stringify would unwrap it after this call, then throw.
      const original = unboxBigInt(this[key]);
      if (typeof original !== 'bigint' && !(original instanceof RawJson)) return replaced;
      exact.push(typeof original === 'bigint' ? original.toString() : original.text.trim());
      return `\u0000${nonce}:${exact.length - 1}\u0000`;
    },
    space,
  );
  if (text === undefined || exact.length === 0) return text;
  const marker = new RegExp(`"\\\\u0000${nonce}:(\\d+)\\\\u0000"`, 'g');
  return text.replace(marker, (_, index: string) => exact[Number(index)]!);
}

function unboxBigInt(value: unknown): unknown {
  return value instanceof BigInt ? value.valueOf() : value;
}
