/**
 * What bounds a summary on every backend: `summaryJobTimeoutMs` (direct calls, queued jobs and
 * jobs run in their caller), the caller's `signal`, and close(); and how a failing summarizer is
 * reported (SUMMARIZER, its error as `cause`). A summarizer that never answers must never hold a
 * call, the session's summary lock or close() past those bounds.
 */
import { expect, it } from 'vitest';
import { type AgentSessionsError, isAgentSessionsError } from '../../../src/session/errors.js';
import type { ErrorReporter } from '../../../src/session/service-options.js';
import type { Session } from '../../../src/session/session.js';
import type { SessionSummarizer } from '../../../src/session/summarizer.js';
import { type Env, expectError, type Harness } from './harness.js';

/** Bounds on elapsed time, generous enough for a busy machine and a server round trip. */
const PROMPT_MS = 3_000;

/** A summarizer that never answers while `hang` is set (ignoring its signal), and says how it was called. */
class HangingSummarizer implements SessionSummarizer {
  hang = true;
  readonly signals: AbortSignal[] = [];

  shouldSummarize(): boolean {
    return true;
  }

  summarize(session: Session, signal: AbortSignal): Promise<string> {
    this.signals.push(signal);
    if (this.hang) return new Promise<string>(() => {});
    return Promise.resolve(`summary of ${session.events.length}`);
  }
}

/** A summarizer whose `summarize` or `shouldSummarize` fails with `error`. */
function failing(error: unknown, where: 'summarize' | 'shouldSummarize' = 'summarize'): SessionSummarizer {
  return {
    shouldSummarize: () => {
      if (where === 'shouldSummarize') throw error;
      return true;
    },
    summarize: async () => {
      throw error;
    },
  };
}

/** How a promise settled and how long after `since` (performance.now()) it did. */
async function settled(promise: Promise<unknown>, since: number): Promise<{ error: unknown; ms: number }> {
  try {
    await promise;
    return { error: undefined, ms: performance.now() - since };
  } catch (error) {
    return { error, ms: performance.now() - since };
  }
}

function expectCode(error: unknown, code: string): AgentSessionsError {
  expect(isAgentSessionsError(error), String(error)).toBe(true);
  expect((error as AgentSessionsError).code, String(error)).toBe(code);
  return error as AgentSessionsError;
}

/** Whether a promise is still pending after a few timer turns. */
async function isPending(promise: Promise<unknown>, ms = 50): Promise<boolean> {
  const pending = Symbol('pending');
  const timer = new Promise((resolve) => setTimeout(() => resolve(pending), ms));
  const winner = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    timer,
  ]);
  return winner === pending;
}

function recordErrors(): { errors: { error: Error; operation: string }[]; onError: ErrorReporter } {
  const errors: { error: Error; operation: string }[] = [];
  return { errors, onError: (error, context) => void errors.push({ error, operation: context.operation }) };
}

async function sessionWithEvents(t: Env, sessionId = 's'): Promise<Session> {
  const session = await t.create(sessionId);
  await t.append(session, t.user(`q ${sessionId}`), t.assistant(`r ${sessionId}`));
  return session;
}

/** One summary worker with a queue of one: a third job finds both busy and runs in its caller. */
const ONE_WORKER_ONE_SLOT = { asyncSummaryNum: 1, summaryQueueSize: 1 };

/**
 * Under ONE_WORKER_ONE_SLOT, fills the worker (session a) and its queue (b), then enqueues the job
 * of session c, which runs in the caller: its pending promise (wrapped, so awaiting this does not
 * wait for it) and the time just before it was enqueued.
 */
async function jobRunInCaller(t: Env): Promise<{ job: Promise<void>; start: number }> {
  const [a, b, c] = [
    await sessionWithEvents(t, 'a'),
    await sessionWithEvents(t, 'b'),
    await sessionWithEvents(t, 'c'),
  ];
  await t.svc.enqueueSummaryJob(a, '', true); // runs in the worker
  await t.svc.enqueueSummaryJob(b, '', true); // waits in the worker's queue
  const start = performance.now();
  return { job: t.svc.enqueueSummaryJob(c, '', true), start };
}

/** The summary filter keys stored for a session, read back without the caller's object. */
async function storedKeys(t: Env, sessionId = 's'): Promise<string[]> {
  return Object.keys((await t.mustGet(sessionId)).summaries);
}

