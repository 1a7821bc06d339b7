import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Timestamps are written as UTC wall-clock values; running the suite in a non-UTC zone
    // is what catches a driver that silently uses local time.
    env: { TZ: process.env.TZ ?? 'Asia/Shanghai' },
  },
});
