/**
 * The summary lock belongs to the storage it protects. Two services of one process on different
 * storages (in-memory instances, PGlite databases, schemas of one database) summarize the same
 * session key at once: a summarizer that blocks in one never holds up the other. Two services on
 * the same tables (the same client, or separate pools to the same server and schema) take turns.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/service.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionService } from '../../src/session/service.js';
import type { SessionServiceOptions } from '../../src/session/service-options.js';
import type { Session } from '../../src/session/session.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';
import { summaryLocksHeld } from '../../src/summary/lock.js';
import { newPglite } from '../support/database.js';
import { randomName, serverUrl } from './support/server.js';

const KEY = { appName: 'app', userId: 'u', sessionId: 's' };
/** How long a call that must not wait may take on a busy machine. */
const PROMPT_MS = 3_000;

/** Storages for services: `open(n)` makes a service on storage n; equal n, equal tables. */
interface Storages {
  open(n: 0 | 1, options: SessionServiceOptions): Promise<SessionService>;
  close(): Promise<void>;
}

function memory(): Storages {
  return {
    open: async (_n, options) => new InMemorySessionService(options),
    close: async () => {},
  };
}

/** One embedded database with two schemas. */
async function pgliteSchemas(): Promise<Storages> {
  const { client, close } = await newPglite();
  await client.query('CREATE SCHEMA one');
  await client.query('CREATE SCHEMA two');
  return {
    open: (n, options) => PostgresSessionService.create({ ...options, client, schema: n ? 'two' : 'one' }),
    close,
  };
}

/** Two embedded databases, same schema and prefix. */
async function pgliteDatabases(): Promise<Storages> {
  const databases = [await newPglite(), await newPglite()];
  return {
    open: (n, options) => PostgresSessionService.create({ ...options, client: databases[n]!.client }),
    close: async () => {
      for (const db of databases) await db.close();
    },
  };
}

