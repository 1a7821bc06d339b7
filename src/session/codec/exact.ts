import { rawNumber } from './raw-json.js';
import { formatFloat } from './writer.js';

/**
 * Reading JSON without rounding its numbers. JSON.parse turns every number into a float64:
 * `9223372036854775807` (a Go int64) becomes `9223372036854775808`, `1.50` becomes `1.5`, `1e400`
 * becomes Infinity. Written back, such a number would store different digits than the row held,
 * and PostgreSQL's JSONB keeps digits and decimal places exactly. So a number is read as a
 * JavaScript number only when writing that number gives back the same stored value; otherwise an
 * integer is read as a bigint and any other number as a RawJson of its digits, both as PostgreSQL's
 * numeric spells them.
 *
 * JSON.parse stays the reader of the common case: these functions tell when its result is exact
 * and read the text again, more slowly, when it is not.
 */

/**
 * Whether a JSON number token survives a round trip through a JavaScript number: the number,
 * written as our writer (and Go) writes it, is the same decimal with the same count of decimal
 * places as the token, which is what PostgreSQL's numeric keeps. So `1e-7` and `0.0000001`, or
 * `1e+21` and `1000000000000000000000`, are each other's round trip; `1.0`, `1.50`, `1e400` and
 * integers beyond 2^53 are not.
 */
export function isExactNumber(token: string): boolean {
  // A negative zero is not: numeric has no sign on zero, so the row holds 0.
  if (token.length <= 15 && isPlainInteger(token)) return token !== '-0';
  const n = Number(token);
  if (!Number.isFinite(n) || (n === 0 && token.charCodeAt(0) === 0x2d)) return false;
  const written = formatFloat(n);
  return written === token || decimalKey(written) === decimalKey(token);
}

function isPlainInteger(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 0x2e || c === 0x65 || c === 0x45) return false;
  }
  return true;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal's value and display scale as one comparable string: the significant digits, their
 * power of ten, and PostgreSQL numeric's scale (decimal places once the exponent is applied).
 */
function decimalKey(token: string): string {
  const m = DECIMAL.exec(token);
  if (!m) return `?${token}`;
  const [, sign, whole, fraction = '', exponentText] = m;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const scale = Math.max(0, fraction.length - exponent);
  const digits = (whole! + fraction).replace(/^0+/, '');
  if (digits === '') return `0|${scale}`;
  const significant = digits.replace(/0+$/, '');
  const power = exponent - fraction.length + (digits.length - significant.length);
  return `${sign}${significant}e${power}|${scale}`;
}

/**
 * A number token as the exact reading gives it: a number, or else spelled as PostgreSQL's numeric
 * spells it (so every backend reads `1e400` or `2.50e1` alike): an integer as a bigint, any other
 * as a RawJson of its plain decimal digits (`25.0`).
 */
export function exactNumber(token: string): unknown {
  if (isExactNumber(token)) return Number(token);
  // Beyond numeric's range no database row holds it: kept as it is, for the writer to refuse.
  if (!fitsNumeric(token)) return rawNumber(token);
  const decimal = numericText(token);
  // A token that was inexact only for its spelling (`-0`, `2.5E+3` as `2500`) may read exactly now.
  if (isExactNumber(decimal)) return Number(decimal);
  return decimal.includes('.') ? rawNumber(decimal) : BigInt(decimal);
}

/**
 * Whether PostgreSQL's numeric can hold a JSON number token: at most 131072 digits before the
 * decimal point and 16383 after (its scale). JSONB refuses any other ("value overflows numeric
 * format").
 */
export function fitsNumeric(token: string): boolean {
  const m = DECIMAL.exec(token);
  if (!m) return false;
  const [, , whole, fraction = '', exponentText] = m;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (fraction.length - exponent > NUMERIC_MAX_SCALE) return false;
  const digits = whole! + fraction;
  const leadingZeros = digits.length - digits.replace(/^0+/, '').length;
  return (
    leadingZeros === digits.length || whole!.length + exponent - leadingZeros <= NUMERIC_MAX_WHOLE_DIGITS
  );
}

/**
 * The text PostgreSQL's numeric gives a JSON number token within its range: no exponent, the
 * decimal places its scale says (`1.50e1` is `15.0`), no minus sign on zero.
 */
export function numericText(token: string): string {
  const m = DECIMAL.exec(token);
  if (!m) return token;
  const [, sign, whole, fraction = '', exponentText] = m;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (exponentText === undefined) return /^-0(\.0*)?$/.test(token) ? token.slice(1) : token;
  const digits = whole! + fraction;
  const point = whole!.length + exponent;
  const scale = Math.max(0, fraction.length - exponent);
  const integerPart = (point <= 0 ? '' : digits.slice(0, point).padEnd(point, '0')).replace(/^0+/, '') || '0';
  const fractionPart = point >= 0 ? digits.slice(point) : '0'.repeat(-point) + digits;
  const text =
    scale === 0 ? integerPart : `${integerPart}.${fractionPart.slice(0, scale).padEnd(scale, '0')}`;
  return sign && /[1-9]/.test(text) ? `-${text}` : text;
}

