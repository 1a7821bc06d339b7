/**
 * How the command reports failure: one line on stderr, never a stack, never a password.
 */

import { redactSecrets } from '../postgres/connection/connection-string.js';
import { isAgentSessionsError } from '../session/errors.js';
import { safeText } from './output/safe-text.js';

/** A failure the command explains itself (bad flag value, unknown session, missing tables). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Error codes of Node's network layer that mean "the server is not there". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

function firstMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return firstMessage(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  // PGlite's file system throws plain objects (`{ name: 'ErrnoError', errno: 44 }`).
  if (typeof error === 'object' && error !== null) {
    const { name, message, errno } = error as { name?: unknown; message?: unknown; errno?: unknown };
    const what = [name, message].filter((part) => typeof part === 'string' && part !== '').join(': ');
    return `${what || 'error'}${typeof errno === 'number' ? ` (errno ${errno})` : ''}`;
  }
  return String(error);
}

/** Node's error of a file operation (it names the system call), as opposed to the database's. */
function isFileError(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return (
    typeof code === 'string' &&
    typeof syscall === 'string' &&
    !UNREACHABLE.has(code) &&
    /^(open|read|write|mkdir|rmdir|stat|lstat|rename|unlink|scandir|close|fsync)$/.test(syscall)
  );
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The one line printed for `error`. Multi-line messages (the schema verifier lists every problem)
 * are folded onto one line, because scripts and log collectors read the first line only; control
 * characters are shown escaped.
 *
 * @param secrets strings that must not appear (the password of the DSN in use).
 */
export function describeError(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  let message = firstMessage(error);
  if (isFileError(error)) message = `file error: ${message}`;
  else if (!(error instanceof CliError) && !isAgentSessionsError(error))
    message = `database error: ${message}`;
  const code = networkCode(error);
  if (code && !message.includes(code)) message = `${message} (${code})`;
  const oneLine = message
    .split('\n')
    .map((line) => line.trim().replace(/^- /, ''))
    .filter(Boolean)
    .join('; ');
  // Redacted before escaping, so a password holding a control character is still found; escaped
  // because the message may quote stored names and values (see safeText).
  return safeText(
    redactSecrets(
      oneLine,
      secrets.filter((s): s is string => typeof s === 'string'),
    ),
  );
}
