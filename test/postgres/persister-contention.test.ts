/**
 * The asynchronous persister when some sessions' rows are held by another transaction (a lock
 * timeout, a deadlock, a serialization failure), with an in-memory writer: the other sessions of
 * the same worker are written at once, only the held session waits and, if it stays held, is
 * reported; nothing is stored twice and each session keeps its order.
 */
import { describe, expect, it } from 'vitest';
import { AsyncPersister, type BatchWriter, type PersistFailure } from '../../src/postgres/async/persister.js';
import type { SessionKey } from '../../src/session/keys.js';

interface Item {
  key: SessionKey;
  seq: number;
}

const keyOf = (sessionId: string): SessionKey => ({ appName: 'app', userId: 'u', sessionId });
const item = (sessionId: string, seq: number): Item => ({ key: keyOf(sessionId), seq });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lockTimeout = () =>
  Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });

/**
 * A fake database where session `locked` is held while `held.value` is true: a batch that
 * touches it fails as a whole with a lock timeout, as the one statement of a real batch does.
 */
function lockedStore() {
  const rows: Item[] = [];
  const held = { value: true };
  const write: BatchWriter<Item> = async (items) => {
    await sleep(1);
    if (held.value && items.some((i) => i.key.sessionId === 'locked')) throw lockTimeout();
    rows.push(...items);
    return undefined;
  };
  const of = (sessionId: string) => rows.filter((r) => r.key.sessionId === sessionId).map((r) => r.seq);
  return { rows, held, write, of };
}

function persister(write: BatchWriter<Item>, options: { maxRetryMs: number; maxBatchSize?: number }) {
  const failures: [Error, PersistFailure<Item>][] = [];
  const p = new AsyncPersister<Item>({
    operation: 'appendEvent',
    // One worker for every session: the case where a held session could stall the others.
    shardOf: () => 0,
    writeBatch: write,
    onError: (error, context) => failures.push([error, context]),
    workers: 1,
    retryBaseMs: 5,
    retryCapMs: 20,
    ...options,
  });
  return { p, failures };
}

async function until(check: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${withinMs} ms`);
    await sleep(5);
  }
}

describe('AsyncPersister with a session whose rows are held', () => {
  it('writes the other sessions of the batch at once and the held one once it is free', async () => {
    const store = lockedStore();
    const { p, failures } = persister(store.write, { maxRetryMs: 10_000 });
    await p.enqueue(item('locked', 0));
    for (let n = 0; n < 5; n++) await p.enqueue(item('other', n));
    await p.enqueue(item('third', 0));
    // Well within the retry window: the other sessions did not wait for the held one.
    await until(() => store.of('other').length === 5 && store.of('third').length === 1, 1_000);
    expect(store.of('locked')).toEqual([]);
    store.held.value = false;
    await p.flush();
    expect(failures).toEqual([]);
    expect(store.of('locked')).toEqual([0]);
    expect(store.of('other')).toEqual([0, 1, 2, 3, 4]);
    await p.close();
  });

  it('reports only the held session when its rows stay held past the retry window', async () => {
    const store = lockedStore();
    const { p, failures } = persister(store.write, { maxRetryMs: 100 });
    await p.enqueue(item('locked', 0));
    for (let n = 0; n < 5; n++) await p.enqueue(item('other', n));
    const error = await p.flush().catch((e: unknown) => e as Error);
    expect(error?.message).toMatch(/1 asynchronous write failed.*lock timeout/);
    expect(failures.map(([, c]) => [c.key.sessionId, c.item.seq])).toEqual([['locked', 0]]);
    expect(store.of('other')).toEqual([0, 1, 2, 3, 4]);
    await p.close();
  });

  it('keeps a held session in order when its items are interleaved with other sessions', async () => {
    const store = lockedStore();
    const { p, failures } = persister(store.write, { maxRetryMs: 10_000 });
    for (let n = 0; n < 6; n++) {
      await p.enqueue(item('locked', n));
      await p.enqueue(item('other', n));
    }
    await until(() => store.of('other').length === 6, 2_000);
    store.held.value = false;
    await p.flush();
    expect(failures).toEqual([]);
    expect(store.of('locked')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(store.of('other')).toEqual([0, 1, 2, 3, 4, 5]);
    await p.close();
  });

  it('does not count held rows as an outage: later batches still write their other sessions', async () => {
    const store = lockedStore();
    const { p, failures } = persister(store.write, { maxRetryMs: 100, maxBatchSize: 2 });
    // Batches [L0, L1], [L2, O0], [O1, O2], [O3]: the second meets the held rows after the window.
    for (let n = 0; n < 3; n++) await p.enqueue(item('locked', n));
    for (let n = 0; n < 4; n++) await p.enqueue(item('other', n));
    const started = Date.now();
    await p.flush().catch(() => undefined);
    // The held session shares one window across its batches rather than waiting one per batch.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(failures.map(([, c]) => [c.key.sessionId, c.item.seq])).toEqual([
      ['locked', 0],
      ['locked', 1],
      ['locked', 2],
    ]);
    expect(store.of('other')).toEqual([0, 1, 2, 3]);
    // Nothing refuses new items: the database answered throughout.
    await p.enqueue(item('other', 4));
    await p.flush();
    expect(store.of('other')).toEqual([0, 1, 2, 3, 4]);
    await p.close();
  });
});
