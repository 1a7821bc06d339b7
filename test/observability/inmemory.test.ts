import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/service.js';
import { ORIGINAL, telemetryOf } from '../../src/observability/index.js';
import { ConfigError } from '../../src/session/errors.js';
import { createEvent } from '../../src/session/event.js';
import { FakeSummarizer } from '../conformance/fakes.js';
import {
  callEveryMethod,
  countOf,
  EVERY_SPAN_NAME,
  installOtel,
  ownMeter,
  pointWith,
  recordingLogger,
  type TestOtel,
} from './otel.js';

const app = 'obs-app';
const user = { appName: app, userId: 'u1' };
const userMessage = (content: string) => createEvent({ author: 'user', message: { role: 'user', content } });

let otel: TestOtel;
beforeAll(() => {
  otel = installOtel();
});
afterAll(() => otel.uninstall());
beforeEach(() => otel.exporter.reset());

describe('spans of the in-memory service', () => {
  it('makes one span per call, named agent_sessions.<operation>, with the database attributes', async () => {
    const svc = new InMemorySessionService({ summarizer: new FakeSummarizer() });
    await callEveryMethod(svc, user);

    const names = otel.spans().map((s) => s.name);
    for (const name of EVERY_SPAN_NAME) expect(names).toContain(name);
    const append = otel.span('agent_sessions.append_event');
    expect(append.kind).toBe(SpanKind.INTERNAL);
    expect(append.instrumentationScope.name).toBe('agent-sessions');
    expect(append.attributes).toMatchObject({
      'db.system': 'memory',
      'db.operation.name': 'append_event',
      'app.name': app,
      'agent_sessions.async': false,
      'agent_sessions.events.appended': 1,
    });
    expect(otel.span('agent_sessions.update_app_state').attributes['app.name']).toBe(app);
    expect(otel.span('agent_sessions.get_session').attributes).toMatchObject({
      'agent_sessions.session.found': true,
      'agent_sessions.events.returned': 1,
    });
    expect(otel.span('agent_sessions.list_sessions').attributes).toMatchObject({
      'agent_sessions.sessions.returned': 1,
      'agent_sessions.events.returned': 1,
    });
    expect(otel.span('agent_sessions.get_event_window').attributes['agent_sessions.events.returned']).toBe(1);
    expect(otel.span('agent_sessions.get_track_events').attributes['agent_sessions.events.returned']).toBe(1);
    for (const span of otel.spans()) expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('counts an event that is not stored (a partial chunk) as 0 appended', async () => {
    const svc = new InMemorySessionService();
    const session = await svc.createSession(user);
    await svc.appendEvent(session, { ...userMessage('chunk'), is_partial: true });
    expect(otel.span('agent_sessions.append_event').attributes['agent_sessions.events.appended']).toBe(0);
    await svc.close();
  });

  it('keeps session ids out of spans by default', async () => {
    const svc = new InMemorySessionService();
    const session = await svc.createSession({ ...user, sessionId: 'private-id' });
    await svc.appendEvent(session, userMessage('hi'));
    await svc.getSession({ ...user, sessionId: 'private-id' });
    await svc.getSession({ ...user, sessionId: 'missing-private-id' });
    await expect(
      svc.getEventWindow({ ...user, sessionId: 'private-id' }, 'nope', { before: 1, after: 1 }),
    ).rejects.toThrow();
    await expect(svc.createSession({ ...user, sessionId: 'private-id' })).rejects.toThrow();
    await svc.close();
    expect(otel.spans().length).toBeGreaterThan(0);
    for (const span of otel.spans()) {
      expect(span.attributes['session.id']).toBeUndefined();
      expect(JSON.stringify({ a: span.attributes, e: span.events, s: span.status })).not.toContain(
        'private-id',
      );
    }
  });

  it('records session ids when recordSessionIds is on', async () => {
    const svc = new InMemorySessionService({ telemetry: { recordSessionIds: true } });
    const session = await svc.createSession(user);
    await svc.appendEvent(session, userMessage('hi'));
    await svc.getSession({ ...user, sessionId: session.id });
    await svc.close();
    expect(otel.span('agent_sessions.create_session').attributes['session.id']).toBe(session.id);
    expect(otel.span('agent_sessions.append_event').attributes['session.id']).toBe(session.id);
    expect(otel.span('agent_sessions.get_session').attributes['session.id']).toBe(session.id);
  });

  it('marks a failed call: status ERROR, error.type the error code, the exception recorded', async () => {
    const svc = new InMemorySessionService();
    await expect(svc.getSession({ ...user, sessionId: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const invalid = otel.span('agent_sessions.get_session');
    expect(invalid.status.code).toBe(SpanStatusCode.ERROR);
    expect(invalid.attributes['error.type']).toBe('INVALID_ARGUMENT');
    expect(invalid.events.map((e) => e.name)).toContain('exception');

    await expect(
      svc.getEventWindow({ ...user, sessionId: 'nope' }, 'missing', { before: 1, after: 1 }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(otel.span('agent_sessions.get_event_window').attributes['error.type']).toBe('NOT_FOUND');

    await svc.close();
    await expect(svc.listSessions(user)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(otel.span('agent_sessions.list_sessions').attributes['error.type']).toBe('CLOSED');
  });

  it('makes the call span the parent of spans started inside it (hooks)', async () => {
    let inner: string | undefined;
    const svc = new InMemorySessionService({
      getSessionHooks: [
        async (_ctx, next) => {
          const tracer = trace.getTracer('test');
          await tracer.startActiveSpan('hook', async (span) => {
            inner = span.spanContext().spanId;
            span.end();
          });
          return next();
        },
      ],
    });
    await svc.getSession({ ...user, sessionId: 'x' });
    await svc.close();
    const hook = otel.span('hook');
    expect(hook.spanContext().spanId).toBe(inner);
    expect(hook.parentSpanContext?.spanId).toBe(otel.span('agent_sessions.get_session').spanContext().spanId);
  });

  it('makes no spans and no metrics with telemetry: false', async () => {
    const svc = new InMemorySessionService({ telemetry: false });
    expect(telemetryOf(svc)?.enabled).toBe(false);
    const session = await svc.createSession(user);
    await svc.appendEvent(session, userMessage('hi'));
    await svc.close();
    expect(otel.spans()).toHaveLength(0);
  });

  it('takes a tracer provider of its own', async () => {
    const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
      '@opentelemetry/sdk-trace-base'
    );
    const own = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] });
    const svc = new InMemorySessionService({ telemetry: { tracerProvider } });
    await svc.listAppStates(app);
    await svc.close();
    expect(own.getFinishedSpans().map((s) => s.name)).toContain('agent_sessions.list_app_states');
    expect(otel.spans().map((s) => s.name)).not.toContain('agent_sessions.list_app_states');
  });

  it('leaves the class as it was: private fields, instanceof, method names, close() returning one promise', async () => {
    const svc = new InMemorySessionService();
    expect(svc).toBeInstanceOf(InMemorySessionService);
    expect(svc.getSession.name).toBe('getSession');
    expect((svc.getSession as unknown as Record<symbol, unknown>)[ORIGINAL]).toBeTypeOf('function');
    const closing = svc.close();
    expect(svc.close()).toBe(closing);
    await closing;
    await svc[Symbol.asyncDispose]();
    expect(Object.keys(svc)).toEqual([]);
  });

  it('refuses a telemetry option or a logger of the wrong shape', () => {
    expect(() => new InMemorySessionService({ telemetry: 'yes' as never })).toThrow(ConfigError);
    expect(() => new InMemorySessionService({ telemetry: { recordSessionIds: 1 as never } })).toThrow(
      /telemetry\.recordSessionIds/,
    );
    expect(() => new InMemorySessionService({ logger: { info() {} } as never })).toThrow(/logger/);
    expect(() => new InMemorySessionService({ logger: console })).not.toThrow();
  });
});

describe('metrics of the in-memory service', () => {
  it('records every call in agent_sessions.operation.duration, by operation and outcome', async () => {
    const svc = new InMemorySessionService();
    const session = await svc.createSession(user);
    await svc.appendEvent(session, userMessage('one'));
    await svc.appendEvent(session, userMessage('two'));
    await expect(svc.getSession({ ...user, sessionId: '' })).rejects.toThrow();
    await svc.close();
    const points = await otel.points('agent_sessions.operation.duration');
    const appends = pointWith(points, { operation: 'append_event', outcome: 'ok', 'db.system': 'memory' });
    expect(countOf(appends)).toBeGreaterThanOrEqual(2);
    const failed = pointWith(points, { operation: 'get_session', outcome: 'error' });
    expect(failed?.attributes['error.type']).toBe('INVALID_ARGUMENT');
    const metric = (await otel.collect()).find(
      (m) => m.descriptor.name === 'agent_sessions.operation.duration',
    );
    expect(metric?.descriptor.unit).toBe('s');
  });

  it('counts summary jobs: queued, run inline, timed out, failed', async () => {
    const summarizer = new FakeSummarizer();
    let mode: 'slow' | 'hang' | 'fail' = 'slow';
    summarizer.summarize = (_session, signal) => {
      if (mode === 'fail') return Promise.reject(new Error('model unavailable'));
      if (mode === 'hang') return new Promise<string>(() => undefined);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => resolve('summary'), 20);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
    };
    const logger = recordingLogger();
    const meter = ownMeter();
    const svc = new InMemorySessionService({
      telemetry: { meterProvider: meter.meterProvider },
      summarizer,
      asyncSummaryNum: 1,
      summaryQueueSize: 1,
      summaryJobTimeoutMs: 200,
      logger,
    });
    const session = await svc.createSession(user);
    await svc.appendEvent(session, userMessage('hello'));
    // The first job fills the one-slot queue; the second, enqueued in the same turn, runs inline.
    await Promise.all([svc.enqueueSummaryJob(session, '', true), svc.enqueueSummaryJob(session, '', true)]);
    await svc.flush();
    // Each job needs a new event to summarize, or it ends without calling the summarizer.
    mode = 'hang';
    await svc.appendEvent(session, userMessage('more'));
    await svc.enqueueSummaryJob(session, '', true);
    await svc.flush();
    mode = 'fail';
    await svc.appendEvent(session, userMessage('even more'));
    await svc.enqueueSummaryJob(session, '', true);
    await svc.flush();
    await svc.close();

    const enqueued = await meter.points('agent_sessions.summary.jobs.enqueued');
    expect(pointWith(enqueued, { mode: 'queued' })?.value).toBe(3);
    expect(pointWith(enqueued, { mode: 'inline' })?.value).toBe(1);
    const finished = await meter.points('agent_sessions.summary.jobs.finished');
    expect(pointWith(finished, { mode: 'queued', outcome: 'ok' })?.value).toBe(1);
    expect(pointWith(finished, { mode: 'inline', outcome: 'ok' })?.value).toBe(1);
    expect(pointWith(finished, { mode: 'queued', outcome: 'timed_out' })?.value).toBe(1);
    expect(pointWith(finished, { mode: 'queued', outcome: 'failed' })?.value).toBe(1);
    const durations = await meter.points('agent_sessions.summary.job.duration');
    expect(countOf(pointWith(durations, { mode: 'queued', outcome: 'ok' }))).toBe(1);
    await meter.shutdown();

    // Background failures went to the logger at error level (no onError was given).
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors.map((r) => r.fields.operation)).toEqual(['summaryJob', 'summaryJob']);
    expect(errors[1]!.fields.err).toBeInstanceOf(Error);
    expect(errors[1]!.message).toBe('agent-sessions: summaryJob failed');
    expect(
      logger.records.some((r) => r.level === 'debug' && /running the job in the caller/.test(r.message)),
    ).toBe(true);
  });

  it('gives background failures to onError, not the logger, when both are set', async () => {
    const summarizer = new FakeSummarizer();
    summarizer.summarize = () => Promise.reject(new Error('model unavailable'));
    const logger = recordingLogger();
    const reported: string[] = [];
    const svc = new InMemorySessionService({
      summarizer,
      logger,
      onError: (error, context) => reported.push(`${context.operation}: ${error.message}`),
    });
    const session = await svc.createSession(user);
    await svc.appendEvent(session, userMessage('hello'));
    await svc.enqueueSummaryJob(session, '', true);
    await svc.flush();
    await svc.close();
    expect(reported).toEqual(['summaryJob: summarizer.summarize failed: model unavailable']);
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(0);
  });
});
