/**
 * Words of a command the CLI suggests (`run \`agent-sessions restore …\``), quoted so that the
 * line, pasted into a POSIX shell, runs that command with these words and nothing else: a data
 * directory with a space, or a session id such as `$(rm -rf ~)` or `a; b`, is one argument.
 */

/** Characters no POSIX shell gives a meaning to in an unquoted word. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as one shell word: as it is when plain, else in single quotes (`'` written `'\''`). */
export function shellWord(word: string): string {
  if (PLAIN.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
