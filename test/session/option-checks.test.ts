/**
 * The options every backend shares are checked alike: the in-memory and the PostgreSQL service
 * refuse the same bad value with the same CONFIG error (field and text), accept the same bounds
 * and give 0 the same meaning. A TTL whose expiry no timestamp can hold, or a pool of workers
 * that would exhaust memory, is refused when the service is built, not at every write.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/index.js';
import { resolveOptions } from '../../src/inmemory/options.js';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { resolvePostgresOptions } from '../../src/postgres/options.js';
import { MAX_TTL_MS, MAX_WORKERS } from '../../src/session/option-checks.js';
import { MAX_COUNT } from '../../src/session/options.js';
import type { SessionServiceOptions } from '../../src/session/service-options.js';
import { newPglite } from '../support/database.js';

const TTLS = ['sessionTtlMs', 'appStateTtlMs', 'userStateTtlMs', 'trackEventTtlMs'] as const;
const COUNTS = [
  'sessionEventLimit',
  'asyncSummaryNum',
  'summaryQueueSize',
  'summaryJobTimeoutMs',
  'cleanupIntervalMs',
] as const;

/** What building each service with `options` throws: code, field and message, or 'ok'. */
function outcomes(options: SessionServiceOptions): [string, string] {
  const outcome = (build: () => unknown) => {
    try {
      build();
      return 'ok';
    } catch (error) {
      const e = error as { code?: string; field?: string; message: string };
      return `${e.code} ${e.field}: ${e.message}`;
    }
  };
  return [
    outcome(() => resolveOptions(options)),
    outcome(() => resolvePostgresOptions({ ...options, dataDir: 'memory://' })),
  ];
}

