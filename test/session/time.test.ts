import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRfc3339Nano, PreciseDate, parseRfc3339, subMillisecondNanos } from '../../src/session/time.js';

/**
 * The straightforward reading of RFC 3339 (a regular expression and Date's own setters), kept
 * here as the oracle the fast scanner in time.ts must agree with.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function oracle(text: string): { ms: number; nanos: number } | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', , sign, oh, om] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  // Date's setters roll month 0 and 13 into the neighbouring years; RFC 3339 has no such months.
  if (Number(mo) < 1 || Number(mo) > 12) return null;
  if (date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let ms = date.getTime();
  if (sign) ms -= (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const nanos = Number(frac.padEnd(9, '0'));
  return { ms: ms + Math.floor(nanos / 1_000_000), nanos: nanos % 1_000_000 };
}

const seen = (date: Date | null) => (date ? { ms: date.getTime(), nanos: subMillisecondNanos(date) } : null);

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Timestamps that are mostly well-formed, with every part sometimes out of range or odd. */
const timestampText = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 1600, 1900, 2000, 2024, 2100)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.\d{0,11}$/)),
    separator: fc.constantFrom('T', 't', ' ', 'x'),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z', '', 'UTC', '+8', '+08', '+0800'),
      fc
        .record({
          sign: fc.constantFrom('+', '-'),
          h: fc.integer({ min: 0, max: 99 }),
          m: fc.integer({ min: 0, max: 99 }),
        })
        .map(({ sign, h, m }) => `${sign}${pad(h, 2)}:${pad(m, 2)}`),
    ),
  })
  .map(
    (t) =>
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}${t.separator}${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${t.fraction}${t.zone}`,
  );

describe('parseRfc3339', () => {
  it('agrees with the regular-expression reading on well-formed and malformed timestamps', () => {
    fc.assert(
      fc.property(timestampText, (text) => {
        expect(seen(parseRfc3339(text))).toStrictEqual(oracle(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees on arbitrary text and on cut or padded timestamps', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          timestampText.map((t) => t.slice(0, -1)),
          timestampText.map((t) => ` ${t}`),
        ),
        (text) => {
          expect(seen(parseRfc3339(text))).toStrictEqual(oracle(text));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('reads every instant back from what formatRfc3339Nano wrote, to the nanosecond', () => {
    const instant = fc.record({
      ms: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
      nanos: fc.integer({ min: 0, max: 999_999 }),
    });
    fc.assert(
      fc.property(instant, ({ ms, nanos }) => {
        const parsed = parseRfc3339(formatRfc3339Nano(new PreciseDate(ms, nanos)));
        expect(seen(parsed)).toStrictEqual({ ms, nanos });
      }),
    );
  });

  it('handles leap days, offsets and Go zero time', () => {
    expect(parseRfc3339('2024-02-29T00:00:00Z')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseRfc3339('2023-02-29T00:00:00Z')).toBeNull();
    expect(parseRfc3339('1900-02-29T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2000-02-29T00:00:00Z')).not.toBeNull();
    expect(parseRfc3339('2026-01-02T08:04:05.5+08:00')?.toISOString()).toBe('2026-01-02T00:04:05.500Z');
    expect(parseRfc3339('0001-01-01T00:00:00Z')?.getTime()).toBe(-62_135_596_800_000);
    expect(parseRfc3339('2026-01-02T03:04:05.1234567890Z')).toBeNull();
    expect(parseRfc3339('2026-01-02T03:04:05.Z')).toBeNull();
    expect(parseRfc3339('2026-00-01T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2026-13-01T00:00:00Z')).toBeNull();
  });
});
