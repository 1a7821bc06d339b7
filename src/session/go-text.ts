/**
 * Go's `strings.TrimSpace`, for the text rules trpc-agent-go applies with it (an event window's
 * anchor id, role names and message text). Not JavaScript's `trim()`: Go trims what
 * `unicode.IsSpace` holds (the Unicode White_Space property), so it trims U+0085, which `trim()`
 * keeps, and keeps U+FEFF, which `trim()` trims. Index loops rather than a regular expression
 * anchored at the end, which backtracks over every run of spaces inside a long text.
 */

/** Whether a UTF-16 code unit is white space to Go (all of White_Space is in the BMP). */
function isGoSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** `text` without Go's white space at either end. */
export function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isGoSpace(text.charCodeAt(start))) start++;
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Whether `text` is empty once Go trims it. */
export function isGoBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isGoSpace(text.charCodeAt(i))) return false;
  return true;
}
