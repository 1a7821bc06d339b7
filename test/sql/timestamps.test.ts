/**
 * PostgreSQL's timestamp text as the driver seam reads it: every microsecond kept, for any
 * instant a TIMESTAMP holds between years 1 and 9999.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PreciseDate, subMillisecondNanos, toSqlTimestamp } from '../../src/session/time.js';
import { fromSqlTimestamp, fromSqlTimestampTz } from '../../src/sql/timestamps.js';

const seen = (date: Date | null) => (date ? { ms: date.getTime(), nanos: subMillisecondNanos(date) } : null);

describe('fromSqlTimestamp', () => {
  it('reads back what toSqlTimestamp wrote, to the microsecond', () => {
    const instant = fc.record({
      ms: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
      micros: fc.integer({ min: 0, max: 999 }),
    });
    fc.assert(
      fc.property(instant, ({ ms, micros }) => {
        const parsed = fromSqlTimestamp(toSqlTimestamp(new PreciseDate(ms, micros * 1000)));
        expect(seen(parsed)).toStrictEqual({ ms, nanos: micros * 1000 });
      }),
    );
  });

  it('reads PostgreSQL output with fewer fractional digits or none', () => {
    expect(fromSqlTimestamp('2026-01-02 03:04:05').toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(fromSqlTimestamp('2026-01-02 03:04:05.12').toISOString()).toBe('2026-01-02T03:04:05.120Z');
    expect(subMillisecondNanos(fromSqlTimestamp('2026-01-02 03:04:05.123456'))).toBe(456_000);
  });

  it('refuses anything else with a RangeError naming the text', () => {
    for (const text of [
      '2026-01-02 03:04:05Z',
      '2026-13-02 03:04:05',
      '2026-01-02',
      'infinity',
      '2026-01-02 03:04:05 BC',
    ]) {
      expect(() => fromSqlTimestamp(text)).toThrow(new RangeError(`not a timestamp: ${text}`));
    }
  });
});

describe('fromSqlTimestampTz', () => {
  it('reads an offset of hours or hours and minutes, keeping the microseconds', () => {
    expect(seen(fromSqlTimestampTz('2026-01-02 03:04:05.123456+08'))).toStrictEqual({
      ms: Date.UTC(2026, 0, 1, 19, 4, 5, 123),
      nanos: 456_000,
    });
    expect(fromSqlTimestampTz('2026-01-02 03:04:05-05:30')?.toISOString()).toBe('2026-01-02T08:34:05.000Z');
  });

  it('returns null for text without an offset', () => {
    expect(fromSqlTimestampTz('2026-01-02 03:04:05')).toBeNull();
    expect(fromSqlTimestampTz('2026-01-02 03:04:05+8')).toBeNull();
  });
});
