/**
 * The sweeper's life cycle: its timer, overlapping passes, stop(), and how failures are reported.
 * A scripted SqlClient stands in for the database, so timing is under the test's control.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sweeper, type SweeperOptions } from '../../src/postgres/cleanup/sweeper.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import { ManualClock } from '../../src/session/clock.js';
import type { SqlClient, SqlExecutor, SqlResult } from '../../src/sql/client.js';

interface Script {
  /** Awaited at the start of each pass (its connection), with the pass number from 1; may throw. */
  onPass?(n: number): Promise<void> | void;
  /** Whether the advisory lock is free (default true). */
  lockFree?: boolean;
}

/** Answers the sweep's statements as an empty database would, and counts passes. */
function scriptedClient(script: Script = {}) {
  const stats = { passes: 0, active: 0, maxActive: 0, statements: 0 };
  const answer = async (text: string): Promise<SqlResult<unknown>> => {
    stats.statements += 1;
    if (text.includes('pg_try_advisory_lock'))
      return { rows: [{ locked: script.lockFree ?? true }], rowCount: 1 };
    if (text.includes('pg_advisory_unlock')) return { rows: [{ pg_advisory_unlock: true }], rowCount: 1 };
    if (text.includes('WITH changed')) return { rows: [{ count: 0, last: null }], rowCount: 1 };
    return { rows: [], rowCount: 0 };
  };
  const conn: SqlExecutor = { query: answer as SqlExecutor['query'] };
  const client: SqlClient = {
    kind: 'pg',
    query: conn.query,
    transaction: (fn) => fn(conn),
    async withConnection(fn) {
      stats.passes += 1;
      stats.active += 1;
      stats.maxActive = Math.max(stats.maxActive, stats.active);
      try {
        await script.onPass?.(stats.passes);
        return await fn(conn);
      } finally {
        stats.active -= 1;
      }
    },
    close: async () => {},
  };
  return { client, stats };
}

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const sweepers: Sweeper[] = [];

function sweeper(client: SqlClient, options: Partial<SweeperOptions> = {}): Sweeper {
  const s = new Sweeper({
    client,
    tables: tableNames('', ''),
    clock: new ManualClock(),
    softDelete: true,
    sessionTtlMs: 60_000,
    appStateTtlMs: 0,
    userStateTtlMs: 0,
    trackEventTtlMs: 0,
    intervalMs: 10,
    lockKey: 'db.public.',
    ...options,
  });
  sweepers.push(s);
  return s;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(sweepers.splice(0).map((s) => s.stop()));
});

