import { describe, expect, it } from 'vitest';
import { runAdkExample } from '../../../examples/adk.js';

describe('examples/adk.ts', () => {
  it('runs offline: a tool round, a second turn, and the session read back by another service', async () => {
    const lines = await runAdkExample(() => {});
    expect(lines).toEqual([
      'user: What is the weather in Paris?',
      'forecaster: calls get_weather({"city":"Paris"})',
      'forecaster: get_weather returned {"forecast":"sunny"}',
      'forecaster: It is sunny in Paris.',
      'user: Thanks!',
      'forecaster: That was message 2 of this chat.',
      'stored: 6 events, user:last_city = "Paris"',
    ]);
  }, 120_000);
});
