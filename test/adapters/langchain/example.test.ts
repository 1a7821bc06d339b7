/**
 * examples/langchain.ts runs offline, as `npm run example:langchain` runs it (built by tsup, run by
 * node): each turn of the chain sees the turns before it, and the script closes its database.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt, ok, ROOT, runNode, STEP_TIMEOUT_MS } from '../../cli/support.js';

describe('examples/langchain.ts', () => {
  it(
    'runs offline: each turn of the chain sees the turns before it',
    async () => {
      ensureBuilt();
      const result = ok(await runNode(join(ROOT, 'dist/examples/langchain.js'), [], { cwd: ROOT }));
      expect(result.stdout.trim().split('\n')).toEqual([
        'user: Hello!',
        'assistant: I have seen 0 earlier messages.',
        'user: And now?',
        'assistant: I have seen 2 earlier messages.',
        'user: One more.',
        'assistant: I have seen 4 earlier messages.',
      ]);
    },
    BUILD_TIMEOUT_MS + STEP_TIMEOUT_MS,
  );
});
