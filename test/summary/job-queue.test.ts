import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { SummaryJobQueue } from '../../src/summary/job-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function queue(overrides: Partial<ConstructorParameters<typeof SummaryJobQueue>[0]> = {}) {
  const errors: { error: Error; context: Record<string, unknown> }[] = [];
  const q = new SummaryJobQueue({
    workers: 1,
    queueSize: 10,
    jobTimeoutMs: 1000,
    onError: (error, context) => errors.push({ error, context }),
    ...overrides,
  });
  return { q, errors };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SummaryJobQueue', () => {
  it('resolves enqueue before the job starts, and drain after it finished', async () => {
    const { q } = queue();
    const log: string[] = [];
    await q.enqueue(0, async () => {
      log.push('ran');
    });
    expect(log).toEqual([]);
    expect(q.pending).toBe(1);
    await q.drain();
    expect(log).toEqual(['ran']);
    expect(q.pending).toBe(0);
  });

  it("runs one worker's jobs in order, one at a time", async () => {
    const { q } = queue();
    const log: string[] = [];
    const gate = deferred();
    await q.enqueue(7, async () => {
      log.push('a start');
      await gate.promise;
      log.push('a end');
    });
    await q.enqueue(7, async () => void log.push('b'));
    await tick();
    expect(log).toEqual(['a start']);
    gate.resolve();
    await q.drain();
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('sends a job to worker hash % workers', async () => {
    const { q } = queue({ workers: 2 });
    const log: string[] = [];
    const gate = deferred();
    await q.enqueue(0, async () => {
      await gate.promise;
      log.push('worker 0');
    });
    await q.enqueue(3, async () => void log.push('worker 1'));
    await tick();
    expect(log).toEqual(['worker 1']);
    gate.resolve();
    await q.drain();
  });

  it("runs the job in the caller when the worker's queue is full", async () => {
    const { q } = queue({ queueSize: 1 });
    const gate = deferred();
    await q.enqueue(0, () => gate.promise); // taken by the worker
    await tick();
    await q.enqueue(0, async () => {}); // waits in the queue
    let inline = false;
    await q.enqueue(0, async () => {
      inline = true;
    });
    expect(inline).toBe(true);
    gate.resolve();
    await q.drain();
  });

  it('rejects to the caller when a job run in the caller fails', async () => {
    const { q, errors } = queue({ queueSize: 0 });
    await expect(
      q.enqueue(0, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(errors).toEqual([]);
    expect(q.pending).toBe(0);
  });

  it('reports a queued job failure to onError with its context, and keeps working', async () => {
    const { q, errors } = queue();
    const log: string[] = [];
    await q.enqueue(
      0,
      async () => {
        throw new Error('boom');
      },
      { sessionId: 's1' },
    );
    await q.enqueue(0, async () => void log.push('next'));
    await q.drain();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error.message).toBe('boom');
    expect(errors[0]?.context).toEqual({ sessionId: 's1', operation: 'summaryJob' });
    expect(log).toEqual(['next']);
  });

  it('wraps a non-Error rejection, and survives a throwing onError', async () => {
    const q = new SummaryJobQueue({
      workers: 1,
      queueSize: 5,
      jobTimeoutMs: 0,
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    await q.enqueue(0, () => Promise.reject('plain'));
    await q.enqueue(0, async () => {});
    await q.drain();
    expect(q.pending).toBe(0);
  });

  it('aborts the signal at the job timeout and moves on even if the job ignores it', async () => {
    vi.useFakeTimers();
    const { q, errors } = queue({ jobTimeoutMs: 500 });
    let signal: AbortSignal | undefined;
    await q.enqueue(0, (s) => {
      signal = s;
      return new Promise<void>(() => {});
    });
    const log: string[] = [];
    await q.enqueue(0, async () => void log.push('next'));
    await vi.advanceTimersByTimeAsync(499);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal?.aborted).toBe(true);
    expect((signal!.reason as Error).name).toBe('TimeoutError');
    await q.drain();
    expect(log).toEqual(['next']);
    expect(errors[0]?.error.name).toBe('TimeoutError');
    expect(isAgentSessionsError(errors[0]?.error, 'TIMEOUT')).toBe(true);
  });

  it('close drains queued jobs and refuses new ones with CLOSED', async () => {
    const { q } = queue();
    const log: string[] = [];
    await q.enqueue(0, async () => void log.push('a'));
    await q.enqueue(0, async () => void log.push('b'));
    await q.close();
    expect(log).toEqual(['a', 'b']);
    const error = await q.enqueue(0, async () => {}).catch((e: unknown) => e);
    expect(isAgentSessionsError(error, 'CLOSED')).toBe(true);
    await q.close(); // idempotent
  });

  it('close gives up after one job timeout: aborts what runs, drops what waits', async () => {
    vi.useFakeTimers();
    const { q, errors } = queue({ jobTimeoutMs: 10_000 });
    let signal: AbortSignal | undefined;
    await q.enqueue(0, (s) => {
      signal = s;
      return new Promise<void>((resolve) => s.addEventListener('abort', () => resolve()));
    });
    await vi.advanceTimersByTimeAsync(5_000);
    let dropped = false;
    await q.enqueue(0, async () => {
      dropped = true;
    });
    const closing = q.close();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // the running job's own timeout fires first
    expect(signal?.aborted).toBe(true);
    // The waiting job started when the first one timed out; give close its full window.
    await vi.advanceTimersByTimeAsync(10_000);
    await closing;
    expect(q.pending).toBe(0);
    expect(dropped).toBe(true);
    expect(errors.map((e) => e.error.name)).toEqual(['TimeoutError']);
  });

  it('close drops jobs that never started once its window has passed', async () => {
    vi.useFakeTimers();
    const { q, errors } = queue({ jobTimeoutMs: 1_000 });
    const signals: AbortSignal[] = [];
    const hang = (s: AbortSignal) => {
      signals.push(s);
      return new Promise<void>(() => {});
    };
    await q.enqueue(0, hang, { n: 1 });
    await q.enqueue(0, hang, { n: 2 });
    await q.enqueue(0, hang, { n: 3 });
    await vi.advanceTimersByTimeAsync(0);
    const closing = q.close();
    await vi.advanceTimersByTimeAsync(1_000);
    await closing;
    expect(q.pending).toBe(0);
    // Job 1 timed out; job 2 had just started and was aborted by close; job 3 never ran.
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(errors.map((e) => [e.context.n, e.error.name])).toEqual([
      [1, 'TimeoutError'],
      [3, 'ClosedError'],
      [2, 'ClosedError'],
    ]);
  });

  it('close ends a job running in its caller at once with CLOSED, and lets queued jobs drain', async () => {
    vi.useFakeTimers();
    const { q, errors } = queue({ queueSize: 1, jobTimeoutMs: 10_000 });
    const gate = deferred();
    let queuedDone = false;
    await q.enqueue(0, () => gate.promise); // runs in the worker
    await q.enqueue(0, async () => {
      queuedDone = true;
    }); // waits in the queue
    let inlineSignal: AbortSignal | undefined;
    const inline = q
      .enqueue(0, (s) => {
        inlineSignal = s;
        return new Promise<void>(() => {});
      })
      .catch((e: unknown) => e);
    const closing = q.close();
    const error = await inline;
    expect(isAgentSessionsError(error, 'CLOSED')).toBe(true);
    expect(inlineSignal?.aborted).toBe(true);
    gate.resolve();
    await closing;
    expect(queuedDone).toBe(true);
    expect(errors).toEqual([]);
  });
});
