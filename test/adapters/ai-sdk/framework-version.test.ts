/**
 * The same tests run against the newest `ai` that supports Node 20 (6.x) on Node 20, and against
 * the newest release (7.x, the `ai-latest` alias of vitest.config.ts) on Node 22 and later.
 */

import pkg from 'ai/package.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';

describe('the ai package under test', () => {
  it('is 7.x on Node 22+ and 6.x on Node 20', () => {
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    expect(pkg.version.split('.')[0]).toBe(nodeMajor >= 22 ? '7' : '6');
  });
});
