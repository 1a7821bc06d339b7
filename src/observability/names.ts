/**
 * The names operators see: the instrumentation scope, span names, metric names and attribute keys.
 * They are part of the public contract (dashboards and alerts are built on them): change none
 * without a major version.
 */

/** The instrumentation scope of every span and metric. */
export const SCOPE = 'agent-sessions';

/** Span names are `agent_sessions.<operation>`, the operation being the method in snake_case. */
export const SPAN_PREFIX = 'agent_sessions.';

/** `appendEvent` → `append_event`. */
export function snakeCase(method: string): string {
  return method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export const METRIC = {
  /** Histogram (s): every service call, by `operation` and `outcome`. */
  operationDuration: 'agent_sessions.operation.duration',
  /** Observable gauge ({write}): writes accepted by the async persisters, not yet in a batch. */
  asyncQueueDepth: 'agent_sessions.async.queue.depth',
  /** Observable gauge ({call}): appends waiting for room in a full async queue. */
  asyncQueueWaiting: 'agent_sessions.async.queue.waiting',
  /** Histogram (s): how long an append waited for room before it was accepted (mostly 0). */
  asyncEnqueueWait: 'agent_sessions.async.enqueue.wait',
  /** Histogram ({write}): writes per batch statement. */
  asyncBatchSize: 'agent_sessions.async.batch.size',
  /** Counter ({write}): accepted writes that failed for good, by `error.type`. */
  asyncPersistFailures: 'agent_sessions.async.persist.failures',
  /** Counter ({retry}): batches retried after a transient failure. */
  asyncPersistRetries: 'agent_sessions.async.persist.retries',
  /** Counter ({run}): sweeper passes, by `outcome` (ok, skipped, error). */
  sweeperRuns: 'agent_sessions.sweeper.runs',
  /** Histogram (s): how long a sweeper pass took, by `outcome`. */
  sweeperDuration: 'agent_sessions.sweeper.duration',
  /** Counter ({row}): rows soft- or hard-deleted by the sweeper, by `table`. */
  sweeperRows: 'agent_sessions.sweeper.rows',
  /** Counter ({job}): summary jobs enqueued, by `mode` (queued, inline). */
  summaryJobsEnqueued: 'agent_sessions.summary.jobs.enqueued',
  /** Counter ({job}): summary jobs ended, by `mode` and `outcome` (ok, failed, timed_out, dropped). */
  summaryJobsFinished: 'agent_sessions.summary.jobs.finished',
  /** Histogram (s): how long a summary job ran, by `mode` and `outcome`. */
  summaryJobDuration: 'agent_sessions.summary.job.duration',
} as const;

export const ATTR = {
  dbSystem: 'db.system',
  dbSystemName: 'db.system.name',
  dbNamespace: 'db.namespace',
  dbOperationName: 'db.operation.name',
  errorType: 'error.type',
  appName: 'app.name',
  sessionId: 'session.id',
  async: 'agent_sessions.async',
  eventsReturned: 'agent_sessions.events.returned',
  eventsAppended: 'agent_sessions.events.appended',
  sessionsReturned: 'agent_sessions.sessions.returned',
  sessionFound: 'agent_sessions.session.found',
  operation: 'operation',
  outcome: 'outcome',
  table: 'table',
  mode: 'mode',
} as const;

/** The sweeper's counts, by the trpc-agent-go table they come from (without schema or prefix). */
export const SWEPT_TABLES = {
  sessions: 'session_states',
  events: 'session_events',
  trackEvents: 'session_track_events',
  summaries: 'session_summaries',
  appStates: 'app_states',
  userStates: 'user_states',
} as const;

/** Seconds from milliseconds, as the OpenTelemetry duration conventions want them. */
export const seconds = (ms: number) => ms / 1000;

/** Bucket boundaries (s) for call latencies, from sub-millisecond in-memory calls to slow queries. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
