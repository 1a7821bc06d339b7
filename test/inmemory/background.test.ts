import { afterEach, describe, expect, it, vi } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/index.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { ErrorReporter, SessionServiceOptions } from '../../src/session/service-options.js';
import type { Session } from '../../src/session/session.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';

const MINUTE = 60_000;
const key = { appName: 'app', userId: 'u', sessionId: 's' };

afterEach(() => {
  vi.useRealTimers();
});

function recordErrors() {
  const errors: { error: Error; operation: string }[] = [];
  const onError: ErrorReporter = (error, context) => errors.push({ error, operation: context.operation });
  return { errors, onError };
}

async function sessionWithEvent(
  svc: InMemorySessionService,
  clock: ManualClock,
  sessionId = 's',
): Promise<Session> {
  const session = await svc.createSession({ ...key, sessionId });
  await svc.appendEvent(
    session,
    createEvent({ author: 'user', now: clock.now(), message: { role: 'user', content: 'hi' } }),
  );
  return session;
}

/** A summarizer that waits until released, recording the signals it got. */
function gatedSummarizer() {
  const signals: AbortSignal[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const summarizer: SessionSummarizer = {
    shouldSummarize: () => true,
    summarize: async (_session, signal) => {
      signals.push(signal);
      await gate;
      return 'done';
    },
  };
  return { summarizer, signals, release: () => release() };
}

describe('InMemorySessionService background work', () => {
  it('sweeps on cleanupIntervalMs (5 minutes by default when a TTL is set) and stops on close', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const svc = new InMemorySessionService({ clock, sessionTtlMs: MINUTE });
    const sweep = vi.spyOn(svc, 'sweepNow');
    await vi.advanceTimersByTimeAsync(5 * MINUTE - 1);
    expect(sweep).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(sweep).toHaveBeenCalledTimes(1);
    await svc.close();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(sweep).toHaveBeenCalledTimes(1);
  });

  it('runs no sweeper without a TTL or an interval', async () => {
    vi.useFakeTimers();
    const svc = new InMemorySessionService();
    const sweep = vi.spyOn(svc, 'sweepNow');
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(sweep).not.toHaveBeenCalled();
    await svc.close();
  });

  it('removes expired sessions on the timer and reports a failing sweep to onError', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { errors, onError } = recordErrors();
    const svc = new InMemorySessionService({ clock, sessionTtlMs: MINUTE, cleanupIntervalMs: 1000, onError });
    const session = await svc.createSession(key);
    clock.advance(2 * MINUTE);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(svc.updateSessionState(key, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(session.id).toBe('s');

    vi.spyOn(svc, 'sweepNow').mockRejectedValueOnce(new Error('sweep broke'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([{ error: new Error('sweep broke'), operation: 'sweep' }]);
    await svc.close();
  });

  it('stores a queued summary job by flush, reporting failures to onError instead of rejecting', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { errors, onError } = recordErrors();
    let fail = false;
    const summarizer: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async () => {
        if (fail) throw new Error('model down');
        return 'ok';
      },
    };
    const svc = new InMemorySessionService({ clock, summarizer, onError });
    const session = await sessionWithEvent(svc, clock);
    await svc.enqueueSummaryJob(session);
    await svc.flush();
    expect(session.summaries['']?.summary).toBe('ok');
    fail = true;
    clock.advance(1000);
    await svc.appendEvent(
      session,
      createEvent({ author: 'user', now: clock.now(), message: { role: 'user', content: 'more' } }),
    );
    await expect(svc.enqueueSummaryJob(session, '', true)).resolves.toBeUndefined();
    await svc.flush();
    expect(errors.map((e) => [e.operation, e.error.message])).toEqual([
      ['summaryJob', 'summarizer.summarize failed: model down'],
    ]);
    expect(errors[0]?.error).toMatchObject({ code: 'SUMMARIZER', cause: { message: 'model down' } });
    await svc.close();
  });

  it('aborts a summary job after summaryJobTimeoutMs', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { errors, onError } = recordErrors();
    const { summarizer, signals } = gatedSummarizer();
    const svc = new InMemorySessionService({ clock, summarizer, onError, summaryJobTimeoutMs: 2000 });
    const session = await sessionWithEvent(svc, clock);
    await svc.enqueueSummaryJob(session, '', true);
    await vi.advanceTimersByTimeAsync(1999);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(true);
    await svc.flush();
    expect(errors.map((e) => e.error.name)).toEqual(['TimeoutError']);
    expect(session.summaries['']).toBeUndefined();
    await svc.close();
  });

  it("runs a job in the caller when its worker's queue is full", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const gated = gatedSummarizer();
    const svc = new InMemorySessionService({
      clock,
      summarizer: gated.summarizer,
      asyncSummaryNum: 1,
      summaryQueueSize: 1,
    });
    const a = await sessionWithEvent(svc, clock, 'a');
    const b = await sessionWithEvent(svc, clock, 'b');
    const c = await sessionWithEvent(svc, clock, 'c');
    await svc.enqueueSummaryJob(a, '', true); // running
    await new Promise((resolve) => setTimeout(resolve, 0));
    await svc.enqueueSummaryJob(b, '', true); // waiting
    let inlineDone = false;
    const inline = svc.enqueueSummaryJob(c, '', true).then(() => {
      inlineDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(gated.signals).toHaveLength(2); // a in the worker, c in the caller
    expect(inlineDone).toBe(false);
    gated.release();
    await inline;
    expect(c.summaries['']?.summary).toBe('done');
    await svc.flush();
    expect(b.summaries['']?.summary).toBe('done');
    await svc.close();
  });

  it('drains queued summary jobs on close, then refuses calls with CLOSED', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const gated = gatedSummarizer();
    const svc = new InMemorySessionService({ clock, summarizer: gated.summarizer });
    const session = await sessionWithEvent(svc, clock);
    await svc.enqueueSummaryJob(session, '', true);
    const closing = svc.close();
    await expect(svc.enqueueSummaryJob(session)).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(svc.sweepNow()).rejects.toMatchObject({ code: 'CLOSED' });
    gated.release();
    await closing;
    expect(session.summaries['']?.summary).toBe('done');
  });

  it('summarizes in the caller without a queue for createSessionSummary, with no cascade', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const ids: string[] = [];
    const summarizer: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async (session) => {
        ids.push(session.id);
        return 'x';
      },
    };
    const options: SessionServiceOptions = { clock, summarizer };
    const svc = new InMemorySessionService(options);
    const session = await svc.createSession(key);
    await svc.appendEvent(
      session,
      createEvent({
        author: 'user',
        now: clock.now(),
        filterKey: 'a',
        message: { role: 'user', content: 'q' },
      }),
    );
    await svc.createSessionSummary(session, 'a', true);
    expect(ids).toEqual(['s:a']);
    expect(Object.keys(session.summaries)).toEqual(['a']);
    await svc.close();
  });
});
