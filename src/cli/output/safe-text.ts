/**
 * Text from the database made safe to print on a terminal. Stored names, messages, state and
 * payloads are written by agents and their users, so they may hold control characters: an ESC
 * sequence clears the screen, sets the window title or plants a hyperlink, a carriage return or
 * backspace overwrites what was printed, and a bidi control reorders what a person reads. Printed
 * raw, the stored data would drive the operator's terminal.
 *
 * Each such character is shown as a visible escape, in the spelling of a JavaScript string:
 * `\n`, `\r` and `\t` for those three, `\xHH` for the other ASCII controls and DEL (`\x1b`,
 * `\x07`, `\x08`, `\x7f`), and `\uHHHH` for the non-ASCII ones: the C1 controls U+0080–U+009F
 * (`\u009b`) and the bidi controls (`\u202e`). Everything else, letters of any script and emoji
 * included, is printed as stored. A backslash is printed as stored too (escaping it would double
 * every backslash of a path or a JSON argument), so `--json` is the way to tell a stored `\x1b`
 * from an escaped ESC.
 */

/**
 * C0 controls, DEL, C1 controls, and the bidi controls: ALM U+061C, LRM/RLM U+200E–U+200F, the
 * embeddings and overrides U+202A–U+202E, and the isolates U+2066–U+2069.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The same without the line feed, for text printed over several lines on purpose. */
const UNSAFE_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * What JSON text may hold raw that a terminal acts on: DEL, C1 and bidi controls, which
 * JSON.stringify and PostgreSQL leave unescaped. The C0 controls other than JSON's whitespace
 * (tab, line feed, carriage return) cannot appear raw in valid JSON; they are here in case.
 */
const UNSAFE_IN_JSON =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const hex = (c: string, digits: number) => c.charCodeAt(0).toString(16).padStart(digits, '0');

/** One unsafe character as its visible escape. */
function visible(c: string): string {
  return SHORT[c] ?? (c < '\u0080' ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`);
}

/** Stored text for one line of output (a name, a cell, a key): every control escaped. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Stored text printed over several lines (a message): line feeds kept, every other control escaped. */
export function safeLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, visible);
}

/**
 * Serialized JSON made safe to print: DEL, C1 and bidi controls written as `\uXXXX`. They can
 * only occur inside JSON strings, where that escape means the same character, so the text stays
 * valid JSON and parses to the same value.
 */
export function safeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}
