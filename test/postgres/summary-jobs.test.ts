/**
 * Session summaries on PostgreSQL, with asynchronous persistence on: queued summary jobs with
 * their timeout and the full-queue fallback, close() within the timeout, the allowlist, the
 * cascade to the full-session summary, and the freshness rule across time zones (trpc-agent-go
 * issue #2530), including a row written by a Go service whose TIMESTAMP columns are local time.
 * Runs on PGlite, and on a server when AGENT_SESSIONS_TEST_DATABASE_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent, type Event } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { Session } from '../../src/session/session.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const databases = testDatabases;

/** A promise with its resolver. */
function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Contents of the events a summarizer was given, joined: its summary says what it saw. */
const joined = (session: Session) =>
  `summary(${session.events.map((e) => e.choices?.[0]?.message?.content ?? '').join('|')})`;

/** A summarizer that answers at once, recording the id of each session it summarized. */
function recording(): SessionSummarizer & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    shouldSummarize: () => true,
    summarize: async (session) => {
      seen.push(session.id);
      return joined(session);
    },
  };
}

/** The services' clock stands here; events are stamped after it, so sessions predate their events. */
const START = Date.UTC(2026, 2, 1, 0, 0, 0);
let at = START;
const message = (author: 'user' | 'assistant', content: string, extra: Partial<Event> = {}): Event => {
  at += 1000;
  return createEvent({ author, message: { role: author, content }, now: new Date(at), ...extra });
};

