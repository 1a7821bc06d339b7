/**
 * Go's `strings.TrimSpace`, for the text rules trpc-agent-go applies with it (an event window's
 * anchor id, role names and message text). Not JavaScript's `trim()`: Go trims what
 * `unicode.IsSpace` holds (the Unicode White_Space property), so it trims U+0085, which `trim()`
 * keeps, and keeps U+FEFF, which `trim()` trims.
 */
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const EDGES = new RegExp(`^${SPACE}+|${SPACE}+$`, 'g');
const BLANK = new RegExp(`^${SPACE}*$`);

/** `text` without Go's white space at either end. */
export function goTrimSpace(text: string): string {
  return text.replace(EDGES, '');
}

/** Whether `text` is empty once Go trims it. */
export function isGoBlank(text: string): boolean {
  return BLANK.test(text);
}
