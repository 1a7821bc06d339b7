/**
 * The per-table report of `cleanup` and `purge`.
 */

import type { TableNames } from '../../postgres/schema/index.js';
import type { SweepCounts } from '../../session/observers.js';
import type { Colors } from '../output/colors.js';
import { formatCount } from '../output/format.js';
import { renderTable } from '../output/table.js';

const ROWS: readonly [keyof SweepCounts, keyof TableNames & string][] = [
  ['sessions', 'sessionStates'],
  ['events', 'sessionEvents'],
  ['summaries', 'sessionSummaries'],
  ['trackEvents', 'sessionTrackEvents'],
  ['appStates', 'appStates'],
  ['userStates', 'userStates'],
];

/** A table of rows changed per table, with the total. */
export function renderSweepCounts(counts: SweepCounts, tables: TableNames, verb: string, c: Colors): string {
  const rows = ROWS.map(([field, key]) => ({
    table: (tables[key] as { name: string }).name,
    n: counts[field],
  }));
  const total = rows.reduce((sum, r) => sum + r.n, 0);
  return renderTable(
    [
      { header: 'TABLE', value: (r: { table: string }) => r.table },
      { header: verb.toUpperCase(), value: (r: { n: number }) => formatCount(r.n), align: 'right' },
    ],
    [...rows, { table: 'total', n: total }],
    c,
  );
}

/** The JSON form of the same report. */
export function sweepCountsJson(counts: SweepCounts): Record<string, number> {
  return Object.fromEntries(ROWS.map(([field]) => [field, counts[field]]));
}
