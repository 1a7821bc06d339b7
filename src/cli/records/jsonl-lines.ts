/**
 * The lines of a JSON-lines input, read from bytes rather than through node:readline: readline
 * decodes with replacement characters (invalid UTF-8 became U+FFFD, so a session was imported
 * under another key) and holds a line of any length until V8 cannot make it a string (a crash
 * with a stack trace and no line number). Here each line is decoded strictly and held to a
 * length, and both failures name the line.
 */

/**
 * The longest line read, in bytes (without its newline). Well below V8's maximum string length
 * (2^29 - 24 UTF-16 units on 64-bit, about 512 MiB; a line decodes to at most as many units as it
 * has bytes), so a longer line is refused by number instead of crashing the process, while leaving
 * room for JSON.parse and the import to work on the line.
 */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * Replaces MAX_LINE_BYTES, for tests only: they check the limit without writing 256 MiB files.
 * Ignored unless it is a positive integer.
 */
export const MAX_LINE_BYTES_TEST_ENV = 'AGENT_SESSIONS_TEST_MAX_LINE_BYTES';

/** The line limit in effect: MAX_LINE_BYTES unless a test set MAX_LINE_BYTES_TEST_ENV. */
export function maxLineBytes(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[MAX_LINE_BYTES_TEST_ENV];
  return value !== undefined && /^[1-9][0-9]*$/.test(value) ? Number(value) : MAX_LINE_BYTES;
}

/** A line that cannot be read; `lineNo` counts from 1. */
export class JsonlLineError extends Error {
  override readonly name = 'JsonlLineError';
  constructor(
    readonly lineNo: number,
    reason: string,
  ) {
    super(reason);
  }
}

export interface JsonlLine {
  lineNo: number;
  /** The decoded line, without its line ending (LF or CRLF). */
  text: string;
  /** The bytes it took in the input, line ending included (for progress). */
  bytes: number;
}

const MiB = 1024 * 1024;
const describeBytes = (n: number) => (n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`);

/**
 * Yields every line of `input` (a stream of bytes, not of strings), the last one also when it
 * has no newline. Lines are split on the byte 0x0A, which no multi-byte UTF-8 sequence contains,
 * and decoded as they arrive, so at most one line and one read chunk are held.
 *
 * @throws JsonlLineError when a line is not valid UTF-8 (any form: stray or truncated sequences,
 * overlong forms, encoded surrogates, bytes F5–FF) or is longer than `maxBytes`; the lines before
 * it have been yielded.
 */
export async function* jsonlLines(
  input: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<JsonlLine> {
  // `fatal` throws instead of writing U+FFFD; `ignoreBOM` keeps a leading U+FEFF in the text,
  // where the caller can refuse it, instead of dropping it silently.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let lineNo = 1;
  let text = '';
  let size = 0;
  // `last` ends the line: the decoder then also refuses a sequence cut short by the newline.
  const add = (bytes: Uint8Array, last: boolean) => {
    size += bytes.length;
    if (size > maxBytes) throw new JsonlLineError(lineNo, `is longer than ${describeBytes(maxBytes)}`);
    try {
      text += decoder.decode(bytes, { stream: !last });
    } catch {
      throw new JsonlLineError(lineNo, 'is not valid UTF-8');
    }
  };
  const take = (newline: boolean): JsonlLine => {
    const line = {
      lineNo,
      text: text.endsWith('\r') ? text.slice(0, -1) : text,
      bytes: size + Number(newline),
    };
    lineNo++;
    text = '';
    size = 0;
    return line;
  };
  for await (const chunk of input) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      add(chunk.subarray(start, nl), true);
      yield take(true);
      start = nl + 1;
    }
    add(chunk.subarray(start), false);
  }
  if (size > 0) {
    add(new Uint8Array(0), true);
    yield take(false);
  }
}
