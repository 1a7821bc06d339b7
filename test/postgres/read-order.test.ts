/**
 * A read's event rows come back unsorted, and newestFirst puts them in read order (created_at
 * DESC, id DESC) by comparing the timestamp text as PostgreSQL writes it and the ids as integers,
 * parsing neither. These check that order against the one the parsed values give.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/postgres/queries/read.js';
import { newestFirst } from '../../src/postgres/read/session-rows.js';

/** A TIMESTAMP as PostgreSQL's text output writes it (DateStyle ISO): fraction's trailing zeros trimmed. */
function pgTimestamp(micros: bigint): string {
  // Whole seconds rounded down (before 1970 too), and the microseconds after them.
  const within = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number((micros - within) / 1000n)).toISOString();
  const fraction = String(within).padStart(6, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}`;
}

const row = (createdAt: string, id: string): EventRow => ({ rowId: id, createdAt, json: '{}' });

// Years 0001 to 9999, in microseconds since the epoch.
const MIN_MICROS = -62_135_596_800_000_000n;
const MAX_MICROS = 253_402_300_799_999_999n;

describe('newestFirst', () => {
  it('orders by time, then by id, as the parsed values order', () => {
    const entry = fc.record({
      // A few distinct times, so that ties are common; some a microsecond apart.
      time: fc.oneof(
        fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS }),
        fc.constantFrom(
          1_700_000_000_000_000n,
          1_700_000_000_000_001n,
          1_700_000_000_100_000n,
          1_700_000_000_450_000n,
        ),
      ),
      id: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.id, maxLength: 40 }), (entries) => {
        const got = newestFirst(entries.map((e) => row(pgTimestamp(e.time), String(e.id)))).map(
          (r) => r.rowId,
        );
        const expected = [...entries]
          .sort((a, b) => (a.time === b.time ? (a.id < b.id ? 1 : -1) : a.time < b.time ? 1 : -1))
          .map((e) => String(e.id));
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('orders ids of different lengths as integers, and a time with a fraction after the whole second', () => {
    const rows = [
      row('2026-01-02 03:04:05', '9'),
      row('2026-01-02 03:04:05', '100'),
      row('2026-01-02 03:04:05.45', '1'),
      row('2026-01-02 03:04:05', '10'),
      row('2026-01-02 03:04:05.5', '2'),
    ];
    expect(newestFirst(rows).map((r) => r.rowId)).toEqual(['2', '1', '100', '10', '9']);
  });
});
