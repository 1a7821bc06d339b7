import { expect, it } from 'vitest';
import type { Session } from '../../../src/session/session.js';
import type { SessionSummarizer } from '../../../src/session/summarizer.js';
import { FakeSummarizer } from '../fakes.js';
import { type Env, type Harness, ids } from './harness.js';

/** The stored summary text for a key, read without the summaries the caller's object carries. */
async function storedText(t: Env, sessionId: string, filterKey?: string): Promise<string | undefined> {
  await t.svc.flush();
  const read = await t.mustGet(sessionId);
  const bare: Session = { ...read, summaries: {} };
  return t.svc.getSessionSummaryText(bare, filterKey === undefined ? {} : { filterKey });
}

/** A session `s` whose events are tagged with filter keys a and b. */
async function branchedSession(t: Env) {
  const session = await t.create('s');
  const events = [
    t.user('a-q', { filterKey: 'a' }),
    t.assistant('a-r', { filterKey: 'a' }),
    t.user('b-q', { filterKey: 'b' }),
    t.assistant('b-r', { filterKey: 'b' }),
  ];
  await t.append(session, ...events);
  return { session, events };
}

export function summaryCases(h: Harness): void {
  it('stores a summary readable by getSessionSummaryText and in getSession', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s');
      const question = t.user('q1');
      const answer = t.assistant('r1');
      await t.append(session, question, answer);
      await t.svc.createSessionSummary(session, '', false);
      expect(summarizer.calls).toHaveLength(1);
      expect(summarizer.calls[0]?.lines).toEqual(['user:q1', 'assistant:r1']);
      expect(await t.svc.getSessionSummaryText(session)).toBe('summary(q1|r1)');
      expect(await storedText(t, 's')).toBe('summary(q1|r1)');
      const read = await t.mustGet('s');
      const summary = read.summaries[''];
      expect(summary?.summary).toBe('summary(q1|r1)');
      expect(summary?.updated_at.getTime()).toBe(answer.timestamp.getTime());
      expect(summary?.boundary?.last_event_id).toBe(answer.id);
      expect(await t.svc.getSessionSummaryText(read)).toBe('summary(q1|r1)');
    });
  });

  it('skips a summary when shouldSummarize says no, unless forced', () => {
    const summarizer = new FakeSummarizer();
    summarizer.should = false;
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.assistant('r1'));
      await t.svc.createSessionSummary(session, '', false);
      expect(summarizer.calls).toHaveLength(0);
      expect(await storedText(t, 's')).toBeUndefined();
      expect(Object.keys((await t.mustGet('s')).summaries)).toEqual([]);
      await t.svc.createSessionSummary(session, '', true);
      expect(summarizer.calls).toHaveLength(1);
      expect(await storedText(t, 's')).toBe('summary(q1|r1)');
    });
  });

  it('summarizes only the events after the previous summary, with that summary first as a system event', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.assistant('r1'));
      await t.svc.createSessionSummary(session, '', false);
      const q2 = t.user('q2');
      const r2 = t.assistant('r2');
      await t.append(session, q2, r2);
      const fresh = await t.mustGet('s');
      await t.svc.createSessionSummary(fresh, '', false);
      expect(summarizer.calls).toHaveLength(2);
      const second = summarizer.calls[1]!;
      expect(second.lines).toEqual(['system:summary(q1|r1)', 'user:q2', 'assistant:r2']);
      expect(ids(second.events.slice(1))).toEqual([q2.id, r2.id]);
      expect(await storedText(t, 's')).toBe('summary(summary(q1|r1)|q2|r2)');
    });
  });

  it('leaves the stored summary as it is when the summarizer returns an empty text', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.assistant('r1'));
      await t.svc.createSessionSummary(session, '', true);
      summarizer.reply = () => '';
      await t.append(session, t.user('q2'));
      await t.svc.createSessionSummary(await t.mustGet('s'), '', true);
      expect(summarizer.calls).toHaveLength(2);
      expect(await storedText(t, 's')).toBe('summary(q1|r1)');
    });
  });

  it("summarizes a filter key from that key's events only", () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const { session } = await branchedSession(t);
      await t.svc.createSessionSummary(session, 'a', true);
      expect(summarizer.calls[0]?.lines).toEqual(['user:a-q', 'assistant:a-r']);
      expect(await t.svc.getSessionSummaryText(session, { filterKey: 'a' })).toBe('summary(a-q|a-r)');
      expect(await storedText(t, 's', 'a')).toBe('summary(a-q|a-r)');
      expect((await t.mustGet('s')).summaries.a?.summary).toBe('summary(a-q|a-r)');
    });
  });

  it('falls back to the full-session summary for a filter key without one', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const { session } = await branchedSession(t);
      await t.svc.createSessionSummary(session, '', true);
      expect(await storedText(t, 's', 'b')).toBe('summary(a-q|a-r|b-q|b-r)');
      expect(await t.svc.getSessionSummaryText(session, { filterKey: 'b' })).toBe('summary(a-q|a-r|b-q|b-r)');
    });
  });

  it('returns no summary text before any summary exists', () =>
    h.run({ summarizer: new FakeSummarizer() }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'));
      expect(await t.svc.getSessionSummaryText(session)).toBeUndefined();
      expect(await storedText(t, 's', 'a')).toBeUndefined();
    }));

  it('stores a queued summary job by the time flush resolves', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.assistant('r1'));
      await t.svc.enqueueSummaryJob(session, '', true);
      await t.svc.flush();
      expect(await storedText(t, 's')).toBe('summary(q1|r1)');
    });
  });

  it('cascades a filter-key job to the full-session summary by default', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer }, async (t) => {
      const { session } = await branchedSession(t);
      await t.svc.enqueueSummaryJob(session, 'a', true);
      await t.svc.flush();
      expect(await storedText(t, 's', 'a')).toBe('summary(a-q|a-r)');
      expect(await storedText(t, 's')).toBe('summary(a-q|a-r|b-q|b-r)');
    });
  });

  it('does not cascade when cascadeFullSessionSummary is false', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer, cascadeFullSessionSummary: false }, async (t) => {
      const { session } = await branchedSession(t);
      await t.svc.enqueueSummaryJob(session, 'a', true);
      await t.svc.flush();
      expect(await storedText(t, 's', 'a')).toBe('summary(a-q|a-r)');
      expect(await storedText(t, 's')).toBeUndefined();
      expect(summarizer.calls).toHaveLength(1);
    });
  });

  it('does not summarize a filter key outside the allowlist', () => {
    const summarizer = new FakeSummarizer();
    return h.run({ summarizer, summaryFilterAllowlist: ['a'] }, async (t) => {
      const { session } = await branchedSession(t);
      await t.svc.createSessionSummary(session, 'b', true);
      expect(summarizer.calls).toHaveLength(0);
      expect(await storedText(t, 's', 'b')).toBeUndefined();
      expect((await t.mustGet('s')).summaries.b).toBeUndefined();
      await t.svc.createSessionSummary(session, 'a', true);
      expect(await storedText(t, 's', 'a')).toBe('summary(a-q|a-r)');
      await t.svc.createSessionSummary(session, '', true);
      expect(await storedText(t, 's')).toBe('summary(a-q|a-r|b-q|b-r)');
    });
  });

  it('does nothing without a summarizer', () =>
    h.run({}, async (t) => {
      const session = await t.create('s');
      await t.append(session, t.user('q1'), t.assistant('r1'));
      await expect(t.svc.createSessionSummary(session, '', true)).resolves.toBeUndefined();
      await expect(t.svc.enqueueSummaryJob(session, 'a', true)).resolves.toBeUndefined();
      await t.svc.flush();
      expect(await t.svc.getSessionSummaryText(session)).toBeUndefined();
      expect(Object.keys((await t.mustGet('s')).summaries)).toEqual([]);
    }));

  it.each(['enqueueSummaryJob', 'createSessionSummary'] as const)(
    '%s of a session deleted and created again while it runs stores nothing into the new session',
    (call) => {
      let started = () => {};
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const summarizer: SessionSummarizer = {
        shouldSummarize: () => true,
        summarize: async (session) => {
          started();
          await released;
          return `summary(${session.events.map((e) => e.choices?.[0]?.message?.content).join('|')})`;
        },
      };
      const errors: Error[] = [];
      return h.run({ summarizer, onError: (error) => errors.push(error) }, async (t) => {
        const old = await t.create('s');
        // Stamped an hour ahead: a summary of it is newer than the new session, so the reads'
        // rule "a summary older than the session is an earlier session's" would not hide it.
        const secret = t.user('OLD secret plan');
        secret.timestamp = new Date(t.clock.now().getTime() + 3_600_000);
        await t.append(old, secret);
        await t.svc.flush();
        const job =
          call === 'enqueueSummaryJob'
            ? t.svc.enqueueSummaryJob(old, '', true)
            : t.svc.createSessionSummary(old, '', true);
        await running;
        await t.svc.deleteSession(t.key('s'));
        t.tick();
        const fresh = await t.create('s');
        await t.append(fresh, t.user('NEW conversation'));
        release();
        await job;
        await t.svc.flush();
        // Dropped without an error, as a summary of a session that is gone.
        expect(errors).toEqual([]);
        expect(await storedText(t, 's')).toBeUndefined();
        expect((await t.mustGet('s')).summaries).toEqual({});
      });
    },
  );
}
