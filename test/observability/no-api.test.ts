import { describe, expect, it, vi } from 'vitest';

// As if `@opentelemetry/api` were not installed: requiring it fails, as it does for a user
// who has not added the optional peer dependency.
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const createRequire = (...args: Parameters<typeof actual.createRequire>) => {
    const require = actual.createRequire(...args);
    return Object.assign((id: string) => {
      if (id === '@opentelemetry/api') {
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      }
      return require(id);
    }, require);
  };
  return { ...actual, createRequire, default: { ...actual, createRequire } };
});

describe('without @opentelemetry/api installed', () => {
  it('loads, leaves the methods unwrapped, and still reports background failures to the logger', async () => {
    const { otel } = await import('../../src/observability/otel.js');
    expect(otel).toBeUndefined();
    const { InMemorySessionService } = await import('../../src/inmemory/service.js');
    const { ORIGINAL, telemetryOf } = await import('../../src/observability/index.js');
    expect(
      (InMemorySessionService.prototype.getSession as unknown as Record<symbol, unknown>)[ORIGINAL],
    ).toBe(undefined);

    const errors: unknown[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (fields: unknown) => errors.push(fields) };
    const svc = new InMemorySessionService({
      logger,
      summarizer: {
        shouldSummarize: () => true,
        summarize: () => Promise.reject(new Error('model unavailable')),
      },
    });
    expect(telemetryOf(svc)?.enabled).toBe(false);
    const session = await svc.createSession({ appName: 'no-api', userId: 'u1' });
    const { createEvent } = await import('../../src/session/event.js');
    await svc.appendEvent(session, createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }));
    await svc.enqueueSummaryJob(session, '', true);
    await svc.flush();
    await svc.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ operation: 'summaryJob' });
  });
});
