/**
 * Generated conversations saved with addMessages and loaded with getMessages come back as the same
 * classes with deep-equal fields, on every backend.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsChatMessageHistory } from '../../../src/adapters/langchain/index.js';
import { type Backend, backends } from './backends.js';
import { conversation } from './generated-messages.js';

describe.each(backends)('generated conversations on %s', (name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  it('load what was saved: same classes, deep-equal fields', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(conversation, conversation, async (first, second) => {
        const history = new AgentSessionsChatMessageHistory({
          service: backend.service,
          appName: 'prop',
          userId: 'u',
          sessionId: `s-${n++}`,
        });
        await history.addMessages(first);
        await history.addMessage(second[0]!);
        await history.addMessages(second.slice(1));
        const loaded = await history.getMessages();
        expect(loaded).toStrictEqual([...first, ...second]);
        loaded.forEach((m, i) => {
          expect(Object.getPrototypeOf(m)).toBe(Object.getPrototypeOf([...first, ...second][i]));
        });
      }),
      { numRuns: name === 'memory' ? 200 : 30 },
    );
  });
});
