/**
 * agent-sessions with OpenTelemetry: a few turns of a conversation stored in embedded PGlite, with
 * every call's span and the service's metrics printed by the SDK's console exporters.
 *
 *   npm run example:telemetry
 *
 * In an application, register the SDK (here by hand; @opentelemetry/sdk-node does the same from
 * environment variables) before creating the service, and send to an OTLP exporter instead.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PostgresSessionService } from '../src/postgres/service.js';
import { createEvent } from '../src/session/event.js';
import { textValue } from '../src/session/state.js';
import { pgliteClient } from '../src/sql/pglite-client.js';

// 1. The SDK: spans to the console as they end, metrics to the console when flushed.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: 60_000,
    }),
  ],
});
metrics.setGlobalMeterProvider(meterProvider);

// 2. The service: telemetry is on by default; session ids are recorded here because this is a demo.
const client = await pgliteClient();
const sessions = await PostgresSessionService.create({
  client,
  asyncPersist: true,
  sessionTtlMs: 24 * 60 * 60_000,
  logger: console,
  telemetry: { recordSessionIds: true },
});

// 3. Some work, inside a span of our own: the service's spans become its children.
await trace.getTracer('example').startActiveSpan('handle_request', async (request) => {
  const session = await sessions.createSession({ appName: 'support', userId: 'u1' });
  await sessions.updateUserState({ appName: 'support', userId: 'u1' }, { language: textValue('en') });
  await sessions.appendEvent(
    session,
    createEvent({ author: 'user', message: { role: 'user', content: 'My order has not arrived.' } }),
  );
  await sessions.appendEvent(
    session,
    createEvent({ author: 'agent', message: { role: 'assistant', content: 'Let me look it up.' } }),
  );
  await sessions.flush();
  const stored = await sessions.getSession({ appName: 'support', userId: 'u1', sessionId: session.id });
  console.log(`\nsession ${session.id} has ${stored?.events.length} events\n`);
  await sessions.getSession({ appName: 'support', userId: 'u1', sessionId: 'no-such-session' });
  request.end();
});
await sessions.sweepNow();
await sessions.close();
await client.close();

// 4. Stop the SDK: shutting the meter provider down exports the metrics one last time.
await meterProvider.shutdown();
await tracerProvider.shutdown();
