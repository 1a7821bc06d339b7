import { describe, expect, it, vi } from 'vitest';

describe('examples/langchain.ts', () => {
  it('runs offline: each turn of the chain sees the turns before it', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import('../../../examples/langchain.js');
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual([
        'user: Hello!\nassistant: I have seen 0 earlier messages.',
        'user: And now?\nassistant: I have seen 2 earlier messages.',
        'user: One more.\nassistant: I have seen 4 earlier messages.',
      ]);
    } finally {
      log.mockRestore();
    }
  }, 120_000);
});
