/**
 * The telemetry of one service instance: its tracer and instruments, the attributes that name its
 * backend, the logger, and the observers its background workers (async persisters, sweeper,
 * summary queue) report to. Built once in the service's constructor from the `telemetry` and
 * `logger` options; read by the instrumented methods through a symbol on the instance.
 */
import type { Attributes, Meter, Span, Tracer } from '@opentelemetry/api';
import { ConfigError } from '../session/errors.js';
import type { PersisterObserver, SummaryJobObserver, SweeperObserver } from '../session/observers.js';
import type { Logger, SessionServiceOptions, TelemetryOptions } from '../session/service-options.js';
import { checkLogger, log } from './logger.js';
import { type Instruments, instrumentsOf, type QueueSource } from './metrics.js';
import { ATTR, SCOPE, SWEPT_TABLES, seconds, snakeCase } from './names.js';
import { otel } from './otel.js';

/** What a service tells its telemetry about itself. */
export interface Backend {
  /** `db.system`: `postgresql` or `memory`. */
  system: 'postgresql' | 'memory';
  /** `db.namespace` when known before connecting (the database, `database|schema` with a schema). */
  namespace?: string;
  /** The schema, joined to the database learned at connect as `database|schema`. */
  schema?: string;
  /** Whether appends go through the asynchronous persisters (the spans' `agent_sessions.async`). */
  asyncPersist?: boolean;
  /** Reads the service's async queue, for the queue gauges (only with `asyncPersist`). */
  queue?: (service: object) => { depth: number; waiting: number };
  /** Hides the backend's secrets (its passwords) in text recorded on spans. */
  redactText?: (text: string) => string;
}

/**
 * The API's global registry (`@opentelemetry/api` 1.x keeps its providers under this key on
 * globalThis). Reading it directly tells in one property read that no TracerProvider was ever
 * registered, which is the whole cost of tracing for an application without an SDK.
 */
const GLOBAL_REGISTRY = Symbol.for('opentelemetry.js.api.1');

/** A minimal view of the API's ProxyTracerProvider: the real tracer once an SDK is registered. */
interface DelegatingProvider {
  getDelegateTracer?(name: string): Tracer | undefined;
  getTracer(name: string): Tracer;
}

function checkTelemetry(value: unknown): TelemetryOptions | false {
  if (value === undefined) return {};
  if (value === false) return false;
  if (value === null || typeof value !== 'object') {
    throw new ConfigError('telemetry', 'must be an object of telemetry settings, or false');
  }
  const t = value as TelemetryOptions;
  if (t.tracerProvider !== undefined && typeof t.tracerProvider?.getTracer !== 'function') {
    throw new ConfigError('telemetry.tracerProvider', 'must be a TracerProvider (with getTracer)');
  }
  if (t.meterProvider !== undefined && typeof t.meterProvider?.getMeter !== 'function') {
    throw new ConfigError('telemetry.meterProvider', 'must be a MeterProvider (with getMeter)');
  }
  if (t.recordSessionIds !== undefined && typeof t.recordSessionIds !== 'boolean') {
    throw new ConfigError('telemetry.recordSessionIds', 'must be a boolean');
  }
  return t;
}

/** `error.type`: our stable code (NOT_FOUND, STORAGE, ...), else the error's name. */
export function errorType(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | null | undefined;
  if (typeof e?.code === 'string' && e.code !== '') return e.code;
  if (typeof e?.name === 'string' && e.name !== '') return e.name;
  return '_OTHER';
}

/** Runs an observer's body; telemetry must never break the work it watches. */
function safely<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      // Nothing to do: the metric or log line is lost, the work goes on.
    }
  };
}

