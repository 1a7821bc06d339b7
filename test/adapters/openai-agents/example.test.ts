/**
 * examples/openai-agents.ts runs offline from the build (`npm run build && node
 * dist/examples/openai-agents.js`): the SDK's runner answers both turns through the scripted
 * model, and the stored items it prints include the tool call and its result.
 */
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt, ROOT, runNode, STEP_TIMEOUT_MS } from '../../cli/support.js';

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

it(
  'runs two turns with a tool call and prints the stored conversation',
  async () => {
    const result = await runNode(join(ROOT, 'dist/examples/openai-agents.js'), [], { cwd: ROOT });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('The forecast says: sunny and 24°C in Paris.');
    expect(result.stdout).toContain('We have talked 5 items long');
    expect(result.stdout).toContain('function_call          "{\\"city\\":\\"Paris\\"}"');
    expect(result.stdout.match(/^ {2}\S/gm)).toHaveLength(6);
  },
  STEP_TIMEOUT_MS,
);