/** Two schemas of the test server; every service makes its own pool from the DSN. */
async function serverSchemas(): Promise<Storages> {
  const schemas = [randomName('lock'), randomName('lock')] as const;
  const admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
  for (const schema of schemas) await admin.query(`CREATE SCHEMA "${schema}"`);
  return {
    open: (n, options) => PostgresSessionService.create({ ...options, dsn: serverUrl, schema: schemas[n] }),
    async close() {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

/** A summarizer that waits for `release()` on every call, recording when calls start and end. */
function gated(name: string, log: string[]) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const summarizer: SessionSummarizer = {
    shouldSummarize: () => true,
    async summarize() {
      log.push(`${name} start`);
      await gate;
      log.push(`${name} end`);
      return `${name} summary`;
    },
  };
  return { summarizer, release };
}

/** A summarizer that answers at once. */
function quick(name: string, log: string[]): SessionSummarizer {
  return {
    shouldSummarize: () => true,
    summarize: async () => {
      log.push(name);
      return `${name} summary`;
    },
  };
}

async function sessionIn(service: SessionService, sessionId = KEY.sessionId): Promise<Session> {
  const session = await service.createSession({ ...KEY, sessionId });
  const now = new Date();
  await service.appendEvent(
    session,
    createEvent({ author: 'user', now, message: { role: 'user', content: 'hi' } }),
  );
  return session;
}

/** Resolves to the call's outcome, or to 'pending' when it has not settled within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  const outcome = promise.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  );
  return Promise.race([outcome, late]).finally(() => clearTimeout(timer));
}

/** Name, storages, and whether two services can share a storage (an in-memory one cannot). */
type Backend = [string, () => Promise<Storages>, boolean];

const backends: Backend[] = [
  ['memory', async () => memory(), false],
  ['PGlite, two schemas', pgliteSchemas, true],
  ['PGlite, two databases', pgliteDatabases, true],
  ...(serverUrl ? [['server PostgreSQL, two schemas', serverSchemas, true] as Backend] : []),
];

describe.each(backends)('the summary lock on %s', (_name, make, shared) => {
  let storages: Storages;
  const services: SessionService[] = [];
  const open = async (n: 0 | 1, summarizer: SessionSummarizer) => {
    const service = await storages.open(n, { summarizer });
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    storages = await make();
  });
  afterAll(async () => {
    for (const service of services) await service.close();
    await storages?.close();
  });

  it('lets two storages summarize the same session key at once', async () => {
    const log: string[] = [];
    const blocked = gated('first', log);
    const first = await open(0, blocked.summarizer);
    const second = await open(1, quick('second', log));
    const a = await sessionIn(first);
    const b = await sessionIn(second);
    const held = first.createSessionSummary(a, '', true);
    while (!log.includes('first start')) await new Promise((resolve) => setTimeout(resolve, 5));
    // Same app, user, session and filter key, other storage: no wait for the blocked summarizer.
    expect(await within(second.createSessionSummary(b, '', true), PROMPT_MS)).toBe('resolved');
    expect(log).toEqual(['first start', 'second']);
    blocked.release();
    await held;
    expect(await first.getSessionSummaryText(a)).toBe('first summary');
    expect(await second.getSessionSummaryText(b)).toBe('second summary');
    expect(summaryLocksHeld()).toBe(0);
  });

  it.runIf(shared)('makes two services on the same tables take turns', async () => {
    const log: string[] = [];
    const blocked = gated('first', log);
    const first = await open(0, blocked.summarizer);
    const second = await open(0, quick('second', log));
    const session = await sessionIn(first, 'shared');
    const again = await second.getSession({ ...KEY, sessionId: 'shared' });
    const held = first.createSessionSummary(session, '', true);
    while (!log.includes('first start')) await new Promise((resolve) => setTimeout(resolve, 5));
    const waiting = second.createSessionSummary(again!, '', true);
    expect(await within(waiting, 200)).toBe('pending');
    blocked.release();
    await Promise.all([held, waiting]);
    expect(log).toEqual(['first start', 'first end', 'second']);
    expect(summaryLocksHeld()).toBe(0);
  });
});

/**
 * Across processes there is no summary lock. Two services with pools of their own (whose scopes
 * differ, as two processes' do) summarize one session at once: both summarizers run, and the
 * summary row holds the one stored last, even when it covers fewer events than the one it
 * replaced (the upsert does not compare boundaries, as trpc-agent-go's does not).
 */
describe.runIf(serverUrl)('summaries of one session from two processes', () => {
  const schema = randomName('lock');
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const services: SessionService[] = [];
  const open = async (summarizer: SessionSummarizer) => {
    const pool = new pg.Pool({ connectionString: serverUrl, max: 2 });
    pools.push(pool);
    const service = await PostgresSessionService.create({ pool, schema, summarizer });
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
    await admin.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    for (const service of services) await service.close();
    for (const pool of pools) await pool.end();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it('runs both summaries and keeps the one stored last', async () => {
    const log: string[] = [];
    const blocked = gated('older', log);
    const one = await open(blocked.summarizer);
    const two = await open(quick('newer', log));
    const session = await sessionIn(one, 'raced');
    // The first process saw one event; the second sees two.
    const stale = structuredClone(session);
    const now = new Date(Date.now() + 1000);
    await one.appendEvent(
      session,
      createEvent({ author: 'user', now, message: { role: 'user', content: 'more' } }),
    );
    const fresh = (await two.getSession({ ...KEY, sessionId: 'raced' }))!;
    expect(fresh.events).toHaveLength(2);

    const older = one.createSessionSummary(stale, '', true);
    while (!log.includes('older start')) await new Promise((resolve) => setTimeout(resolve, 5));
    // No wait across processes: the second summary runs and is stored while the first one runs.
    expect(await within(two.createSessionSummary(fresh, '', true), PROMPT_MS)).toBe('resolved');
    const bare = { ...fresh, summaries: {} };
    expect(await two.getSessionSummaryText(bare)).toBe('newer summary');
    blocked.release();
    await older;
    // The last write wins, although it covers one event where the one it replaced covered two.
    expect(await two.getSessionSummaryText(bare)).toBe('older summary');
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".session_summaries WHERE session_id = 'raced'`,
    );
    expect(rows[0]?.n).toBe(1);
    expect(log).toEqual(['older start', 'newer', 'older end']);
  });
});
