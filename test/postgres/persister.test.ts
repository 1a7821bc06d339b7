/**
 * The asynchronous persister on its own, with an in-memory writer: order per session, batching,
 * backpressure, aborts, retries, failure reporting, flush and close.
 */
import { describe, expect, it } from 'vitest';
import {
  AsyncPersister,
  type AsyncPersisterOptions,
  AsyncWriteError,
  type BatchWriter,
  EnqueueAbortedError,
  type PersistFailure,
} from '../../src/postgres/async/persister.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { type SessionKey, sessionHash } from '../../src/session/keys.js';

interface Item {
  key: SessionKey;
  seq: number;
  /** Unique across a test, so a duplicate write is visible. */
  id: string;
}

const keyOf = (session: number): SessionKey => ({ appName: 'app', userId: 'u', sessionId: `s${session}` });
const item = (session: number, seq: number): Item => ({ key: keyOf(session), seq, id: `${session}/${seq}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolver, to hold a writer until the test lets it go. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A fake database: rows in write order, and every batch it was given. */
function fakeStore() {
  const rows: Item[] = [];
  const batches: Item[][] = [];
  return {
    rows,
    batches,
    bySession(): Map<string, number[]> {
      const m = new Map<string, number[]>();
      for (const r of rows) m.set(r.key.sessionId, [...(m.get(r.key.sessionId) ?? []), r.seq]);
      return m;
    },
  };
}

function persister(
  writeBatch: BatchWriter<Item>,
  options: Partial<AsyncPersisterOptions<Item>> = {},
): { p: AsyncPersister<Item>; failures: [Error, PersistFailure<Item>][] } {
  const failures: [Error, PersistFailure<Item>][] = [];
  const p = new AsyncPersister<Item>({
    operation: 'appendEvent',
    shardOf: (i) => sessionHash(i.key),
    writeBatch,
    onError: (error, context) => failures.push([error, context]),
    retryBaseMs: 1,
    retryCapMs: 5,
    ...options,
  });
  return { p, failures };
}

const connectionLost = () => Object.assign(new Error('Connection terminated unexpectedly'), {});
const syntaxError = () => Object.assign(new Error('syntax error at or near "x"'), { code: '42601' });

describe('AsyncPersister', () => {
  it('writes each session in append order when writes take random time', async () => {
    const store = fakeStore();
    const { p, failures } = persister(
      async (items) => {
        await sleep(Math.random() * 4);
        store.rows.push(...items);
        return undefined;
      },
      { workers: 4, capacity: 20, maxBatchSize: 7 },
    );
    const sessions = 40;
    const perSession = 60;
    await Promise.all(
      Array.from({ length: sessions }, async (_, s) => {
        for (let n = 0; n < perSession; n++) {
          await p.enqueue(item(s, n));
          if (Math.random() < 0.2) await sleep(Math.random() * 2);
        }
      }),
    );
    await p.close();
    expect(failures).toEqual([]);
    expect(store.rows).toHaveLength(sessions * perSession);
    const expected = Array.from({ length: perSession }, (_, n) => n);
    for (const seqs of store.bySession().values()) expect(seqs).toEqual(expected);
  });

  it("sends each session to worker hash % workers (FNV-1a, as trpc-agent-go), so a batch is one worker's", async () => {
    const workers = 5;
    const batchWorkers: Set<number>[] = [];
    const { p } = persister(
      async (items) => {
        batchWorkers.push(new Set(items.map((i) => sessionHash(i.key) % workers)));
        return undefined;
      },
      { workers },
    );
    for (let n = 0; n < 300; n++) await p.enqueue(item(n % 30, n));
    await p.close();
    expect(batchWorkers.length).toBeGreaterThanOrEqual(workers);
    for (const set of batchWorkers) expect(set.size).toBe(1);
  });

  it('writes a burst of 1000 appends in a handful of batches, not 1000 round trips', async () => {
    const store = fakeStore();
    const { p } = persister(
      async (items) => {
        store.batches.push([...items]);
        store.rows.push(...items);
        await sleep(2);
        return undefined;
      },
      { workers: 1 },
    );
    for (let n = 0; n < 1000; n++) await p.enqueue(item(n % 50, n));
    await p.flush();
    expect(store.rows).toHaveLength(1000);
    // One worker, batches of at most 500: everything appended in one turn leaves in two batches.
    expect(store.batches.length).toBeLessThanOrEqual(3);
    expect(Math.max(...store.batches.map((b) => b.length))).toBe(500);
    await p.close();
  });

  it('keeps at most `capacity` items queued however fast callers append, admitting waiters in order', async () => {
    const store = fakeStore();
    let maxDepth = 0;
    const { p } = persister(
      async (items) => {
        maxDepth = Math.max(maxDepth, p.depth);
        await sleep(1);
        store.rows.push(...items);
        return undefined;
      },
      { workers: 1, capacity: 100, maxBatchSize: 50 },
    );
    const admitted: number[] = [];
    const calls: Promise<void>[] = [];
    for (let n = 0; n < 10_000; n++) {
      calls.push(
        p.enqueue(item(n % 7, n)).then(() => {
          admitted.push(n);
          maxDepth = Math.max(maxDepth, p.depth);
        }),
      );
      maxDepth = Math.max(maxDepth, p.depth);
    }
    expect(p.depth).toBe(100);
    expect(p.waiting).toBe(9_900);
    await Promise.all(calls);
    await p.close();
    expect(maxDepth).toBeLessThanOrEqual(100);
    expect(admitted).toEqual(Array.from({ length: 10_000 }, (_, n) => n));
    expect(store.rows.map((r) => r.seq)).toEqual(admitted);
  });

  it('rejects an append whose signal aborts while it waits for room, and does not write it', async () => {
    const store = fakeStore();
    const hold = gate();
    const { p } = persister(
      async (items) => {
        await hold.promise;
        store.rows.push(...items);
        return undefined;
      },
      { workers: 1, capacity: 1 },
    );
    await p.enqueue(item(0, 0));
    await sleep(5); // the worker takes item 0 and waits at the gate
    await p.enqueue(item(0, 1)); // fills the queue
    const controller = new AbortController();
    const waiting = p.enqueue(item(0, 2), controller.signal);
    const behind = p.enqueue(item(0, 3));
    expect(p.waiting).toBe(2);
    controller.abort(new Error('caller gave up'));
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueAbortedError);
    expect(isAgentSessionsError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).name).toBe('AbortError');
    expect((error as Error).cause).toEqual(new Error('caller gave up'));
    hold.open();
    await behind;
    await p.flush();
    expect(store.rows.map((r) => r.seq)).toEqual([0, 1, 3]);
    // An already aborted signal is refused at once.
    await expect(p.enqueue(item(0, 4), AbortSignal.abort())).rejects.toBeInstanceOf(EnqueueAbortedError);
    await p.close();
  });

  it('retries a batch after a lost connection, telling the writer so it stores nothing twice', async () => {
    const store = fakeStore();
    const attempts: { ids: string[]; attempt: number; retried: boolean }[] = [];
    let calls = 0;
    const { p, failures } = persister(
      async (items, attempt) => {
        attempts.push({ ids: items.map((i) => i.id), ...attempt });
        calls++;
        // Call 2 commits, then loses the connection (outcome unknown); call 4 fails before writing.
        const stored = new Set(store.rows.map((r) => r.id));
        const fresh = attempt.retried ? items.filter((i) => !stored.has(i.id)) : items;
        if (calls === 4) throw connectionLost();
        store.rows.push(...fresh);
        if (calls === 2) throw connectionLost();
        return undefined;
      },
      { workers: 1, maxBatchSize: 3 },
    );
    for (let n = 0; n < 12; n++) await p.enqueue(item(n % 2, n));
    await p.close();
    expect(failures).toEqual([]);
    expect(store.rows.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, n) => n));
    expect(attempts[1]).toMatchObject({ attempt: 1, retried: false });
    expect(attempts[2]).toMatchObject({ ids: attempts[1]!.ids, attempt: 2, retried: true });
  });

  it('reports a batch that keeps failing transiently once its retry time is spent', async () => {
    const { p, failures } = persister(
      async () => {
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      },
      { workers: 1, maxRetryMs: 30 },
    );
    await p.enqueue(item(0, 0));
    await p.enqueue(item(0, 1));
    const error = await p.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AsyncWriteError);
    expect((error as AsyncWriteError).failed).toBe(2);
    expect((error as Error).message).toMatch(/still failing after retrying/);
    expect(failures.map(([, c]) => c.item.seq)).toEqual([0, 1]);
    await p.close();
  });

  it('gives up on the batches queued behind one that exhausted its retries without waiting the full time again', async () => {
    let calls = 0;
    const { p, failures } = persister(
      async () => {
        calls++;
        throw connectionLost();
      },
      { workers: 1, maxBatchSize: 2, maxRetryMs: 300 },
    );
    for (let n = 0; n < 10; n++) await p.enqueue(item(0, n));
    const started = Date.now();
    await expect(p.flush()).rejects.toBeInstanceOf(AsyncWriteError);
    // Five batches, one outage: about one maxRetryMs in all (300 ms), not five (1500 ms).
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failures).toHaveLength(10);
    expect(calls).toBeGreaterThan(5);
    await p.close();
  });

  it('stops a batch at the weight limit so large items do not make one huge statement', async () => {
    const sizes: number[] = [];
    const { p } = persister(
      async (items) => {
        sizes.push(items.length);
        return undefined;
      },
      { workers: 1, weigh: (i) => (i.seq % 10 === 9 ? 1000 : 10), maxBatchWeight: 100 },
    );
    for (let n = 0; n < 30; n++) await p.enqueue(item(0, n));
    await p.close();
    // Ten items of 10 fit; an item heavier than the limit goes alone.
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30);
    expect(sizes).toEqual([9, 1, 9, 1, 9, 1]);
  });

  it('reports each item that failed for good to onError, and makes the next flush reject once', async () => {
    const store = fakeStore();
    const { p, failures } = persister(
      async (items) => {
        // A poison item fails the whole statement; a missing session fails only its own item.
        if (items.some((i) => i.key.sessionId === 's9')) throw syntaxError();
        store.rows.push(...items.filter((i) => i.key.sessionId !== 's8'));
        return items.map((i) =>
          i.key.sessionId === 's8'
            ? Object.assign(new Error('session not found: s8'), { code: 'NOT_FOUND' })
            : undefined,
        );
      },
      { workers: 1 },
    );
    for (let n = 0; n < 40; n++) await p.enqueue(item(n % 10, n));
    const error = await p.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AsyncWriteError);
    expect(isAgentSessionsError(error, 'STORAGE')).toBe(true);
    expect((error as AsyncWriteError).failed).toBe(8);
    // The statement error is wrapped with the operation named; the driver error is the cause.
    expect(failures.map(([, c]) => c.key.sessionId).sort()).toEqual([
      ...Array(4).fill('s8'),
      ...Array(4).fill('s9'),
    ]);
    const poison = failures.find(([, c]) => c.key.sessionId === 's9')!;
    expect(poison[0].message).toMatch(/^appendEvent failed: syntax error/);
    expect(poison[1]).toMatchObject({ operation: 'appendEvent', item: { key: keyOf(9) } });
    // The other eight sessions lost nothing to their batch-mates' failures.
    expect(store.rows).toHaveLength(32);
    await expect(p.flush()).resolves.toBeUndefined();
    await p.close();
  });

  it('keeps working when onError throws', async () => {
    const { p } = persister(
      async () => {
        throw syntaxError();
      },
      {
        workers: 1,
        onError: () => {
          throw new Error('reporter broke');
        },
      },
    );
    await p.enqueue(item(0, 0));
    await expect(p.flush()).rejects.toBeInstanceOf(AsyncWriteError);
    await p.close();
  });

  it('resolves flush only when everything accepted before it is stored', async () => {
    const store = fakeStore();
    const hold = gate();
    const { p } = persister(
      async (items) => {
        await hold.promise;
        store.rows.push(...items);
        return undefined;
      },
      { workers: 3 },
    );
    await expect(p.flush()).resolves.toBeUndefined();
    for (let n = 0; n < 10; n++) await p.enqueue(item(n, n));
    let flushed = false;
    const flushing = p.flush().then(() => {
      flushed = true;
    });
    await sleep(10);
    expect(flushed).toBe(false);
    hold.open();
    await flushing;
    expect(store.rows).toHaveLength(10);
    await p.close();
  });

  it('drains on close, lets waiting callers in, then refuses appends with CLOSED', async () => {
    const store = fakeStore();
    const { p } = persister(
      async (items) => {
        await sleep(2);
        store.rows.push(...items);
        return undefined;
      },
      { workers: 2, capacity: 5 },
    );
    const calls = Array.from({ length: 200 }, (_, n) => p.enqueue(item(n % 4, n)));
    const closing = p.close();
    expect(p.close()).toBe(closing);
    const refused = await p.enqueue(item(0, 999)).catch((e: unknown) => e);
    expect(isAgentSessionsError(refused, 'CLOSED')).toBe(true);
    await Promise.all(calls);
    await closing;
    expect(store.rows).toHaveLength(200);
    expect(p.depth).toBe(0);
    await expect(p.flush()).resolves.toBeUndefined();
  });

  it('validates its options', () => {
    const write: BatchWriter<Item> = async () => undefined;
    expect(() => persister(write, { workers: 0 })).toThrow(/workers must be an integer >= 1/);
    expect(() => persister(write, { capacity: 1.5 })).toThrow(/capacity/);
  });
});
