/**
 * An OpenTelemetry SDK for tests: spans into an InMemorySpanExporter, metrics collected on demand
 * by a MetricReader, both registered as the global providers (as an application would), with an
 * AsyncLocalStorage context manager so child spans find their parent across awaits.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { INSTRUMENTED_METHODS } from '../../src/observability/index.js';
import { createEvent } from '../../src/session/event.js';
import type { UserKey } from '../../src/session/keys.js';
import type { SessionService } from '../../src/session/service.js';
import { textValue } from '../../src/session/state.js';

class TestMetricReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export interface TestOtel {
  readonly exporter: InMemorySpanExporter;
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** The span named `name` (the only one, or the last one). */
  span(name: string): ReadableSpan;
  /** Collects the metrics now. */
  collect(): Promise<MetricData[]>;
  /** The data points of metric `name` at the last collection. */
  points(name: string): Promise<DataPoint<unknown>[]>;
  uninstall(): Promise<void>;
}

/** Registers the test SDK globally; `uninstall()` removes it again. */
export function installOtel(): TestOtel {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  const collect = async () => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  };
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length === 0) {
        const names = exporter.getFinishedSpans().map((s) => s.name);
        throw new Error(`no span named ${name}; spans: ${names.join(', ')}`);
      }
      return found[found.length - 1]!;
    },
    collect,
    async points(name) {
      const metric = (await collect()).find((m) => m.descriptor.name === name);
      return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
    },
    async uninstall() {
      trace.disable();
      metrics.disable();
      context.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** A MeterProvider of its own (not global), for counts that must start from zero. */
export function ownMeter() {
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async points(name: string): Promise<DataPoint<unknown>[]> {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((m) => m.descriptor.name === name);
      return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

/** The data point whose attributes include `attributes`. */
export function pointWith<T>(
  points: DataPoint<T>[],
  attributes: Record<string, unknown>,
): DataPoint<T> | undefined {
  return points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
}

/** A histogram data point's count. */
export function countOf(point: DataPoint<unknown> | undefined): number {
  return (point?.value as Histogram | undefined)?.count ?? 0;
}

/** A logger that keeps every call. */
export function recordingLogger() {
  const records: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    records.push({ level, fields, message });
  };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Calls every instrumented method of `svc` once on the session `s1` of `user`, and closes it.
 * The service needs a summarizer (for the summary calls) and sweepNow().
 */
export async function callEveryMethod(
  svc: SessionService & { sweepNow(): Promise<unknown> },
  user: UserKey,
): Promise<void> {
  const key = { ...user, sessionId: 's1' };
  const session = await svc.createSession(key);
  const first = createEvent({ author: 'user', message: { role: 'user', content: 'hello' } });
  await svc.appendEvent(session, first);
  await svc.appendTrackEvent(session, { track: 'audit', payload: { a: 1 }, timestamp: new Date() });
  await svc.getSession(key);
  await svc.listSessions(user);
  await svc.updateSessionState(key, { mood: textValue('calm') });
  await svc.updateAppState(user.appName, { flag: textValue('on') });
  await svc.listAppStates(user.appName);
  await svc.deleteAppState(user.appName, 'flag');
  await svc.updateUserState(user, { lang: textValue('en') });
  await svc.listUserStates(user);
  await svc.deleteUserState(user, 'lang');
  await svc.getTrackEvents(key, 'audit');
  await svc.getEventWindow(key, first.id, { before: 1, after: 1 });
  await svc.appendEvents(session, [
    createEvent({ author: 'agent', message: { role: 'assistant', content: 'hi' } }),
  ]);
  await svc.popEvent(key);
  await svc.clearEvents(key);
  await svc.replaceEvents(key, { expectedEventIds: [], events: [] });
  await svc.createSessionSummary(session, '', true);
  await svc.enqueueSummaryJob(session, '', true);
  await svc.getSessionSummaryText(session);
  await svc.sweepNow();
  await svc.flush();
  await svc.deleteSession(key);
  await svc.close();
}

/** The span names of every instrumented method: `agent_sessions.<method in snake case>`. */
export const EVERY_SPAN_NAME: readonly string[] = INSTRUMENTED_METHODS.map(
  (method) => `agent_sessions.${method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
);
