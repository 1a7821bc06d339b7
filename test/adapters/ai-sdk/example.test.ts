/**
 * examples/ai-sdk.ts runs offline, as `npm run example:ai-sdk` runs it (built by tsup, run by
 * node), and shows the chat it stored: both turns, the tool call with its output.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt, ok, ROOT, runNode, STEP_TIMEOUT_MS } from '../../cli/support.js';

describe('examples/ai-sdk.ts', () => {
  it(
    'stores a two-turn chat with a tool round and reads it back',
    async () => {
      ensureBuilt();
      const result = ok(await runNode(join(ROOT, 'dist/examples/ai-sdk.js'), [], { cwd: ROOT }));
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^chat chat-\d+: 4 messages, read back from the store$/);
      expect(lines.slice(1).map((line) => line.trim())).toEqual([
        'user      "What is the weather in Lisbon?"',
        'assistant step-start tool-weather({"city":"Lisbon","celsius":21}) step-start "It is 21 °C and sunny in Lisbon."',
        'user      "Do I need sunglasses?"',
        'assistant step-start "Yes, take sunglasses."',
      ]);
    },
    BUILD_TIMEOUT_MS + STEP_TIMEOUT_MS,
  );
});
