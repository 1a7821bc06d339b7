/**
 * Pretty-printing JSON text without parsing it into values: the layout of
 * `JSON.stringify(value, null, 2)`, with every token copied as written. The stored documents hold
 * numbers JSON.parse cannot keep (`12345678901234567890`, `1.50`), so printing their parse would
 * show other numbers than the database holds.
 */

const INDENT = '  ';

/** Whitespace JSON allows between tokens: space, tab, line feed, carriage return. */
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Lays out valid JSON text (jsonb's `{"a": 1}` as well as compact text) as
 * `JSON.stringify(JSON.parse(text), null, 2)` would, but with each string, number and literal
 * exactly as written, and members in the order written. The text must be valid JSON: this is a
 * printer, not a validator.
 */
export function indentJson(text: string): string {
  const out: string[] = [];
  let depth = 0;
  const newline = () => out.push(`\n${INDENT.repeat(depth)}`);
  const length = text.length;
  let i = 0;
  const skipSpace = () => {
    while (i < length && isSpace(text.charCodeAt(i))) i++;
  };
  while (i < length) {
    const c = text[i]!;
    if (isSpace(text.charCodeAt(i))) {
      i++;
    } else if (c === '"') {
      const start = i++;
      // Bounded by the length too, so that text cut short ends the loop instead of hanging it.
      while (i < length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out.push(text.slice(start, ++i));
    } else if (c === '{' || c === '[') {
      i++;
      skipSpace();
      if (text[i] === (c === '{' ? '}' : ']')) {
        out.push(c === '{' ? '{}' : '[]');
        i++;
      } else {
        out.push(c);
        depth++;
        newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      newline();
      out.push(c);
      i++;
    } else if (c === ',') {
      out.push(',');
      newline();
      i++;
    } else if (c === ':') {
      out.push(': ');
      i++;
    } else {
      // A number, true, false or null: up to the next delimiter.
      const start = i;
      while (i < length && !isSpace(text.charCodeAt(i)) && !',:]}'.includes(text[i]!)) i++;
      out.push(text.slice(start, i));
    }
  }
  return out.join('');
}
