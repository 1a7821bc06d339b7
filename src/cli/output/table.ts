/**
 * A plain-text table: a header, aligned columns, no borders, so it reads well in a terminal and
 * still splits cleanly on runs of spaces in a script.
 */
import type { Colors } from './colors.js';
import { safeText } from './safe-text.js';

export interface Column<Row> {
  header: string;
  /** The cell's text; control characters in it are shown escaped (see safe-text.ts). */
  value: (row: Row) => string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
  /** Colours a cell after escaping and padding (padding counts visible characters only). */
  color?: (text: string, row: Row) => string;
}

// Width in terminal columns: code points, so an accented name does not shift its row.
const width = (text: string) => [...text].length;

function pad(text: string, size: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Renders rows as lines (no trailing newline); the last column is not padded. */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  colors: Colors,
): string {
  // Cells hold stored names: escaped before measuring, so widths are those of what is shown, and
  // before colouring, so our own colour codes stay intact.
  const cells = rows.map((row) => columns.map((c) => safeText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))));
  const last = columns.length - 1;
  const line = (texts: string[], paint: (text: string, i: number) => string) =>
    texts
      .map((text, i) =>
        paint(
          i === last && columns[i]!.align !== 'right'
            ? text
            : pad(text, widths[i]!, columns[i]!.align ?? 'left'),
          i,
        ),
      )
      .join('  ')
      .trimEnd();
  const header = line(
    columns.map((c) => c.header),
    (text) => colors.bold(text),
  );
  const body = cells.map((texts, r) =>
    line(texts, (text, i) => {
      const paint = columns[i]!.color;
      return paint ? paint(text, rows[r]!) : text;
    }),
  );
  return [header, ...body].join('\n');
}