const NUMERIC_MAX_WHOLE_DIGITS = 131072;
const NUMERIC_MAX_SCALE = 16383;

/**
 * Whether JSON text holds a number token that JSON.parse does not read exactly. Strings are
 * skipped with indexOf, so the scan costs little more than a look at the text between them.
 */
export function hasInexactNumber(text: string): boolean {
  return someNumber(text, (token) => !isExactNumber(token));
}

/**
 * The first number token of valid JSON text that PostgreSQL's numeric cannot hold (JSONB refuses
 * the whole document: "value overflows numeric format"), or undefined.
 */
export function numberBeyondNumeric(text: string): string | undefined {
  let found: string | undefined;
  someNumber(text, (token) => {
    if (fitsNumeric(token)) return false;
    found = token;
    return true;
  });
  return found;
}

/** Whether `test` holds for a number token of valid JSON text (strings skipped). */
function someNumber(text: string, test: (token: string) => boolean): boolean {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = numberEnd(text, i);
      if (test(text.slice(i, end))) return true;
      i = end;
    } else {
      i++;
    }
  }
  return false;
}

/** The index after the string that starts at `start` (its opening quote). */
function stringEnd(text: string, start: number): number {
  let close = text.indexOf('"', start + 1);
  while (close !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    close = text.indexOf('"', close + 1);
  }
  return text.length;
}

/** The index after the number token that starts at `start`. */
function numberEnd(text: string, start: number): number {
  let i = start + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Digits, '.', 'e', 'E', '+', '-': the characters a JSON number is made of.
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d))
      break;
  }
  return i;
}

/**
 * Parses JSON as JSON.parse does (same objects and arrays, the last of duplicate keys wins, a
 * `__proto__` key is an ordinary property), except that numbers JSON.parse would round are read
 * as {@link exactNumber} reads them. Throws JSON.parse's SyntaxError for malformed text.
 */
export function parseExactJson(text: string): unknown {
  JSON.parse(text);
  return parseValidJson(text);
}

/** A container being filled: an array, or an object and the key whose value comes next. */
type Frame = unknown[] | { object: Record<string, unknown>; key: string };

/**
 * The parse of text JSON.parse has already accepted. Iterative, so nesting depth is bounded by
 * memory rather than the call stack, as it is for JSON.parse.
 */
export function parseValidJson(text: string): unknown {
  const stack: Frame[] = [];
  let i = skipSpace(text, 0);
  for (;;) {
    let value: unknown;
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      i = skipSpace(text, i + 1);
      const object: Record<string, unknown> = {};
      if (text.charCodeAt(i) !== 0x7d) {
        const end = stringEnd(text, i);
        stack.push({ object, key: readString(text, i, end) });
        i = skipSpace(text, skipSpace(text, end) + 1);
        continue;
      }
      value = object;
      i++;
    } else if (c === 0x5b) {
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) !== 0x5d) {
        stack.push([]);
        continue;
      }
      value = [];
      i++;
    } else if (c === 0x22) {
      const end = stringEnd(text, i);
      value = readString(text, i, end);
      i = end;
    } else if (c === 0x74) {
      value = true;
      i += 4;
    } else if (c === 0x66) {
      value = false;
      i += 5;
    } else if (c === 0x6e) {
      value = null;
      i += 4;
    } else {
      const end = numberEnd(text, i);
      value = exactNumber(text.slice(i, end));
      i = end;
    }
    // Put the value into its container; close every container that ends right after it.
    for (;;) {
      const top = stack[stack.length - 1];
      i = skipSpace(text, i);
      if (top === undefined) return value;
      const next = text.charCodeAt(i);
      if (Array.isArray(top)) {
        top.push(value);
        if (next === 0x2c) break;
        stack.pop();
        value = top;
      } else {
        setProperty(top.object, top.key, value);
        if (next === 0x2c) {
          const start = skipSpace(text, i + 1);
          const end = stringEnd(text, start);
          top.key = readString(text, start, end);
          i = skipSpace(text, end);
          break;
        }
        stack.pop();
        value = top.object;
      }
      i++;
    }
    i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, start: number): number {
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The string whose token spans [start, end): sliced when it has no escapes, else JSON.parse'd. */
function readString(text: string, start: number, end: number): string {
  const body = text.slice(start + 1, end - 1);
  return body.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : body;
}

/** Sets a property as JSON.parse does: `__proto__` becomes an own property, not the prototype. */
function setProperty(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}
