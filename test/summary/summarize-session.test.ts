import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent, type Event } from '../../src/session/event.js';
import { newSession, type Session } from '../../src/session/session.js';
import { textValue } from '../../src/session/state.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';
import type { Summary } from '../../src/session/summary.js';
import { formatRfc3339Nano } from '../../src/session/time.js';
import { computeSummaryDelta, cutoffBoundary } from '../../src/summary/delta.js';
import {
  SUMMARY_LAST_INCLUDED_EVENT_ID_KEY,
  SUMMARY_LAST_INCLUDED_TS_KEY,
  summarizeSession,
} from '../../src/summary/summarize-session.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function event(id: string, seconds: number, content: string, extra: Partial<Event> = {}): Event {
  return createEvent({
    author: 'user',
    id,
    now: at(seconds),
    message: { role: 'user', content },
    ...extra,
  });
}

function sessionWith(events: Event[], summaries: Record<string, Summary> = {}): Session {
  const session = newSession({ appName: 'app', userId: 'u', sessionId: 's' }, at(0));
  session.events = events;
  session.summaries = summaries;
  return session;
}

/** Records what it was given; its text lists the contents it saw. */
class Recorder implements SessionSummarizer {
  calls: Session[] = [];
  shouldCalls = 0;
  should = true;
  reply: ((session: Session) => string) | undefined;
  shouldSummarize(): boolean {
    this.shouldCalls++;
    return this.should;
  }
  async summarize(session: Session): Promise<string> {
    this.calls.push(session);
    if (this.reply) return this.reply(session);
    return session.events.map((e) => e.choices?.[0]?.message.content).join('|');
  }
}

const clock = new ManualClock(at(100));