describe('Sweeper', () => {
  it('sweeps once per interval after start(), starting one interval later', async () => {
    const { client, stats } = scriptedClient();
    const s = sweeper(client, { intervalMs: 20 });
    s.start();
    s.start();
    expect(stats.passes).toBe(0);
    await vi.waitFor(() => expect(stats.passes).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    expect(stats.maxActive).toBe(1);
  });

  it('reports a failed pass to onError as a sweep failure and keeps sweeping', async () => {
    const { client, stats } = scriptedClient({
      onPass(n) {
        if (n === 1) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      },
    });
    const onError = vi.fn();
    sweeper(client, { onError }).start();

    await vi.waitFor(() => expect(stats.passes).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    expect(onError).toHaveBeenCalledTimes(1);
    const [error, context] = onError.mock.calls[0]!;
    expect(error).toMatchObject({ code: 'STORAGE', cause: { code: 'ECONNREFUSED' } });
    expect(context).toEqual({ operation: 'sweep' });
  });

  it('survives an onError that throws', async () => {
    const { client, stats } = scriptedClient({
      onPass() {
        throw new Error('down');
      },
    });
    const onError = vi.fn(() => {
      throw new Error('reporter failed too');
    });
    sweeper(client, { onError }).start();
    await vi.waitFor(() => expect(onError.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    expect(stats.passes).toBeGreaterThanOrEqual(3);
  });

  it('turns a failure into a process warning when no onError is given', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { client } = scriptedClient({
      onPass() {
        throw new Error('down');
      },
    });
    sweeper(client).start();
    await vi.waitFor(() => expect(warn).toHaveBeenCalled(), { timeout: 2000 });
    expect(warn.mock.calls[0]![0]).toMatchObject({ code: 'STORAGE' });
  });

  it('never runs two passes at once: ticks during a pass are skipped, sweepNow waits its turn', async () => {
    const slow = gate();
    const { client, stats } = scriptedClient({
      onPass: (n) => (n === 1 ? slow.wait : undefined),
    });
    const s = sweeper(client, { intervalMs: 5 });
    s.start();
    await vi.waitFor(() => expect(stats.passes).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 60));
    // A dozen ticks went by; none started a pass.
    expect(stats.passes).toBe(1);

    const now = s.sweepNow();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stats.passes).toBe(1);
    slow.open();
    expect((await now).ran).toBe(true);
    expect(stats.maxActive).toBe(1);
  });

  it('stop() waits for the running pass, is idempotent, and ends the timer', async () => {
    const slow = gate();
    const { client, stats } = scriptedClient({ onPass: (n) => (n === 1 ? slow.wait : undefined) });
    const s = sweeper(client, { intervalMs: 5 });
    s.start();
    await vi.waitFor(() => expect(stats.passes).toBe(1));

    let stopped = false;
    const first = s.stop().then(() => {
      stopped = true;
    });
    const second = s.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stopped).toBe(false);
    slow.open();
    await first;
    await second;
    expect(stats.active).toBe(0);

    const statements = stats.statements;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stats.statements).toBe(statements);
    expect(stats.passes).toBe(1);
    await expect(s.stop()).resolves.toBeUndefined();
    await expect(s.sweepNow()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => s.start()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('rejects a queued sweepNow that had not started when stop() was called', async () => {
    const slow = gate();
    const { client } = scriptedClient({ onPass: (n) => (n === 1 ? slow.wait : undefined) });
    const s = sweeper(client);
    const running = s.sweepNow();
    const queued = s.sweepNow();
    const stopping = s.stop();
    slow.open();
    await expect(running).resolves.toMatchObject({ ran: true });
    await expect(queued).rejects.toMatchObject({ code: 'CLOSED' });
    await stopping;
  });

  it('keeps the process alive for nothing: its timer is unref’d', () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const { client } = scriptedClient();
    sweeper(client, { intervalMs: 3_600_000 }).start();
    const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
  });

  it('reports ran: false and zero counts when another instance holds the lock', async () => {
    const { client, stats } = scriptedClient({ lockFree: false });
    expect(await sweeper(client).sweepNow()).toEqual({
      ran: false,
      sessions: 0,
      events: 0,
      trackEvents: 0,
      summaries: 0,
      appStates: 0,
      userStates: 0,
    });
    // Only the attempt to lock: no unlock, no sweep statements.
    expect(stats.statements).toBe(1);
  });

  it('touches nothing when every TTL is 0', async () => {
    const { client, stats } = scriptedClient();
    const result = await sweeper(client, { sessionTtlMs: 0 }).sweepNow();
    expect(result.ran).toBe(true);
    expect(stats.passes).toBe(0);
  });

  it('rejects invalid options with CONFIG errors naming the field', () => {
    const { client } = scriptedClient();
    const cases: [Partial<SweeperOptions>, string][] = [
      [{ intervalMs: 0 }, 'intervalMs'],
      [{ intervalMs: 2 ** 31 }, 'intervalMs'],
      [{ batchSize: 0 }, 'batchSize'],
      [{ batchSize: 1.5 }, 'batchSize'],
      [{ sessionTtlMs: -1 }, 'sessionTtlMs'],
      [{ trackEventTtlMs: Number.NaN }, 'trackEventTtlMs'],
      [{ lockKey: '' }, 'lockKey'],
    ];
    for (const [options, field] of cases) {
      expect(() => sweeper(client, options)).toThrow(expect.objectContaining({ code: 'CONFIG', field }));
    }
  });
});
