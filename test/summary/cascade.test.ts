import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent, type Event } from '../../src/session/event.js';
import { newSession, type Session } from '../../src/session/session.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';
import type { Summary } from '../../src/session/summary.js';
import { runSummaryCascade, summarizeTarget } from '../../src/summary/cascade.js';
import { summaryLocksHeld, withSummaryLock } from '../../src/summary/lock.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const clock = new ManualClock(at(100));

function event(id: string, seconds: number, filterKey: string): Event {
  return createEvent({
    author: 'user',
    id,
    filterKey,
    now: at(seconds),
    message: { role: 'user', content: id },
  });
}

function sessionWith(events: Event[], sessionId = 's'): Session {
  const session = newSession({ appName: 'app', userId: 'u', sessionId }, at(0));
  session.events = events;
  return session;
}

class Recorder implements SessionSummarizer {
  ids: string[] = [];
  shouldSummarize = () => true;
  async summarize(session: Session): Promise<string> {
    this.ids.push(session.id);
    return session.events.map((e) => e.id).join('|');
  }
}

function memoryStore() {
  const stored: Record<string, Summary> = {};
  const store = (key: string, summary: Summary) => {
    stored[key] = summary;
  };
  return { stored, store };
}

describe('summary cascade', () => {
  it('summarizes once and stores for both keys when every event belongs to the branch', async () => {
    const m = new Recorder();
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'a/b'), event('e3', 3, '')]);
    await runSummaryCascade({ session, filterKey: 'a', summarizer: m, store, clock });
    expect(m.ids).toEqual(['s:a']);
    expect(Object.keys(stored).sort()).toEqual(['', 'a']);
    expect(stored.a).toEqual({
      summary: 'e1|e2|e3',
      updated_at: at(3),
      boundary: { version: 1, filter_key: 'a', cutoff_at: at(3), last_event_id: 'e3' },
    });
    expect(stored['']).toEqual({
      summary: 'e1|e2|e3',
      updated_at: at(3),
      boundary: { version: 1, cutoff_at: at(3), last_event_id: 'e3' },
    });
    expect(session.summaries['']).toEqual(stored['']);
    expect(session.summaries.a).toEqual(stored.a);
  });

  it('summarizes both keys separately when other branches have events', async () => {
    const m = new Recorder();
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b')]);
    await runSummaryCascade({ session, filterKey: 'a', summarizer: m, store, clock });
    expect(m.ids.sort()).toEqual(['s:', 's:a']);
    expect(stored.a?.summary).toBe('e1');
    expect(stored['']?.summary).toBe('e1|e2');
  });

  it('summarizes only the key without cascade', async () => {
    const m = new Recorder();
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b')]);
    await runSummaryCascade({ session, filterKey: 'a', summarizer: m, store, clock, cascade: false });
    expect(Object.keys(stored)).toEqual(['a']);
  });

  it("summarizes only '' when the branch is not allowed", async () => {
    const m = new Recorder();
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a')]);
    await runSummaryCascade({ session, filterKey: 'a', summarizer: m, store, clock, allowlist: ['b'] });
    expect(m.ids).toEqual(['s:']);
    expect(Object.keys(stored)).toEqual(['']);
  });

  it('does nothing when the branch is not allowed and nothing cascades', async () => {
    const m = new Recorder();
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a')]);
    await runSummaryCascade({
      session,
      filterKey: 'a',
      summarizer: m,
      store,
      clock,
      allowlist: [],
      cascade: false,
    });
    expect(m.ids).toEqual([]);
    expect(stored).toEqual({});
  });

  it('stores nothing for either key when the single summary is not produced', async () => {
    const m: SessionSummarizer = { shouldSummarize: () => false, summarize: async () => 'x' };
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a')]);
    await runSummaryCascade({ session, filterKey: 'a', summarizer: m, store, clock });
    expect(stored).toEqual({});
  });

  it('throws the first failure after both targets settled', async () => {
    const m: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async (session) => {
        if (session.id === 's:a') throw new Error('model down');
        return 'full';
      },
    };
    const { stored, store } = memoryStore();
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b')]);
    await expect(runSummaryCascade({ session, filterKey: 'a', summarizer: m, store, clock })).rejects.toThrow(
      'model down',
    );
    expect(stored['']?.summary).toBe('full');
  });
});