describe('the options both services share', () => {
  it('refuses the same bad values with the same CONFIG error', () => {
    const hostile = [
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '10',
      null,
      Object.create(null),
      { valueOf: () => 5 },
      10n,
      Symbol('x'),
    ];
    for (const field of [...TTLS, ...COUNTS]) {
      for (const value of hostile) {
        const [memory, postgres] = outcomes({ [field]: value } as never);
        expect(memory, `${field} = ${String(typeof value)}`).toMatch(new RegExp(`^CONFIG ${field}: `));
        expect(postgres).toBe(memory);
      }
    }
  });

  it('refuses the same bad summarizer, onError, allowlist, flag and hooks with the same CONFIG error', () => {
    const cases: [keyof SessionServiceOptions, unknown][] = [
      ['summarizer', {}],
      ['summarizer', { summarize: () => '' }],
      ['summarizer', null],
      ['summarizer', () => undefined],
      ['onError', 'log'],
      ['onError', {}],
      ['summaryFilterAllowlist', 'a'],
      ['summaryFilterAllowlist', ['a', 1]],
      ['cascadeFullSessionSummary', 'yes'],
      ['cascadeFullSessionSummary', 0],
      ['appendEventHooks', [() => undefined, 'x']],
      ['appendEventHooks', () => undefined],
      ['getSessionHooks', [null]],
    ];
    for (const [field, value] of cases) {
      const [memory, postgres] = outcomes({ [field]: value } as never);
      expect(memory, `${field} = ${String(value)}`).toMatch(new RegExp(`^CONFIG ${field}: `));
      expect(postgres, field).toBe(memory);
    }
    // And accept the same: a summarizer with both methods, a reporter, an allowlist of strings.
    const good: SessionServiceOptions = {
      summarizer: { summarize: async () => '', shouldSummarize: () => false },
      onError: () => undefined,
      summaryFilterAllowlist: [' a ', '', 'a', 'b'],
      cascadeFullSessionSummary: false,
      appendEventHooks: [],
    };
    expect(outcomes(good)).toEqual(['ok', 'ok']);
    expect(resolveOptions(good).summaryFilterAllowlist).toEqual(['a', 'b']);
    expect(resolvePostgresOptions({ ...good, dataDir: 'memory://' }).summaryFilterAllowlist).toEqual([
      'a',
      'b',
    ]);
  });

  it('agrees on every integer, by fast-check', () => {
    const field = fc.constantFrom(...TTLS, ...COUNTS, 'asyncSummaryNum' as const);
    const value = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, MAX_TTL_MS, MAX_TTL_MS + 1));
    fc.assert(
      fc.property(field, value, (f, v) => {
        const [memory, postgres] = outcomes({ [f]: v });
        expect(postgres).toBe(memory);
      }),
      { numRuns: 500 },
    );
  });

  it('bounds a TTL at the longest Go duration, so every expiry can be written', () => {
    for (const field of TTLS) {
      expect(outcomes({ [field]: MAX_TTL_MS })).toEqual(['ok', 'ok']);
      const [memory, postgres] = outcomes({ [field]: MAX_TTL_MS + 1 });
      expect(memory).toMatch(new RegExp(`^CONFIG ${field}: ${field}: must be at most ${MAX_TTL_MS} ms`));
      expect(postgres).toBe(memory);
    }
  });

  it('bounds the worker pools', () => {
    expect(outcomes({ asyncSummaryNum: MAX_WORKERS })).toEqual(['ok', 'ok']);
    const [memory, postgres] = outcomes({ asyncSummaryNum: 2 ** 32 });
    expect(memory).toBe(
      `CONFIG asyncSummaryNum: asyncSummaryNum: must be at most ${MAX_WORKERS}, got ${2 ** 32}`,
    );
    expect(postgres).toBe(memory);
    expect(() => resolvePostgresOptions({ dataDir: 'memory://', asyncPersisterNum: 100_000_000 })).toThrow(
      expect.objectContaining({ code: 'CONFIG', field: 'asyncPersisterNum' }),
    );
    expect(
      resolvePostgresOptions({ dataDir: 'memory://', asyncPersisterNum: MAX_WORKERS }).asyncPersisterNum,
    ).toBe(MAX_WORKERS);
  });

  it('reads 0 as the default event limit on both', async () => {
    expect(resolveOptions({ sessionEventLimit: 0 }).sessionEventLimit).toBe(1000);
    expect(resolvePostgresOptions({ dataDir: 'memory://', sessionEventLimit: 0 }).sessionEventLimit).toBe(
      1000,
    );
  });

  it("bounds the event limit as a call's eventNum, the integer the read statements bind", () => {
    expect(outcomes({ sessionEventLimit: MAX_COUNT })).toEqual(['ok', 'ok']);
    for (const limit of [MAX_COUNT + 1, 1e10, Number.MAX_SAFE_INTEGER]) {
      const [memory, postgres] = outcomes({ sessionEventLimit: limit });
      expect(memory).toBe(
        `CONFIG sessionEventLimit: sessionEventLimit: must be at most ${MAX_COUNT}, got ${limit}`,
      );
      expect(postgres).toBe(memory);
    }
  });

  it('reads with the largest event limit on both', async () => {
    const pglite = await newPglite();
    const services = [
      new InMemorySessionService({ sessionEventLimit: MAX_COUNT }),
      await PostgresSessionService.create({ client: pglite.client, sessionEventLimit: MAX_COUNT }),
    ];
    for (const service of services) {
      try {
        const key = { appName: 'a', userId: 'u', sessionId: 's' };
        await service.createSession(key);
        expect((await service.getSession(key))?.id).toBe('s');
        expect((await service.listSessions({ appName: 'a', userId: 'u' })).map((s) => s.id)).toEqual(['s']);
      } finally {
        await service.close();
      }
    }
    await pglite.close();
  });

  it('takes a clock only as an object with now(), on both', () => {
    for (const clock of [null, {}, Date, () => new Date(), { now: 1 }, 'clock']) {
      const [memory, postgres] = outcomes({ clock } as never);
      expect(memory, String(clock)).toBe(
        'CONFIG clock: clock: must be an object with a now() method returning a Date',
      );
      expect(postgres).toBe(memory);
    }
    expect(outcomes({ clock: { now: () => new Date() } })).toEqual(['ok', 'ok']);
  });

  it('stores and reads back with the longest TTL on both', async () => {
    const pglite = await newPglite();
    const services = [
      new InMemorySessionService({ sessionTtlMs: MAX_TTL_MS }),
      await PostgresSessionService.create({ client: pglite.client, sessionTtlMs: MAX_TTL_MS }),
    ];
    for (const service of services) {
      try {
        const key = { appName: 'a', userId: 'u', sessionId: 's' };
        const session = await service.createSession(key);
        await service.appendEvent(session, {
          id: 'e1',
          author: 'user',
          invocationId: '',
          timestamp: new Date(),
          version: 1,
          choices: [{ index: 0, message: { role: 'user', content: 'hi' } }],
        } as never);
        expect((await service.getSession(key))?.events.map((e) => e.id)).toEqual(['e1']);
      } finally {
        await service.close();
      }
    }
    await pglite.close();
  });
});