describe.each(databases)('summaries on %s', (_name, open) => {
  let db: TestDatabase;
  const services: PostgresSessionService[] = [];

  beforeAll(async () => {
    db = await open();
    await (await PostgresSessionService.create({ client: db.sql, schema: db.schema })).close();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await db.close();
  });

  async function service(options: PostgresSessionServiceOptions) {
    const failures: [Error, Record<string, unknown>][] = [];
    const svc = await PostgresSessionService.create({
      client: db.sql,
      schema: db.schema,
      skipDbInit: true,
      asyncPersist: true,
      clock: new ManualClock(START),
      onError: (error, context) => failures.push([error, context]),
      ...options,
    });
    services.push(svc);
    const app = `app-${randomUUID()}`;
    const key = (sessionId: string): SessionKey => ({ appName: app, userId: 'u', sessionId });
    return { svc, app, key, failures };
  }

  /** A session with a question and an answer (tagged with `filterKey` when given). */
  async function conversation(svc: PostgresSessionService, key: SessionKey, filterKey?: string) {
    const session = await svc.createSession(key);
    const extra = filterKey === undefined ? {} : { filterKey };
    await svc.appendEvent(session, message('user', `${key.sessionId}-q`, extra));
    await svc.appendEvent(session, message('assistant', `${key.sessionId}-a`, extra));
    return session;
  }

  /** The stored summaries of a session (filter key to text), straight from the table. */
  async function stored(svc: PostgresSessionService, key: SessionKey): Promise<Record<string, string>> {
    const { rows } = await db.sql.query<{ filter_key: string; text: string }>(
      `SELECT filter_key, summary->>'summary' AS text FROM ${svc.tables.sessionSummaries.qualified}
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL
       ORDER BY filter_key`,
      [key.appName, key.userId, key.sessionId],
    );
    return Object.fromEntries(rows.map((r) => [r.filter_key, r.text]));
  }

  describe('queued jobs', () => {
    it('aborts a job at summaryJobTimeoutMs, stores nothing, and reports the timeout', async () => {
      const signals: AbortSignal[] = [];
      const summarizer: SessionSummarizer = {
        shouldSummarize: () => true,
        // Waits for its signal, as a model call given the signal would.
        summarize: (_session, signal) => {
          signals.push(signal);
          return new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          });
        },
      };
      const { svc, key, failures } = await service({ summarizer, summaryJobTimeoutMs: 50 });
      const session = await conversation(svc, key('s'));
      await svc.enqueueSummaryJob(session, '', true);
      await svc.flush();
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
      expect((signals[0]!.reason as Error).name).toBe('TimeoutError');
      expect(failures.map(([error, context]) => [error.name, context.operation, context.sessionId])).toEqual([
        ['TimeoutError', 'summaryJob', 's'],
      ]);
      expect(await stored(svc, key('s'))).toEqual({});
      expect(session.summaries['']).toBeUndefined();
    });

    it('runs a job in the caller when the queue is full', async () => {
      const started = deferred();
      const release = deferred();
      const summarizer: SessionSummarizer = {
        shouldSummarize: () => true,
        summarize: async (session) => {
          // The worker's first job blocks until the test lets it go.
          if (session.id.startsWith('blocked:')) {
            started.resolve();
            await release.promise;
          }
          return joined(session);
        },
      };
      const { svc, key } = await service({ summarizer, asyncSummaryNum: 1, summaryQueueSize: 1 });
      const blocked = await conversation(svc, key('blocked'));
      const queued = await conversation(svc, key('queued'));
      const inline = await conversation(svc, key('inline'));

      await svc.enqueueSummaryJob(blocked, '', true);
      await started.promise;
      await svc.enqueueSummaryJob(queued, '', true);
      // The one worker is busy and its queue (size 1) holds `queued`: this job runs here, now.
      await svc.enqueueSummaryJob(inline, '', true);
      expect(await stored(svc, key('inline'))).toEqual({ '': 'summary(inline-q|inline-a)' });
      expect(await stored(svc, key('queued'))).toEqual({});
      expect(await stored(svc, key('blocked'))).toEqual({});

      release.resolve();
      await svc.flush();
      expect(await stored(svc, key('queued'))).toEqual({ '': 'summary(queued-q|queued-a)' });
      expect(await stored(svc, key('blocked'))).toEqual({ '': 'summary(blocked-q|blocked-a)' });
    });

    it('closes within the job timeout, aborting what runs and dropping what waits', async () => {
      const signals: AbortSignal[] = [];
      // Ignores its signal and never answers: only the queue's timeout can end it.
      const summarizer: SessionSummarizer = {
        shouldSummarize: () => true,
        summarize: (_session, signal) => {
          signals.push(signal);
          return new Promise<string>(() => {});
        },
      };
      const { svc, key, failures } = await service({
        summarizer,
        asyncSummaryNum: 1,
        summaryJobTimeoutMs: 100,
      });
      const first = await conversation(svc, key('first'));
      const second = await conversation(svc, key('second'));
      await svc.enqueueSummaryJob(first, '', true);
      await svc.enqueueSummaryJob(second, '', true);
      const started = Date.now();
      await svc.close();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(signals.every((signal) => signal.aborted)).toBe(true);
      // Each job was reported once: timed out, aborted by close, or dropped unstarted.
      expect(failures).toHaveLength(2);
      expect(await stored(svc, key('first'))).toEqual({});
      expect(await stored(svc, key('second'))).toEqual({});
      // The events appended before close() were drained, as every accepted write is.
      const { rows } = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${svc.tables.sessionEvents.qualified} WHERE app_name = $1`,
        [key('first').appName],
      );
      expect(rows[0]?.n).toBe(4);
    });
  });

  describe('a session deleted and created again while its summary runs', () => {
    it.each(['enqueueSummaryJob', 'createSessionSummary'] as const)(
      '%s stores nothing into the new session with the same id',
      async (call) => {
        const started = deferred();
        const release = deferred();
        const summarizer: SessionSummarizer = {
          shouldSummarize: () => true,
          summarize: async (session) => {
            started.resolve();
            await release.promise;
            return joined(session);
          },
        };
        const clock = new ManualClock(START);
        const { svc, key, failures } = await service({ summarizer, clock });
        const k = key('s');
        const old = await svc.createSession(k);
        await svc.appendEvent(old, message('user', 'OLD secret plan'));
        await svc.flush();
        const running =
          call === 'enqueueSummaryJob'
            ? svc.enqueueSummaryJob(old, '', true)
            : svc.createSessionSummary(old, '', true);
        await started.promise;
        await svc.deleteSession(k);
        clock.advance(1000);
        const fresh = await svc.createSession(k);
        await svc.appendEvent(fresh, message('user', 'NEW conversation'));
        release.resolve();
        await running;
        await svc.flush();

        // Nothing failed: a summary of a session that is gone is dropped, as for a plain delete.
        expect(failures).toEqual([]);
        const { rows } = await db.sql.query<{ text: string; deleted: boolean }>(
          `SELECT summary->>'summary' AS text, deleted_at IS NOT NULL AS deleted
           FROM ${svc.tables.sessionSummaries.qualified}
           WHERE app_name = $1 AND user_id = $2 AND session_id = $3 ORDER BY id`,
          [k.appName, k.userId, k.sessionId],
        );
        for (const row of rows) expect(row.deleted || !row.text.includes('OLD'), row.text).toBe(true);
        expect(await stored(svc, k)).toEqual({});

        // The new session's own summary is stored as usual.
        await svc.createSessionSummary((await svc.getSession(k))!, '', true);
        expect(await stored(svc, k)).toEqual({ '': 'summary(NEW conversation)' });
      },
    );
  });

  describe('allowlist and cascade', () => {
    /** A session with events under filter keys `team/alice` and `other`. */
    async function branched(svc: PostgresSessionService, key: SessionKey) {
      const session = await svc.createSession(key);
      for (const event of [
        message('user', 'alice-q', { filterKey: 'team/alice' }),
        message('assistant', 'alice-a', { filterKey: 'team/alice' }),
        message('user', 'other-q', { filterKey: 'other' }),
        message('assistant', 'other-a', { filterKey: 'other' }),
      ]) {
        await svc.appendEvent(session, event);
      }
      return session;
    }

    it('summarizes a key the allowlist allows (hierarchically) and cascades to the full session', async () => {
      const summarizer = recording();
      const { svc, key } = await service({ summarizer, summaryFilterAllowlist: [' team '] });
      const session = await branched(svc, key('s'));
      await svc.enqueueSummaryJob(session, 'team/alice', false);
      await svc.flush();
      expect(await stored(svc, key('s'))).toEqual({
        '': 'summary(alice-q|alice-a|other-q|other-a)',
        'team/alice': 'summary(alice-q|alice-a)',
      });
    });

    it('skips a key outside the allowlist, still refreshing the full session', async () => {
      const summarizer = recording();
      const { svc, key } = await service({ summarizer, summaryFilterAllowlist: ['team'] });
      const session = await branched(svc, key('s'));
      await svc.enqueueSummaryJob(session, 'other', true);
      await svc.flush();
      expect(summarizer.seen).toEqual(['s:']);
      expect(await stored(svc, key('s'))).toEqual({ '': 'summary(alice-q|alice-a|other-q|other-a)' });
      await svc.createSessionSummary(session, 'other', true);
      expect(summarizer.seen).toEqual(['s:']);
      expect(await stored(svc, key('s'))).not.toHaveProperty('other');
    });

    it('allows only the full session with an empty allowlist', async () => {
      const summarizer = recording();
      const { svc, key } = await service({ summarizer, summaryFilterAllowlist: [] });
      const session = await branched(svc, key('s'));
      await svc.enqueueSummaryJob(session, 'team/alice', true);
      await svc.flush();
      expect(Object.keys(await stored(svc, key('s')))).toEqual(['']);
    });

    it('does not touch the full-session summary with cascadeFullSessionSummary false', async () => {
      const summarizer = recording();
      const { svc, key } = await service({ summarizer, cascadeFullSessionSummary: false });
      const session = await branched(svc, key('s'));
      await svc.enqueueSummaryJob(session, 'team/alice', true);
      await svc.flush();
      expect(summarizer.seen).toEqual(['s:team/alice']);
      expect(await stored(svc, key('s'))).toEqual({ 'team/alice': 'summary(alice-q|alice-a)' });
    });

    it('summarizes once and stores it for both keys when every event matches the key', async () => {
      const summarizer = recording();
      const { svc, key } = await service({ summarizer });
      const session = await conversation(svc, key('s'), 'team');
      await svc.enqueueSummaryJob(session, 'team', true);
      await svc.flush();
      expect(summarizer.seen).toEqual(['s:team']);
      expect(await stored(svc, key('s'))).toEqual({ '': 'summary(s-q|s-a)', team: 'summary(s-q|s-a)' });
    });
  });

  describe('freshness', () => {
    const zone = process.env.TZ;
    afterEach(() => {
      process.env.TZ = zone;
    });

    it.each(['Asia/Shanghai', 'America/Los_Angeles', 'UTC'])(
      'shows a fresh summary and hides a stale one with the process in %s',
      async (tz) => {
        process.env.TZ = tz;
        const summarizer = recording();
        const { svc, key } = await service({ summarizer });
        const session = await conversation(svc, key('s'));
        await svc.createSessionSummary(session, '', true);
        await svc.flush();
        const read = (await svc.getSession(key('s')))!;
        expect(read.summaries['']?.summary).toBe('summary(s-q|s-a)');
        expect(await svc.getSessionSummaryText({ ...read, summaries: {} })).toBe('summary(s-q|s-a)');

        // A summary older than the session is an earlier session's with the same id: hidden.
        const createdAt = read.createdAt.getTime();
        const stale = new Date(createdAt - 3_600_000).toISOString();
        await db.sql.query(
          `INSERT INTO ${svc.tables.sessionSummaries.qualified}
             (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at, deleted_at)
           VALUES ($1, $2, $3, 'old', $4, $5, NULL, NULL)`,
          [
            key('s').appName,
            'u',
            's',
            JSON.stringify({ summary: 'from before', updated_at: stale }),
            stale.replace('T', ' ').replace('Z', ''),
          ],
        );
        const again = (await svc.getSession(key('s')))!;
        expect(again.summaries.old).toBeUndefined();
        expect(await svc.getSessionSummaryText({ ...again, summaries: {} }, { filterKey: 'old' })).toBe(
          'summary(s-q|s-a)',
        );
      },
    );

    it('shows a summary of a session a Go service wrote with local wall-clock (+08:00) columns', async () => {
      const summarizer = recording();
      const { svc, key } = await service({ summarizer });
      const t = svc.tables;
      const k = key('go');
      // Created 03:04:05Z, by a Go service in Asia/Shanghai: the JSON says +08:00 and the
      // TIMESTAMP columns hold the local wall-clock time, 11:04:05.
      const envelope = JSON.stringify({
        id: 'go',
        state: {},
        createdAt: '2026-01-02T11:04:05.5+08:00',
        updatedAt: '2026-01-02T11:04:07+08:00',
      });
      await db.sql.query(
        `INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, '2026-01-02 11:04:05.5', '2026-01-02 11:04:07', NULL)`,
        [k.appName, k.userId, k.sessionId, envelope],
      );
      const goEvents: [string, string, string][] = [
        ['go-q', 'user', '2026-01-02T11:04:06+08:00'],
        ['go-a', 'assistant', '2026-01-02T11:04:07+08:00'],
      ];
      for (const [id, author, timestamp] of goEvents) {
        const event = JSON.stringify({
          object: '',
          choices: [{ index: 0, message: { role: author, content: id } }],
          invocationId: 'inv',
          author,
          id,
          timestamp,
          version: 1,
        });
        await db.sql.query(
          `INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $5)`,
          [k.appName, k.userId, k.sessionId, event, timestamp.slice(0, 19).replace('T', ' ')],
        );
      }

      const session = (await svc.getSession(k))!;
      expect(session.createdAt.toISOString()).toBe('2026-01-02T03:04:05.500Z');
      await svc.enqueueSummaryJob(session, '', true);
      await svc.flush();

      // The summary row's column is the cutoff in UTC (03:04:07), earlier than the session's
      // local-time column (11:04:05): comparing the columns, as Go did, would hide it.
      const { rows } = await db.sql.query<{ hidden_by_columns: boolean }>(
        `SELECT m.updated_at < s.created_at AS hidden_by_columns
         FROM ${t.sessionSummaries.qualified} m JOIN ${t.sessionStates.qualified} s
           ON s.app_name = m.app_name AND s.user_id = m.user_id AND s.session_id = m.session_id
         WHERE m.app_name = $1 AND m.session_id = 'go' AND m.filter_key = ''`,
        [k.appName],
      );
      expect(rows).toEqual([{ hidden_by_columns: true }]);

      const read = (await svc.getSession(k))!;
      expect(read.summaries['']?.summary).toBe('summary(go-q|go-a)');
      expect(read.summaries['']?.updated_at.toISOString()).toBe('2026-01-02T03:04:07.000Z');
      expect(await svc.getSessionSummaryText({ ...read, summaries: {} })).toBe('summary(go-q|go-a)');
    });
  });
});
