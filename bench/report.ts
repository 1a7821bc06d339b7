/**
 * The table printed at the end of a run, and the JSON written with `--json FILE`.
 */
import { writeFile } from 'node:fs/promises';
import { type Figure, judge, type Target } from './measure.js';

export interface Meta {
  date: string;
  command: string;
  quick: boolean;
  node: string;
  cpus: string;
  loadAverage: { start: number[]; end: number[] };
  commit: string | undefined;
  backends: Record<string, string>;
  /** Peak RSS of the process during each backend's run, in MB. */
  peakRssMb: Record<string, number>;
  gcExposed: boolean;
  durationSeconds: number;
}

function number(value: number, unit: Figure['unit']): string {
  if (!Number.isFinite(value)) return '—';
  switch (unit) {
    case 'events/s':
      return `${Math.round(value).toLocaleString('en-US')} ev/s`;
    case 'ms':
      return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`;
    case 'KB':
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} KB`;
    case 'MB':
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} MB`;
  }
}

const ratioText = (ratio: number | null) =>
  ratio === null || !Number.isFinite(ratio) ? '—' : `${ratio < 0.1 ? ratio.toFixed(3) : ratio.toFixed(2)}×`;
const targetText = (t: Target | undefined) => (t ? `${t.op === '>=' ? '≥' : '≤'} ${t.value}×` : '');

function result(figure: Figure): string {
  return judge(figure) ?? '';
}

/** The rows of the table, as cells. */
export function tableRows(figures: readonly Figure[]): string[][] {
  const header = ['workload', 'backend', 'ours', 'floor', 'ratio', 'target', 'result'];
  const rows = figures.map((f) => [
    `${f.workload} ${f.name}`,
    f.backend,
    number(f.ours, f.unit),
    f.floor === null ? '—' : `${number(f.floor, f.unit)}${f.reference ? ' ‡' : ''}`,
    ratioText(f.ratio),
    targetText(f.target),
    result(f),
  ]);
  return [header, ...rows];
}

/** A plain-text table (also valid Markdown when `markdown` is set). */
export function formatTable(figures: readonly Figure[], markdown = false): string {
  const rows = tableRows(figures);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
  const numeric = new Set([2, 3, 4]);
  const pad = (cell: string, c: number) =>
    numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!);
  const line = (r: string[]) =>
    markdown ? `| ${r.map(pad).join(' | ')} |` : r.map(pad).join('  ').trimEnd();
  const [header, ...body] = rows;
  const rule = markdown
    ? `| ${widths.map((w, c) => (numeric.has(c) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
    : widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header!), rule, ...body.map(line)].join('\n');
}

export const LEGEND = [
  'ratio = ours / floor (throughput: the median of per-round ratios; latency and memory: of the medians).',
  'Throughput wants a high ratio, latency and memory a low one.',
  'Targets bind on both backends: server PostgreSQL as the issue sets them, PGlite within 2× of its floor.',
  '‡ not the raw-SQL floor: the floor with more of our work added (named in the row), ours at the shortest session (flat rows), or the event JSON appended (W6).',
].join('\n');

export async function writeJson(file: string, meta: Meta, figures: readonly Figure[]): Promise<void> {
  const out = {
    meta,
    figures: figures.map((f) => ({
      ...f,
      result: judge(f) ?? null,
      binding: f.target !== undefined,
    })),
  };
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
}