describe('summarizeSession', () => {
  it('summarizes every event the first time, ending the boundary at the newest one', async () => {
    const m = new Recorder();
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b')]);
    const summary = await summarizeSession({ session, filterKey: '', summarizer: m, clock });
    expect(summary).toEqual({
      summary: 'a|b',
      updated_at: at(2),
      boundary: { version: 1, cutoff_at: at(2), last_event_id: 'e2' },
    });
    expect(summary?.boundary && 'filter_key' in summary.boundary).toBe(false);
    expect(session.summaries).toEqual({});
  });

  it('hands the summarizer a temporary session named <id>:<filterKey>', async () => {
    const m = new Recorder();
    const session = sessionWith([event('e1', 1, 'a', { filterKey: 'app/x' })]);
    await summarizeSession({ session, filterKey: 'app/x', summarizer: m, clock });
    const [tmp] = m.calls;
    expect(tmp?.id).toBe('s:app/x');
    expect(tmp?.appName).toBe('app');
    expect(tmp?.userId).toBe('u');
    expect(tmp?.createdAt).toEqual(session.createdAt);
  });

  it('puts the previous summary first as a system event and summarizes only what came after it', async () => {
    const m = new Recorder();
    const previous: Summary = {
      summary: 'old',
      updated_at: at(2),
      boundary: { version: 1, cutoff_at: at(2), last_event_id: 'e2' },
    };
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b'), event('e3', 3, 'c')], {
      '': previous,
    });
    const summary = await summarizeSession({ session, filterKey: '', summarizer: m, clock });
    const input = m.calls[0]!.events;
    expect(input[0]).toMatchObject({
      author: 'system',
      choices: [{ index: 0, message: { role: 'system', content: 'old' } }],
    });
    expect(input.slice(1).map((e) => e.id)).toEqual(['e3']);
    expect(summary?.summary).toBe('old|c');
    expect(summary?.boundary?.last_event_id).toBe('e3');
  });

  it('resumes after the boundary event by position, so events sharing its timestamp are kept', async () => {
    const events = [event('e1', 1, 'a'), event('e2', 1, 'b'), event('e3', 1, 'c')];
    const delta = computeSummaryDelta(events, { version: 1, cutoff_at: at(1), last_event_id: 'e2' }, '');
    expect(delta.events.map((e) => e.id)).toEqual(['e3']);
  });

  it('ends the boundary at the last stored event, even when an earlier one has the newest timestamp', async () => {
    // b was stamped before a but stored after it (two requests racing): the summary covers both.
    const events = [event('e1', 1, 'x'), event('a', 3, 'y'), event('b', 2, 'z')];
    const first = computeSummaryDelta(events, undefined, '');
    expect(first.latest).toEqual({ version: 1, cutoff_at: at(3), last_event_id: 'b' });
    // The next summary takes only what came after b, not b again.
    const next = computeSummaryDelta([...events, event('c', 4, 'w')], first.latest, '');
    expect(next.events.map((e) => e.id)).toEqual(['c']);
    // A reader whose list no longer holds b falls back to the newest time, skipping a and b.
    const fallback = computeSummaryDelta(
      [event('a', 3, 'y'), event('c', 4, 'w')],
      { ...first.latest!, last_event_id: 'gone' },
      '',
    );
    expect(fallback.events.map((e) => e.id)).toEqual(['a', 'c']);
  });

  it('falls back to the cutoff time (inclusive) when the boundary event is gone', async () => {
    const events = [event('e1', 1, 'a'), event('e2', 2, 'b'), event('e3', 3, 'c')];
    const delta = computeSummaryDelta(events, { version: 1, cutoff_at: at(2), last_event_id: 'gone' }, '');
    expect(delta.events.map((e) => e.id)).toEqual(['e2', 'e3']);
  });

  it('treats a summary without a boundary as ending at its updated_at', async () => {
    const legacy: Summary = { summary: 'old', updated_at: at(2) };
    expect(cutoffBoundary(legacy)).toEqual({ version: 1, cutoff_at: at(2) });
    const m = new Recorder();
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b'), event('e3', 3, 'c')], {
      '': legacy,
    });
    await summarizeSession({ session, filterKey: '', summarizer: m, clock });
    expect(m.calls[0]!.events.map((e) => e.id)).toEqual(['', 'e2', 'e3']);
  });

  it('borrows updated_at for a boundary with Go zero cutoff', () => {
    const zero = new Date(-62135596800000);
    expect(
      cutoffBoundary({ summary: 'x', updated_at: at(5), boundary: { version: 1, cutoff_at: zero } }),
    ).toEqual({ version: 1, cutoff_at: at(5) });
    expect(cutoffBoundary({ summary: 'x', updated_at: zero })).toBeUndefined();
  });

  it('keeps only events matching the filter key, hierarchically', async () => {
    const m = new Recorder();
    const session = sessionWith([
      event('e1', 1, 'root', { filterKey: 'app' }),
      event('e2', 2, 'mine', { filterKey: 'app/agent' }),
      event('e3', 3, 'child', { filterKey: 'app/agent/tool' }),
      event('e4', 4, 'other', { filterKey: 'app/other' }),
      event('e5', 5, 'any', { filterKey: '' }),
    ]);
    const summary = await summarizeSession({ session, filterKey: 'app/agent', summarizer: m, clock });
    expect(summary?.summary).toBe('root|mine|child|any');
    expect(summary?.boundary).toEqual({
      version: 1,
      filter_key: 'app/agent',
      cutoff_at: at(5),
      last_event_id: 'e5',
    });
  });

  it('takes the newest time as the cutoff and the last stored event as the boundary event', async () => {
    const m = new Recorder();
    const session = sessionWith([event('e1', 5, 'a'), event('e2', 3, 'b')]);
    const summary = await summarizeSession({ session, filterKey: '', summarizer: m, clock });
    expect(summary?.updated_at).toEqual(at(5));
    // Go's laterBoundary names e1 (the newest timestamp), so its next delta takes e2 again.
    expect(summary?.boundary?.last_event_id).toBe('e2');
  });

  it('asks shouldSummarize unless forced', async () => {
    const m = new Recorder();
    m.should = false;
    const session = sessionWith([event('e1', 1, 'a')]);
    expect(await summarizeSession({ session, filterKey: '', summarizer: m, clock })).toBeNull();
    expect(m.shouldCalls).toBe(1);
    expect(m.calls).toHaveLength(0);
    const forced = await summarizeSession({ session, filterKey: '', summarizer: m, clock, force: true });
    expect(forced?.summary).toBe('a');
    expect(m.shouldCalls).toBe(1);
  });

  it('updates nothing without new events, even when forced', async () => {
    const m = new Recorder();
    const session = sessionWith([event('e1', 1, 'a')], {
      '': {
        summary: 'old',
        updated_at: at(1),
        boundary: { version: 1, cutoff_at: at(1), last_event_id: 'e1' },
      },
    });
    expect(await summarizeSession({ session, filterKey: '', summarizer: m, clock, force: true })).toBeNull();
    expect(
      await summarizeSession({ session, filterKey: 'x', summarizer: m, clock, force: true }),
    ).not.toBeNull();
    expect(m.calls).toHaveLength(1);
  });

  it('updates nothing when the summarizer returns an empty text', async () => {
    const m = new Recorder();
    m.reply = () => '';
    const session = sessionWith([event('e1', 1, 'a')]);
    expect(await summarizeSession({ session, filterKey: '', summarizer: m, clock })).toBeNull();
  });

  it('refuses a text PostgreSQL could not store', async () => {
    const m = new Recorder();
    m.reply = () => 'a\u0000b';
    const session = sessionWith([event('e1', 1, 'a')]);
    await expect(summarizeSession({ session, filterKey: '', summarizer: m, clock })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'summary',
    });
  });

  it('ends at the event the summarizer says it included last', async () => {
    const m = new Recorder();
    m.reply = (tmp) => {
      tmp.state[SUMMARY_LAST_INCLUDED_TS_KEY] = textValue(formatRfc3339Nano(at(1)));
      tmp.state[SUMMARY_LAST_INCLUDED_EVENT_ID_KEY] = textValue('e1');
      return 'partial';
    };
    const session = sessionWith([event('e1', 1, 'a'), event('e2', 2, 'b')]);
    const summary = await summarizeSession({ session, filterKey: '', summarizer: m, clock });
    expect(summary?.updated_at).toEqual(at(1));
    expect(summary?.boundary?.last_event_id).toBe('e1');
  });

  it('rejects with the abort reason and yields nothing when the signal aborts', async () => {
    const controller = new AbortController();
    const m: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: () => new Promise<string>(() => {}),
    };
    const session = sessionWith([event('e1', 1, 'a')]);
    const run = summarizeSession({ session, filterKey: '', summarizer: m, clock, signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
  });

  it('passes the signal to the summarizer', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const m: SessionSummarizer = {
      shouldSummarize: () => true,
      summarize: async (_s, signal) => {
        seen = signal;
        return 'x';
      },
    };
    await summarizeSession({
      session: sessionWith([event('e1', 1, 'a')]),
      filterKey: '',
      summarizer: m,
      clock,
      signal: controller.signal,
    });
    expect(seen).toBe(controller.signal);
  });
});
