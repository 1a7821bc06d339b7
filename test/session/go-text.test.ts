/**
 * Go's white space (unicode.IsSpace, the White_Space property) and strings.TrimSpace, which the
 * event window applies to anchor ids, roles and message text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goTrimSpace, isGoBlank } from '../../src/session/go-text.js';

const WHITE_SPACE = /^\p{White_Space}$/u;

describe("Go's white space", () => {
  it('is exactly the White_Space property, over every UTF-16 code unit', () => {
    const differ: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const unit = String.fromCharCode(c);
      if (isGoBlank(unit) !== WHITE_SPACE.test(unit)) differ.push(c.toString(16));
    }
    expect(differ).toEqual([]);
    // Where JavaScript's trim() differs from Go's.
    expect(goTrimSpace('\u0085a\u0085')).toBe('a');
    expect(goTrimSpace('\ufeffa\ufeff')).toBe('\ufeffa\ufeff');
  });

  it('trims the ends only, as a reference trim does, for generated texts', () => {
    const unit = fc.constantFrom('a', ' ', '\t', '\u0085', '\u3000', '\ufeff', '中', '\n', '😀');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (text) => {
        const units = [...text];
        let start = 0;
        let end = units.length;
        while (start < end && WHITE_SPACE.test(units[start]!)) start++;
        while (end > start && WHITE_SPACE.test(units[end - 1]!)) end--;
        expect(goTrimSpace(text)).toBe(units.slice(start, end).join(''));
        expect(isGoBlank(text)).toBe(start === end);
      }),
      { seed: 20_261_206, numRuns: 500 },
    );
  });

  it('handles a long run of spaces inside a text in one pass (an anchor id or a role of any length)', () => {
    const text = `x${' '.repeat(1_000_000)}x`;
    expect(goTrimSpace(text)).toBe(text);
    expect(goTrimSpace(` ${text}\u3000`)).toBe(text);
    expect(isGoBlank(' '.repeat(1_000_000))).toBe(true);
  });
});