export class Telemetry {
  /** False when there is nothing to trace with (no `@opentelemetry/api`, or `telemetry: false`). */
  readonly enabled: boolean;
  readonly logger: Logger | undefined;
  readonly #redactText: ((text: string) => string) | undefined;
  readonly recordSessionIds: boolean;
  /** Span kind: CLIENT for a database, INTERNAL for the in-process store. */
  readonly spanKind: number;
  readonly asyncPersist: boolean;
  /** The instruments, or undefined when no MeterProvider was registered (nothing would record). */
  readonly metrics: Instruments | undefined;
  readonly persister: PersisterObserver | undefined;
  readonly sweeper: SweeperObserver | undefined;
  readonly summaryJobs: SummaryJobObserver | undefined;
  readonly #system: string;
  readonly #schema: string | undefined;
  #namespace: string | undefined;
  /** db.system (and db.namespace once known): on every span and metric. */
  #base: Attributes;
  /** The attributes of a successful call's latency, per operation (made once, reused). */
  readonly #okAttributes = new Map<string, Attributes>();
  /** The attributes of the async metrics, per persister operation (made once, reused). */
  readonly #writeAttributes = new Map<string, Attributes>();
  #tracer: Tracer | undefined;
  /** True when the tracer comes from the global provider and may appear later (SDK registered late). */
  readonly #globalTracer: boolean;
  readonly #readQueue: Backend['queue'];
  #queue: QueueSource | undefined;

  constructor(options: Pick<SessionServiceOptions, 'telemetry' | 'logger'>, backend: Backend) {
    this.logger = checkLogger(options.logger);
    const settings = checkTelemetry(options.telemetry);
    const api = settings === false ? undefined : otel;
    this.enabled = api !== undefined;
    this.recordSessionIds = settings !== false && settings.recordSessionIds === true;
    this.spanKind = backend.system === 'memory' ? 0 /* INTERNAL */ : 2; /* CLIENT */
    this.asyncPersist = backend.asyncPersist === true;
    this.#system = backend.system;
    this.#redactText = backend.redactText;
    this.#schema = backend.schema || undefined;
    this.#namespace = backend.namespace || undefined;
    this.#base = this.#baseAttributes();

    this.#globalTracer = api !== undefined && settings !== false && settings.tracerProvider === undefined;
    if (api !== undefined && settings !== false && settings.tracerProvider !== undefined) {
      this.#tracer = (settings.tracerProvider as DelegatingProvider).getTracer(SCOPE);
    }
    let meter: Meter | undefined;
    if (api !== undefined && settings !== false) {
      meter = (settings.meterProvider?.getMeter(SCOPE) as Meter | undefined) ?? api.metrics.getMeter(SCOPE);
      // The API hands out one shared no-op meter when no SDK is registered: nothing would record.
      if (meter === api.createNoopMeter()) meter = undefined;
    }
    this.metrics = meter === undefined ? undefined : instrumentsOf(meter);
    this.#readQueue = backend.asyncPersist ? backend.queue : undefined;
    const watching = this.metrics !== undefined || this.logger !== undefined;
    this.persister = watching ? this.#persisterObserver() : undefined;
    this.sweeper = watching ? this.#sweeperObserver() : undefined;
    this.summaryJobs = watching ? this.#summaryObserver() : undefined;
  }

  /** Whether a call could produce a span or a metric (false: the instrumented method runs bare). */
  get active(): boolean {
    return this.enabled && (this.metrics !== undefined || this.tracer() !== undefined);
  }

