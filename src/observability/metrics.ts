/**
 * The instruments of one Meter, created once per Meter and shared by every service using it (an
 * SDK refuses or warns about the same instrument registered twice), and the async-queue gauges,
 * which sum the queues of every live service with the same attributes at each collection.
 */
import type { Attributes, BatchObservableResult, Counter, Histogram, Meter } from '@opentelemetry/api';
import { LATENCY_BUCKETS, METRIC } from './names.js';

/** What a gauge reads from one service: its async queue, while the service is alive. */
export interface QueueSource {
  /** The service, weakly held: a service dropped without close() is not kept alive by its metrics. */
  readonly service: WeakRef<object>;
  read(service: object): { depth: number; waiting: number };
  attributes(): Attributes;
}

export interface Instruments {
  readonly operationDuration: Histogram;
  readonly enqueueWait: Histogram;
  readonly batchSize: Histogram;
  readonly persistFailures: Counter;
  readonly persistRetries: Counter;
  readonly sweeperRuns: Counter;
  readonly sweeperDuration: Histogram;
  readonly sweeperRows: Counter;
  readonly summaryJobsEnqueued: Counter;
  readonly summaryJobsFinished: Counter;
  readonly summaryJobDuration: Histogram;
  /** Services whose async queues the gauges report. */
  readonly queues: Set<QueueSource>;
}

const byMeter = new WeakMap<Meter, Instruments>();

/** The instruments on `meter`, created the first time. */
export function instrumentsOf(meter: Meter): Instruments {
  let instruments = byMeter.get(meter);
  if (instruments === undefined) {
    instruments = createInstruments(meter);
    byMeter.set(meter, instruments);
  }
  return instruments;
}

function createInstruments(meter: Meter): Instruments {
  const queues = new Set<QueueSource>();
  const depth = meter.createObservableGauge(METRIC.asyncQueueDepth, {
    description: 'Writes accepted by the asynchronous persisters and not yet taken into a batch.',
    unit: '{write}',
  });
  const waiting = meter.createObservableGauge(METRIC.asyncQueueWaiting, {
    description: 'Appends waiting for room in a full asynchronous write queue.',
    unit: '{call}',
  });
  meter.addBatchObservableCallback(
    (result: BatchObservableResult) => observeQueues(queues, result, depth, waiting),
    [depth, waiting],
  );
  const seconds = (name: string, description: string, buckets = LATENCY_BUCKETS) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: buckets } });
  const counter = (name: string, description: string, unit: string) =>
    meter.createCounter(name, { description, unit });
  return {
    operationDuration: seconds(METRIC.operationDuration, 'Duration of session service calls.'),
    enqueueWait: seconds(
      METRIC.asyncEnqueueWait,
      'How long an append waited for room in the asynchronous write queue before it was accepted.',
      [0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    ),
    batchSize: meter.createHistogram(METRIC.asyncBatchSize, {
      description: 'Writes per batch statement of the asynchronous persisters.',
      unit: '{write}',
      advice: { explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500] },
    }),
    persistFailures: counter(
      METRIC.asyncPersistFailures,
      'Accepted asynchronous writes that failed for good (each also went to onError).',
      '{write}',
    ),
    persistRetries: counter(
      METRIC.asyncPersistRetries,
      'Batches of asynchronous writes retried after a transient failure.',
      '{retry}',
    ),
    sweeperRuns: counter(METRIC.sweeperRuns, 'Passes of the TTL sweeper.', '{run}'),
    sweeperDuration: seconds(
      METRIC.sweeperDuration,
      'Duration of TTL sweeper passes.',
      [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    ),
    sweeperRows: counter(METRIC.sweeperRows, 'Rows soft- or hard-deleted by the TTL sweeper.', '{row}'),
    summaryJobsEnqueued: counter(
      METRIC.summaryJobsEnqueued,
      'Summary jobs enqueued: queued for a worker, or run inline in the caller when the queue was full.',
      '{job}',
    ),
    summaryJobsFinished: counter(METRIC.summaryJobsFinished, 'Summary jobs that ended, by outcome.', '{job}'),
    summaryJobDuration: seconds(
      METRIC.summaryJobDuration,
      'Duration of summary jobs.',
      [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    ),
    queues,
  };
}

/** Sums the queues of the live services per attribute set, so two services never overwrite each other. */
function observeQueues(
  queues: Set<QueueSource>,
  result: BatchObservableResult,
  depth: Parameters<BatchObservableResult['observe']>[0],
  waiting: Parameters<BatchObservableResult['observe']>[0],
): void {
  const sums = new Map<string, { attributes: Attributes; depth: number; waiting: number }>();
  for (const source of queues) {
    const service = source.service.deref();
    if (service === undefined) {
      queues.delete(source);
      continue;
    }
    try {
      const attributes = source.attributes();
      const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
      const queue = source.read(service);
      const sum = sums.get(key) ?? { attributes, depth: 0, waiting: 0 };
      sum.depth += queue.depth;
      sum.waiting += queue.waiting;
      sums.set(key, sum);
    } catch {
      // A service that cannot be read is left out of this collection.
    }
  }
  for (const sum of sums.values()) {
    result.observe(depth, sum.depth, sum.attributes);
    result.observe(waiting, sum.waiting, sum.attributes);
  }
}
