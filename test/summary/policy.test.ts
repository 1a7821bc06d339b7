import { describe, expect, it } from 'vitest';
import { isFilterKeyAllowed, normalizeAllowlist, summaryTargets } from '../../src/summary/policy.js';

describe('summary allowlist', () => {
  it('allows every key when there is no allowlist', () => {
    expect(isFilterKeyAllowed('a/b', undefined)).toBe(true);
    expect(isFilterKeyAllowed('', undefined)).toBe(true);
  });

  it('always allows the full-session key, even with an empty allowlist', () => {
    expect(isFilterKeyAllowed('', [])).toBe(true);
    expect(isFilterKeyAllowed('', ['x'])).toBe(true);
  });

  it('blocks every non-empty key with an empty allowlist (or one of blanks only)', () => {
    expect(isFilterKeyAllowed('a', [])).toBe(false);
    expect(isFilterKeyAllowed('a', ['', '  '])).toBe(false);
  });

  it.each([
    // [allowlist entry, filter key, allowed]
    ['app', 'app', true],
    ['app', 'app/agent', true],
    ['app/agent', 'app', true],
    ['app/agent', 'app/agent/tool', true],
    ['app/agent', 'app/other', false],
    ['app', 'application', false],
    ['application', 'app', false],
    ['other', 'app', false],
    ['  app  ', 'app/x', true],
  ])('matches %j against %j hierarchically: %s', (entry, key, allowed) => {
    expect(isFilterKeyAllowed(key, [entry])).toBe(allowed);
  });

  it('allows a key matching any one entry', () => {
    expect(isFilterKeyAllowed('b/c', ['a', 'b'])).toBe(true);
  });

  it('normalizes by trimming and dropping empty entries, keeping absent and empty apart', () => {
    expect(normalizeAllowlist(undefined)).toBeUndefined();
    expect(normalizeAllowlist([])).toEqual([]);
    expect(normalizeAllowlist([' a ', '', ' ', 'a', 'b'])).toEqual(['a', 'b']);
  });
});

describe('summary targets', () => {
  it("is [''] for the full session, whatever the policy", () => {
    expect(summaryTargets('')).toEqual(['']);
    expect(summaryTargets('', { allowlist: [], cascade: false })).toEqual(['']);
  });

  it("is the key then '' when allowed and cascading (the default)", () => {
    expect(summaryTargets('a')).toEqual(['a', '']);
  });

  it('is only the key without cascade', () => {
    expect(summaryTargets('a', { cascade: false })).toEqual(['a']);
  });

  it("is only '' when the key is not allowed but cascading", () => {
    expect(summaryTargets('a', { allowlist: ['b'] })).toEqual(['']);
  });

  it('is empty when the key is not allowed and nothing cascades', () => {
    expect(summaryTargets('a', { allowlist: [], cascade: false })).toEqual([]);
  });
});