  /**
   * The tracer, or undefined while no SDK is registered. The global provider is asked on each call
   * until it has one (cheap: the API's proxy answers from a field), so an SDK registered after
   * the service was created is picked up.
   */
  tracer(): Tracer | undefined {
    if (this.#tracer !== undefined || !this.#globalTracer) return this.#tracer;
    const registry = (globalThis as { [GLOBAL_REGISTRY]?: { trace?: unknown } })[GLOBAL_REGISTRY];
    if (registry?.trace === undefined) return undefined;
    const provider = otel!.trace.getTracerProvider() as DelegatingProvider;
    if (typeof provider.getDelegateTracer !== 'function') {
      this.#tracer = provider.getTracer(SCOPE);
      return this.#tracer;
    }
    const tracer = provider.getDelegateTracer(SCOPE);
    if (tracer !== undefined) this.#tracer = tracer;
    return tracer;
  }

  /** db.system and db.namespace, for a span's attributes. */
  get baseAttributes(): Attributes {
    return this.#base;
  }

  /** The service is bound to `service` (for the queue gauges, which read it). */
  bind(service: object): void {
    if (this.#readQueue === undefined || this.metrics === undefined) return;
    this.#queue = { service: new WeakRef(service), read: this.#readQueue, attributes: () => this.#base };
    this.metrics.queues.add(this.#queue);
  }

  /** The service closed: its queue leaves the gauges. */
  closed(): void {
    if (this.#queue !== undefined) this.metrics?.queues.delete(this.#queue);
  }

  /** The service connected to `database`: db.namespace from now on (`database|schema` with a schema). */
  connected(database: string): void {
    if (!database) return;
    this.#namespace = this.#schema ? `${database}|${this.#schema}` : database;
    this.#base = this.#baseAttributes();
    this.#okAttributes.clear();
    this.#writeAttributes.clear();
  }

  /** Records a call's latency; `error` is set when it failed. */
  recordCall(operation: string, durationMs: number, failed: boolean, error: unknown): void {
    const metrics = this.metrics;
    if (metrics === undefined) return;
    let attributes: Attributes | undefined;
    if (failed) {
      attributes = {
        ...this.#base,
        [ATTR.operation]: operation,
        [ATTR.outcome]: 'error',
        [ATTR.errorType]: errorType(error),
      };
    } else {
      attributes = this.#okAttributes.get(operation);
      if (attributes === undefined) {
        attributes = { ...this.#base, [ATTR.operation]: operation, [ATTR.outcome]: 'ok' };
        this.#okAttributes.set(operation, attributes);
      }
    }
    metrics.operationDuration.record(seconds(durationMs), attributes);
  }

  /** Marks `span` failed: status ERROR, `error.type`, the exception (session id redacted unless allowed). */
  recordError(span: Span, error: unknown, sessionId: string | undefined): void {
    const type = errorType(error);
    span.setAttribute(ATTR.errorType, type);
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
    if (typeof cause?.code === 'string' && /^[0-9A-Z]{5}$/.test(cause.code)) {
      span.setAttribute('db.response.status_code', cause.code);
    }
    const message = this.redact(error instanceof Error ? error.message : String(error), sessionId);
    if (error instanceof Error) {
      span.recordException({ name: error.name, message, stack: this.redact(error.stack, sessionId) });
    } else {
      span.recordException({ name: type, message });
    }
    span.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message });
  }

  /**
   * Text going to a trace: the backend's secrets hidden, and the session id replaced where it
   * stands as a whole token (unless session ids may be recorded). Only whole tokens: a session
   * id `s` must not turn `postgres` into `po<session.id>tgres`.
   */
  redact<T extends string | undefined>(text: T, sessionId: string | undefined): T {
    if (text === undefined) return text;
    const hidden = this.#redactText ? this.#redactText(text) : text;
    if (this.recordSessionIds || !sessionId) return hidden as T;
    return replaceToken(hidden, sessionId, '<session.id>') as T;
  }

  #baseAttributes(): Attributes {
    const base: Attributes = { [ATTR.dbSystem]: this.#system, [ATTR.dbSystemName]: this.#system };
    if (this.#namespace !== undefined) base[ATTR.dbNamespace] = this.#namespace;
    return base;
  }

  #attributes(extra: Attributes): Attributes {
    return { ...this.#base, ...extra };
  }

  /** `operation` (appendEvent → append_event) with the base attributes, for the per-write metrics. */
  #writeAttributesOf(operation: string): Attributes {
    let attributes = this.#writeAttributes.get(operation);
    if (attributes === undefined) {
      attributes = this.#attributes({ [ATTR.operation]: snakeCase(operation) });
      this.#writeAttributes.set(operation, attributes);
    }
    return attributes;
  }

  #persisterObserver(): PersisterObserver {
    const m = this.metrics;
    return {
      accepted: safely((operation: string, waitMs: number) => {
        m?.enqueueWait.record(seconds(waitMs), this.#writeAttributesOf(operation));
      }),
      batch: safely((operation: string, size: number) => {
        m?.batchSize.record(size, this.#writeAttributesOf(operation));
      }),
      failed: safely((operation: string, error: Error) => {
        m?.persistFailures.add(
          1,
          this.#attributes({ [ATTR.operation]: snakeCase(operation), [ATTR.errorType]: errorType(error) }),
        );
      }),
      retrying: safely((operation: string, error: unknown, attempt: number, delayMs: number) => {
        m?.persistRetries.add(1, this.#writeAttributesOf(operation));
        // The first retry of a batch is worth a warning (the database is failing); the rest are
        // noise until the batch succeeds or is reported as failed.
        log(
          this.logger,
          attempt === 1 ? 'warn' : 'debug',
          { err: error, operation, attempt, delayMs: Math.round(delayMs) },
          `agent-sessions: ${operation} batch failed transiently; retrying`,
        );
      }),
    };
  }

  #sweeperObserver(): SweeperObserver {
    const m = this.metrics;
    return {
      swept: safely((report, durationMs: number) => {
        const outcome = report.ran ? 'ok' : 'skipped';
        m?.sweeperRuns.add(1, this.#attributes({ [ATTR.outcome]: outcome }));
        m?.sweeperDuration.record(seconds(durationMs), this.#attributes({ [ATTR.outcome]: outcome }));
        let total = 0;
        for (const [field, table] of Object.entries(SWEPT_TABLES)) {
          const rows = report[field as keyof typeof SWEPT_TABLES];
          if (rows > 0) m?.sweeperRows.add(rows, this.#attributes({ [ATTR.table]: table }));
          total += rows;
        }
        const { ran, ...counts } = report;
        log(
          this.logger,
          total > 0 ? 'info' : 'debug',
          { ...counts, ran, durationMs: Math.round(durationMs) },
          ran
            ? `agent-sessions: sweep removed ${total} expired row${total === 1 ? '' : 's'}`
            : 'agent-sessions: sweep skipped: another instance holds the sweep lock',
        );
      }),
      failed: safely((error: unknown, durationMs: number) => {
        const attributes = this.#attributes({ [ATTR.outcome]: 'error', [ATTR.errorType]: errorType(error) });
        m?.sweeperRuns.add(1, attributes);
        m?.sweeperDuration.record(seconds(durationMs), attributes);
      }),
    };
  }

  #summaryObserver(): SummaryJobObserver {
    const m = this.metrics;
    return {
      enqueued: safely((mode) => {
        m?.summaryJobsEnqueued.add(1, this.#attributes({ [ATTR.mode]: mode }));
        if (mode === 'inline') {
          log(
            this.logger,
            'debug',
            { mode },
            'agent-sessions: summary queue full; running the job in the caller',
          );
        }
      }),
      finished: safely((mode, outcome, durationMs: number, error?: unknown) => {
        const attributes: Attributes = { [ATTR.mode]: mode, [ATTR.outcome]: outcome };
        if (error !== undefined) attributes[ATTR.errorType] = errorType(error);
        m?.summaryJobsFinished.add(1, this.#attributes(attributes));
        m?.summaryJobDuration.record(seconds(durationMs), this.#attributes(attributes));
      }),
    };
  }
}

const TOKEN_CHAR = /[\p{L}\p{N}_-]/u;

/** `text` with each occurrence of `token` that is not part of a longer word replaced. */
export function replaceToken(text: string, token: string, replacement: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(token); at !== -1; at = text.indexOf(token, at + 1)) {
    const end = at + token.length;
    if (at < from) continue;
    const before = at > 0 ? text[at - 1]! : '';
    const after = end < text.length ? text[end]! : '';
    const startsWord = TOKEN_CHAR.test(token[0]!);
    const endsWord = TOKEN_CHAR.test(token[token.length - 1]!);
    if ((startsWord && TOKEN_CHAR.test(before)) || (endsWord && TOKEN_CHAR.test(after))) continue;
    out += text.slice(from, at) + replacement;
    from = end;
  }
  return out + text.slice(from);
}