describe('summary lock', () => {
  it('serializes two summaries of the same session and key, so the second sees the first', async () => {
    const inputs: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const m: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async (session) => {
        inputs.push(session.events.map((e) => e.id));
        if (inputs.length === 1) await gate;
        return `v${inputs.length}`;
      },
    };
    const { store } = memoryStore();
    const session = sessionWith([event('e1', 1, '')], 'locked');
    const first = summarizeTarget({ session, filterKey: '', summarizer: m, store, clock });
    await new Promise((resolve) => setTimeout(resolve, 1));
    session.events.push(event('e2', 2, ''));
    const second = summarizeTarget({ session, filterKey: '', summarizer: m, store, clock });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(inputs).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    // The second run starts from the first one's boundary: the previous summary, then e2 only.
    expect(inputs[1]).toEqual(['', 'e2']);
    expect(session.summaries['']?.summary).toBe('v2');
    expect(summaryLocksHeld()).toBe(0);
  });

  it('lets different keys run at once', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const key = { appName: 'a', userId: 'u', sessionId: 'parallel' };
    const slow = withSummaryLock(key, 'x', async () => {
      order.push('x start');
      await gate;
      order.push('x end');
    });
    await withSummaryLock(key, 'y', async () => {
      order.push('y');
    });
    release();
    await slow;
    expect(order).toEqual(['x start', 'y', 'x end']);
  });

  it('stops waiting when the signal aborts, without letting later holders overtake', async () => {
    const key = { appName: 'a', userId: 'u', sessionId: 'abort' };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const holder = withSummaryLock(key, '', async () => {
      await gate;
      order.push('holder');
    });
    const controller = new AbortController();
    const waiter = withSummaryLock(key, '', async () => void order.push('waiter'), controller.signal);
    const third = withSummaryLock(key, '', async () => void order.push('third'));
    controller.abort(new Error('gave up'));
    await expect(waiter).rejects.toThrow('gave up');
    release();
    await Promise.all([holder, third]);
    expect(order).toEqual(['holder', 'third']);
    expect(summaryLocksHeld()).toBe(0);
  });
});

describe('summary lock scopes', () => {
  it('never makes two scopes wait for each other on the same session and filter key', async () => {
    const key = { appName: 'a', userId: 'u', sessionId: 'scoped' };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const one = withSummaryLock(
      key,
      '',
      async () => {
        order.push('one start');
        await gate;
        order.push('one end');
      },
      { scope: 'database one' },
    );
    await withSummaryLock(key, '', async () => void order.push('two'), { scope: 'database two' });
    // The same scope still waits.
    const again = withSummaryLock(key, '', async () => void order.push('one again'), {
      scope: 'database one',
    });
    release();
    await Promise.all([one, again]);
    expect(order).toEqual(['one start', 'two', 'one end', 'one again']);
    expect(summaryLocksHeld()).toBe(0);
  });

  it('takes the scope of summarizeTarget from its lockScope', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: string[] = [];
    const m: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async (session) => {
        seen.push(session.id);
        if (seen.length === 1) await gate;
        return 'text';
      },
    };
    const { store } = memoryStore();
    const first = summarizeTarget({
      session: sessionWith([event('e1', 1, '')], 'scoped-target'),
      filterKey: '',
      summarizer: m,
      store,
      clock,
      lockScope: 'one',
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    await summarizeTarget({
      session: sessionWith([event('e1', 1, '')], 'scoped-target'),
      filterKey: '',
      summarizer: m,
      store,
      clock,
      lockScope: 'two',
    });
    expect(seen).toHaveLength(2);
    release();
    await first;
    expect(summaryLocksHeld()).toBe(0);
  });
});
