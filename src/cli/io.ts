/**
 * Writing to stdout and stderr without losing data: a large export must wait when the pipe is
 * full instead of buffering everything in memory.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes `text` and a newline, waiting for the stream to drain when its buffer is full. A stream
 * that failed (a full disk) fails the write with its error rather than never draining; an abort
 * of `signal` (Ctrl-C, see interrupt.ts) ends the wait for a reader that may never come.
 */
export async function writeLine(stream: Writable, text: string, signal?: AbortSignal): Promise<void> {
  if (stream.errored) throw stream.errored;
  if (!stream.write(`${text}\n`)) await once(stream, 'drain', { signal });
}

/** Prints to stdout. */
export function print(text: string): Promise<void> {
  return writeLine(process.stdout, text);
}

/** Prints a note to stderr (reports that must not mix with data on stdout). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
