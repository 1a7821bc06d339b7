import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/support/slow-first.sequencer.js';

/**
 * Frameworks whose newest release needs Node 22+: the devDependency under the framework's own name
 * is the newest release that runs on Node 20, and the newest is installed as `<name>-latest`. On
 * Node 22+ the tests import the newest through the framework's own name.
 */
const latestAliases: Record<string, string> = {
  ai: 'ai-latest',
  '@openai/agents-core': '@openai/agents-core-latest',
};

const nodeMajor = Number(process.versions.node.split('.')[0]);

export default defineConfig({
  resolve: {
    alias:
      nodeMajor >= 22
        ? Object.entries(latestAliases).map(([name, latest]) => ({
            find: new RegExp(`^${name}(/.*)?$`),
            replacement: `${latest}$1`,
          }))
        : [],
  },
  test: {
    // Most files spend their time waiting on PostgreSQL, PgBouncer or a child process rather than
    // on the CPU, so even a 2-core machine runs three at a time (vitest's default there is one).
    maxWorkers: Math.max(3, availableParallelism() - 1),
    testTimeout: 30_000,
    // One empty PGlite per run, which each test's in-memory database is copied from.
    globalSetup: ['test/support/pglite-template.setup.ts'],
    // On a clean clone, the slowest files would otherwise start last (see the sequencer).
    sequence: { sequencer: SlowFirstSequencer },
    hookTimeout: 60_000,
    // Timestamps are written as UTC wall-clock values; running the suite in a non-UTC zone
    // is what catches a driver that silently uses local time.
    env: { TZ: process.env.TZ ?? 'Asia/Shanghai' },
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          exclude: ['test/reliability/serial/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Tests that restart the PostgreSQL server: they would kill the connections of any test
        // running beside them, so they run on their own, one file at a time, after the rest (a
        // later group, even when one `vitest run` runs both projects).
        extends: true,
        test: {
          name: 'serial',
          include: ['test/reliability/serial/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