export function summaryLimitCases(h: Harness): void {
  it('rejects createSessionSummary with TIMEOUT after summaryJobTimeoutMs when the summarizer never answers', () => {
    const summarizer = new HangingSummarizer();
    return h.run({ summarizer, summaryJobTimeoutMs: 200 }, async (t) => {
      const session = await sessionWithEvents(t);
      const start = performance.now();
      const { error, ms } = await settled(t.svc.createSessionSummary(session, '', true), start);
      const typed = expectCode(error, 'TIMEOUT');
      expect(typed.name).toBe('TimeoutError');
      expect(ms).toBeGreaterThanOrEqual(190);
      expect(ms).toBeLessThan(PROMPT_MS);
      expect(summarizer.signals[0]?.aborted).toBe(true);
      expect(await storedKeys(t)).toEqual([]);
      // The lock went with the call: the next summary of the session runs at once.
      summarizer.hang = false;
      await t.svc.createSessionSummary(session, '', true);
      expect(await storedKeys(t)).toEqual(['']);
    });
  });

  it('bounds a queued summary job by summaryJobTimeoutMs, reporting TIMEOUT to onError', () => {
    const summarizer = new HangingSummarizer();
    const { errors, onError } = recordErrors();
    return h.run({ summarizer, summaryJobTimeoutMs: 200, onError }, async (t) => {
      const session = await sessionWithEvents(t);
      const start = performance.now();
      await t.svc.enqueueSummaryJob(session, '', true);
      await t.svc.flush();
      expect(performance.now() - start).toBeLessThan(PROMPT_MS);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.operation).toBe('summaryJob');
      expectCode(errors[0]?.error, 'TIMEOUT');
      expect(summarizer.signals[0]?.aborted).toBe(true);
    });
  });

  it('rejects a summary job run in its caller (queue full) with TIMEOUT', () => {
    const summarizer = new HangingSummarizer();
    const { onError } = recordErrors();
    return h.run({ ...ONE_WORKER_ONE_SLOT, summarizer, summaryJobTimeoutMs: 200, onError }, async (t) => {
      const { job, start } = await jobRunInCaller(t);
      const { error, ms } = await settled(job, start);
      expectCode(error, 'TIMEOUT');
      expect(ms).toBeLessThan(PROMPT_MS);
      await t.svc.flush();
    });
  });

  it('ends a summary when its signal aborts, while it waits for the summarizer or for the lock', () => {
    const summarizer = new HangingSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await sessionWithEvents(t);
      const running = new AbortController();
      const waiting = new AbortController();
      const first = t.svc.createSessionSummary(session, '', true, { signal: running.signal });
      const second = t.svc.createSessionSummary(session, '', true, { signal: waiting.signal });
      expect(await isPending(second)).toBe(true);
      const reason = new Error('the user left');
      let start = performance.now();
      waiting.abort(reason);
      const waited = await settled(second, start);
      const aborted = expectCode(waited.error, 'INVALID_ARGUMENT');
      expect(aborted.name).toBe('AbortError');
      expect(aborted.field).toBe('options.signal');
      expect(aborted.cause).toBe(reason);
      expect(waited.ms).toBeLessThan(PROMPT_MS);
      expect(summarizer.signals).toHaveLength(1);

      start = performance.now();
      running.abort(reason);
      const ran = await settled(first, start);
      expect(expectCode(ran.error, 'INVALID_ARGUMENT').cause).toBe(reason);
      expect(ran.ms).toBeLessThan(PROMPT_MS);
      expect(summarizer.signals[0]?.aborted).toBe(true);

      // An aborted signal ends the call before the summarizer runs; the lock is free again.
      await expectError(
        () => t.svc.createSessionSummary(session, '', true, { signal: AbortSignal.abort(reason) }),
        'INVALID_ARGUMENT',
        'options.signal',
      );
      expect(summarizer.signals).toHaveLength(1);
      summarizer.hang = false;
      await t.svc.createSessionSummary(session, '', true);
      expect(await storedKeys(t)).toEqual(['']);
    });
  });

  it('ends a queued summary job when the signal given to enqueueSummaryJob aborts', () => {
    const summarizer = new HangingSummarizer();
    const { errors, onError } = recordErrors();
    return h.run({ summarizer, onError }, async (t) => {
      const session = await sessionWithEvents(t);
      const reason = new Error('not needed any more');
      await expectError(
        () => t.svc.enqueueSummaryJob(session, '', true, { signal: AbortSignal.abort(reason) }),
        'INVALID_ARGUMENT',
        'options.signal',
      );
      const controller = new AbortController();
      await t.svc.enqueueSummaryJob(session, '', true, { signal: controller.signal });
      while (summarizer.signals.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const start = performance.now();
      controller.abort(reason);
      await t.svc.flush();
      expect(performance.now() - start).toBeLessThan(PROMPT_MS);
      expect(summarizer.signals[0]?.aborted).toBe(true);
      expect(errors).toHaveLength(1);
      expect(expectCode(errors[0]?.error, 'INVALID_ARGUMENT').cause).toBe(reason);
    });
  });

  it('refuses a signal that is not an AbortSignal', () =>
    h.run({ summarizer: new HangingSummarizer() }, async (t) => {
      const session = await sessionWithEvents(t);
      const signal = { aborted: false } as unknown as AbortSignal;
      await expectError(
        () => t.svc.createSessionSummary(session, '', true, { signal }),
        'INVALID_ARGUMENT',
        'options.signal',
      );
      await expectError(
        () => t.svc.enqueueSummaryJob(session, '', true, { signal }),
        'INVALID_ARGUMENT',
        'options.signal',
      );
    }));

  it('settles a running summary and one waiting for the lock with CLOSED when the service closes', () => {
    const summarizer = new HangingSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await sessionWithEvents(t);
      const running = t.svc.createSessionSummary(session, '', true);
      const waiting = t.svc.createSessionSummary(session, '', true);
      expect(await isPending(waiting)).toBe(true);
      const start = performance.now();
      const closing = settled(t.svc.close(), start);
      const [ran, waited, closed] = await Promise.all([
        settled(running, start),
        settled(waiting, start),
        closing,
      ]);
      expectCode(ran.error, 'CLOSED');
      expectCode(waited.error, 'CLOSED');
      expect(closed.error).toBeUndefined();
      for (const { ms } of [ran, waited, closed]) expect(ms).toBeLessThan(PROMPT_MS);
      expect(summarizer.signals).toHaveLength(1);
      expect(summarizer.signals[0]?.aborted).toBe(true);
    });
  });

  it('settles a summary job running in its caller with CLOSED when the service closes', () => {
    const summarizer = new HangingSummarizer();
    const { onError } = recordErrors();
    return h.run({ ...ONE_WORKER_ONE_SLOT, summarizer, summaryJobTimeoutMs: 1_000, onError }, async (t) => {
      const { job: inline } = await jobRunInCaller(t);
      expect(await isPending(inline)).toBe(true);
      const start = performance.now();
      const closing = t.svc.close();
      const { error, ms } = await settled(inline, start);
      expectCode(error, 'CLOSED');
      // Well before the queue's own window (one job timeout) ends.
      expect(ms).toBeLessThan(900);
      await closing;
    });
  });

  it('rejects with SUMMARIZER, the original error as cause, when the summarizer throws', () => {
    const original = new Error('model unavailable');
    return h.run({ summarizer: failing(original) }, async (t) => {
      const session = await sessionWithEvents(t);
      const error = await expectError(() => t.svc.createSessionSummary(session, '', true), 'SUMMARIZER');
      expect(error.name).toBe('SummarizerError');
      expect(error.cause).toBe(original);
      expect(error.message).toContain('model unavailable');
      expect(await storedKeys(t)).toEqual([]);
    });
  });

  it('rejects with SUMMARIZER when shouldSummarize throws or summarize answers no string', async () => {
    const thrown = 'not even an Error';
    await h.run({ summarizer: failing(thrown, 'shouldSummarize') }, async (t) => {
      const session = await sessionWithEvents(t);
      const error = await expectError(() => t.svc.createSessionSummary(session, '', false), 'SUMMARIZER');
      expect(error.cause).toBe(thrown);
    });
    const wrong: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async () => 42 as unknown as string,
    };
    await h.run({ summarizer: wrong }, async (t) => {
      const session = await sessionWithEvents(t);
      await expectError(() => t.svc.createSessionSummary(session, '', true), 'SUMMARIZER');
      expect(await storedKeys(t)).toEqual([]);
    });
  });

  it('reports a queued job whose summarizer throws to onError as SUMMARIZER, with the cause', () => {
    const original = new Error('rate limited');
    const { errors, onError } = recordErrors();
    return h.run({ summarizer: failing(original), onError }, async (t) => {
      const session = await sessionWithEvents(t);
      await t.svc.enqueueSummaryJob(session, '', true);
      await t.svc.flush();
      expect(errors.map((e) => e.operation)).toEqual(['summaryJob']);
      expect(expectCode(errors[0]?.error, 'SUMMARIZER').cause).toBe(original);
    });
  });
}
