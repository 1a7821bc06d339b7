import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/session/clock.js';
import { type AgentSessionsError, isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent } from '../../src/session/event.js';
import { newSession, type Session } from '../../src/session/session.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';
import { summaryLocksHeld, withSummaryLock } from '../../src/summary/lock.js';
import { SummaryRunner, type SummaryRunnerOptions } from '../../src/summary/summary-runner.js';

const clock = new ManualClock(Date.UTC(2026, 0, 1));

function session(sessionId: string): Session {
  const s = newSession({ appName: 'app', userId: 'u', sessionId }, clock.now());
  s.events.push(createEvent({ author: 'user', now: clock.now(), message: { role: 'user', content: 'hi' } }));
  return s;
}

function runner(overrides: Partial<SummaryRunnerOptions> = {}) {
  const calls: string[] = [];
  const summarizer: SessionSummarizer = {
    shouldSummarize: () => true,
    summarize: async (s) => {
      calls.push(s.id);
      return 'text';
    },
  };
  const closing = new AbortController();
  const r = new SummaryRunner({
    summarizer,
    allowlist: undefined,
    cascade: true,
    clock,
    jobs: undefined,
    store: () => () => {},
    timeoutMs: 60_000,
    closed: closing.signal,
    lockScope: () => 'scope',
    ...overrides,
  });
  return { r, calls, closing };
}

/** Holds the summary lock of `sessionId` in `scope` until the returned function is called. */
function holdLock(sessionId: string, scope: string): () => Promise<void> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = withSummaryLock({ appName: 'app', userId: 'u', sessionId }, '', () => gate, { scope });
  return async () => {
    release();
    await held;
  };
}

async function failure(promise: Promise<unknown>): Promise<AgentSessionsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAgentSessionsError(error), String(error)).toBe(true);
  return error as AgentSessionsError;
}

describe('SummaryRunner', () => {
  it('counts the wait for the summary lock in the timeout', async () => {
    const release = holdLock('waits', 'scope');
    const { r, calls } = runner({ timeoutMs: 100 });
    const start = performance.now();
    const error = await failure(r.createNow(session('waits'), '', true));
    expect(error.code).toBe('TIMEOUT');
    expect(performance.now() - start).toBeLessThan(2_000);
    expect(calls).toEqual([]);
    await release();
    expect(summaryLocksHeld()).toBe(0);
  });

  it('ends a call waiting for the lock with CLOSED when the service closes', async () => {
    const release = holdLock('closing', 'scope');
    const { r, calls, closing } = runner();
    const call = failure(r.createNow(session('closing'), '', true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    closing.abort();
    expect((await call).code).toBe('CLOSED');
    expect(calls).toEqual([]);
    await release();
    expect(summaryLocksHeld()).toBe(0);
  });

  it('waits only for the lock of its own scope', async () => {
    const release = holdLock('elsewhere', 'another storage');
    const { r, calls } = runner({ timeoutMs: 1_000 });
    await r.createNow(session('elsewhere'), '', true);
    expect(calls).toEqual(['elsewhere:']);
    await release();
  });
});
