import { describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/index.js';
import { resolveOptions } from '../../src/inmemory/options.js';
import type { SessionServiceOptions } from '../../src/session/service-options.js';

describe('InMemorySessionService options', () => {
  it('fills in the defaults', () => {
    const o = resolveOptions();
    expect(o).toMatchObject({
      sessionEventLimit: 1000,
      sessionTtlMs: 0,
      trackEventTtlMs: 0,
      cleanupIntervalMs: 0,
      asyncSummaryNum: 3,
      summaryQueueSize: 100,
      summaryJobTimeoutMs: 60_000,
      summaryFilterAllowlist: undefined,
      cascadeFullSessionSummary: true,
      appendEventHooks: [],
      getSessionHooks: [],
    });
  });

  it('takes the track TTL from the session TTL unless set, and 0 turns it off', () => {
    expect(resolveOptions({ sessionTtlMs: 5000 }).trackEventTtlMs).toBe(5000);
    expect(resolveOptions({ sessionTtlMs: 5000, trackEventTtlMs: 0 }).trackEventTtlMs).toBe(0);
  });

  it('sweeps every 5 minutes when any TTL is set and no interval is given', () => {
    for (const ttl of ['sessionTtlMs', 'appStateTtlMs', 'userStateTtlMs', 'trackEventTtlMs'] as const) {
      expect(resolveOptions({ [ttl]: 1000 }).cleanupIntervalMs).toBe(300_000);
    }
    expect(resolveOptions({ sessionTtlMs: 1000, cleanupIntervalMs: 50 }).cleanupIntervalMs).toBe(50);
  });

  it('treats 0 worker count, queue size and job timeout as the defaults', () => {
    const o = resolveOptions({ asyncSummaryNum: 0, summaryQueueSize: 0, summaryJobTimeoutMs: 0 });
    expect([o.asyncSummaryNum, o.summaryQueueSize, o.summaryJobTimeoutMs]).toEqual([3, 100, 60_000]);
  });

  it('normalizes the allowlist, keeping an empty list apart from none', () => {
    expect(resolveOptions({ summaryFilterAllowlist: [' a ', ''] }).summaryFilterAllowlist).toEqual(['a']);
    expect(resolveOptions({ summaryFilterAllowlist: [] }).summaryFilterAllowlist).toEqual([]);
  });

  it.each<[SessionServiceOptions, string]>([
    [{ sessionTtlMs: -1 }, 'sessionTtlMs'],
    [{ sessionEventLimit: 1.5 }, 'sessionEventLimit'],
    [{ asyncSummaryNum: Number.NaN }, 'asyncSummaryNum'],
    [{ cleanupIntervalMs: 2 ** 31 }, 'cleanupIntervalMs'],
    [{ cascadeFullSessionSummary: 'yes' as never }, 'cascadeFullSessionSummary'],
    [{ summarizer: {} as never }, 'summarizer'],
    [{ summaryFilterAllowlist: [1] as never }, 'summaryFilterAllowlist'],
    [{ appendEventHooks: ['x'] as never }, 'appendEventHooks'],
    [{ clock: {} as never }, 'clock'],
    [{ onError: 'log' as never }, 'onError'],
  ])('refuses %j with a CONFIG error naming %s', (options, field) => {
    expect(() => new InMemorySessionService(options)).toThrow(
      expect.objectContaining({ code: 'CONFIG', field }),
    );
  });
});
