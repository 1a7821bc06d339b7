/**
 * The asynchronous persister during an outage longer than its retry window, with an in-memory
 * writer: while a worker is still failing its backlog past the window, new items are refused at
 * the call (STORAGE, naming the outage) instead of being accepted and reported a moment later;
 * the reports say truthfully how each write was tried; once the worker is idle it accepts again.
 */
import { expect, it } from 'vitest';
import { AsyncPersister, type BatchWriter, type PersistFailure } from '../../src/postgres/async/persister.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import type { SessionKey } from '../../src/session/keys.js';

interface Item {
  key: SessionKey;
  seq: number;
}

const item = (seq: number): Item => ({ key: { appName: 'app', userId: 'u', sessionId: 's' }, seq });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const connectionLost = () => new Error('Connection terminated unexpectedly');
const MAX_RETRY_MS = 50;

/**
 * A database that is down until `up` is set. The first attempt made once the retry window has
 * run out is held until `release()`, so the test can append while the worker is past the window.
 */
function downStore() {
  const rows: number[] = [];
  const state = { up: false, first: 0, holding: false };
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const write: BatchWriter<Item> = async (items) => {
    if (state.up) {
      rows.push(...items.map((i) => i.seq));
      return undefined;
    }
    state.first ||= Date.now();
    if (Date.now() - state.first > MAX_RETRY_MS && !state.holding) {
      state.holding = true;
      await released;
    }
    throw connectionLost();
  };
  return { rows, state, write, release };
}

it('refuses new items while a worker is past its retry window, and accepts again once idle', async () => {
  const store = downStore();
  const failures: [Error, PersistFailure<Item>][] = [];
  const p = new AsyncPersister<Item>({
    operation: 'appendEvent',
    shardOf: () => 0,
    writeBatch: store.write,
    onError: (error, context) => failures.push([error, context]),
    workers: 1,
    maxBatchSize: 1,
    maxRetryMs: MAX_RETRY_MS,
    retryBaseMs: 1,
    retryCapMs: 5,
  });
  await p.enqueue(item(0));
  await p.enqueue(item(1));
  while (!store.state.holding) await sleep(2);
  // Item 0 used up the window; item 1 is being tried once. A new item would only be reported.
  const refused = await p.enqueue(item(2)).catch((e: unknown) => e as Error);
  expect(isAgentSessionsError(refused) && refused.code).toBe('STORAGE');
  expect(refused?.message).toMatch(
    /^appendEvent refused: the database has been failing for \d+ ms, longer than the retry window \(50 ms\); not accepted$/,
  );
  store.release();
  const error = await p.flush().catch((e: unknown) => e as Error);
  expect(error?.message).toMatch(/2 asynchronous writes failed/);
  expect(failures.map(([, c]) => c.item.seq)).toEqual([0, 1]);
  expect(failures[0]![0].message).toMatch(/still failing after retrying for \d+ ms/);
  // Item 1 was tried once only: its report says so rather than claiming a retry window of its own.
  expect(failures[1]![0].message).toMatch(
    /tried once, not retried: the database had been failing for \d+ ms/,
  );
  // Idle again, the worker accepts: an item is stored once the database is back.
  store.state.up = true;
  await p.enqueue(item(3));
  await p.flush();
  expect(store.rows).toEqual([3]);
  await p.close();
});
