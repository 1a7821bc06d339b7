/**
 * The adapter's tests run against the newest @openai/agents-core that supports Node 20 (0.14) on
 * Node 20, and against the newest release (the `@openai/agents-core-latest` alias of
 * vitest.config.ts) on Node 22 and later. The package exports no version, so the test tells them
 * apart by an export the newest has and 0.14 lacks (run-context-aware sessions).
 */
import * as agentsCore from '@openai/agents-core';
import { describe, expect, it } from 'vitest';

describe('the @openai/agents-core package under test', () => {
  it('is the newest release on Node 22+ and 0.14 on Node 20', () => {
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    expect('isRunContextAwareSession' in agentsCore).toBe(nodeMajor >= 22);
  });
});
