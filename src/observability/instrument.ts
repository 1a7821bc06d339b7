/**
 * Spans and latency metrics around every public method of a service class.
 *
 * `instrumentService(Class.prototype)` replaces each method on the prototype, once, with a
 * wrapper that reads the instance's {@link Telemetry} through a symbol. The instance itself is
 * never replaced (no Proxy), so `#private` fields and `instanceof` behave as before, and a
 * service without telemetry (no `@opentelemetry/api`, `telemetry: false`) runs the original
 * method after one property read. With the API but no SDK registered, the wrapper asks the
 * global provider for a tracer (a field read) and runs the original method bare: no span object,
 * no clock read.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { type Event, isPersistableEvent } from '../session/event.js';
import type { SessionServiceOptions } from '../session/service-options.js';
import type { Session } from '../session/session.js';
import { ATTR, SPAN_PREFIX, snakeCase } from './names.js';
import { otel } from './otel.js';
import { type Backend, Telemetry } from './telemetry.js';

const TELEMETRY = Symbol('agent-sessions.telemetry');
const INSTRUMENTED = Symbol('agent-sessions.instrumented');

/** On each wrapper: the method it wraps (the overhead benchmark calls it to measure the floor). */
export const ORIGINAL = Symbol('agent-sessions.original');

/** Every SessionService method, and the backends' sweepNow: each call is a span. */
export const INSTRUMENTED_METHODS = [
  'createSession',
  'getSession',
  'listSessions',
  'deleteSession',
  'popEvent',
  'clearEvents',
  'replaceEvents',
  'updateSessionState',
  'updateAppState',
  'listAppStates',
  'deleteAppState',
  'updateUserState',
  'listUserStates',
  'deleteUserState',
  'appendEvent',
  'appendEvents',
  'appendTrackEvent',
  'getTrackEvents',
  'getEventWindow',
  'createSessionSummary',
  'enqueueSummaryJob',
  'getSessionSummaryText',
  'sweepNow',
  'flush',
  'close',
] as const;

type Method = (this: unknown, ...args: unknown[]) => unknown;

interface CallSpec {
  /** `db.operation.name` and the latency metric's `operation`: the method in snake_case. */
  readonly operation: string;
  readonly spanName: string;
  /** Adds span attributes taken from the arguments. */
  before?(args: unknown[], attributes: Attributes, t: Telemetry): void;
  /** Adds span attributes taken from the result. */
  after?(result: unknown, span: Span, t: Telemetry): void;
  /** Hand the caller the method's own promise (close(): every call returns the same one). */
  readonly sameResult?: boolean;
}

const appendSpec = (counted: (args: unknown[]) => number) => ({
  before(args: unknown[], attributes: Attributes, t: Telemetry) {
    attributes[ATTR.async] = t.asyncPersist;
    attributes[ATTR.eventsAppended] = counted(args);
  },
});

const eventsOf = (value: unknown): number => {
  const events = (value as { events?: unknown } | null | undefined)?.events;
  return Array.isArray(events) ? events.length : 0;
};

const SPECS: Partial<
  Record<(typeof INSTRUMENTED_METHODS)[number], Omit<CallSpec, 'operation' | 'spanName'>>
> = {
  createSession: {
    after(result, span, t) {
      const id = (result as Session | undefined)?.id;
      if (t.recordSessionIds && typeof id === 'string') span.setAttribute(ATTR.sessionId, id);
    },
  },
  getSession: {
    after(result, span) {
      span.setAttribute(ATTR.sessionFound, result !== null && result !== undefined);
      span.setAttribute(ATTR.eventsReturned, eventsOf(result));
    },
  },
  listSessions: {
    after(result, span) {
      const sessions = Array.isArray(result) ? result : [];
      span.setAttribute(ATTR.sessionsReturned, sessions.length);
      span.setAttribute(
        ATTR.eventsReturned,
        sessions.reduce((n: number, session) => n + eventsOf(session), 0),
      );
    },
  },
  getEventWindow: {
    after(result, span) {
      span.setAttribute(ATTR.eventsReturned, Array.isArray(result) ? result.length : 0);
    },
  },
  popEvent: {
    after(result, span) {
      span.setAttribute(ATTR.eventsReturned, result === undefined ? 0 : 1);
    },
  },
  getTrackEvents: {
    after(result, span) {
      span.setAttribute(ATTR.eventsReturned, eventsOf(result));
    },
  },
  // An event without content (a partial chunk, a state-only event) applies its delta but is not stored.
  appendEvent: appendSpec((args) => (isPersistableEvent(args[1] as Event) ? 1 : 0)),
  appendEvents: appendSpec((args) =>
    Array.isArray(args[1]) ? args[1].filter((e) => isPersistableEvent(e as Event)).length : 0,
  ),
  appendTrackEvent: appendSpec(() => 1),
  close: { sameResult: true },
};

/**
 * Gives `service` its telemetry, built from the `telemetry` and `logger` options. Call it in the
 * constructor, after the options are validated; the returned object carries the observers for
 * the service's background workers.
 */
export function attachTelemetry(
  service: object,
  options: Pick<SessionServiceOptions, 'telemetry' | 'logger'>,
  backend: Backend,
): Telemetry {
  const telemetry = new Telemetry(options, backend);
  Object.defineProperty(service, TELEMETRY, { value: telemetry });
  telemetry.bind(service);
  return telemetry;
}

/** The telemetry of `service` (undefined for an object that is no instrumented service). */
export function telemetryOf(service: object): Telemetry | undefined {
  return (service as { [TELEMETRY]?: Telemetry })[TELEMETRY];
}

/**
 * Wraps the public methods of a service class's prototype (once; later calls do nothing). Without
 * `@opentelemetry/api` installed it leaves the prototype untouched.
 */
export function instrumentService(prototype: object): void {
  if (otel === undefined || Object.hasOwn(prototype, INSTRUMENTED)) return;
  Object.defineProperty(prototype, INSTRUMENTED, { value: true });
  for (const method of INSTRUMENTED_METHODS) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, method);
    const original = descriptor?.value as Method | undefined;
    if (descriptor === undefined || typeof original !== 'function') continue;
    const operation = snakeCase(method);
    const spec: CallSpec = { operation, spanName: SPAN_PREFIX + operation, ...SPECS[method] };
    // A method (not a function) keeps the original's name and, like it, cannot be called with `new`.
    const wrapper = {
      [method](this: unknown, ...args: unknown[]): unknown {
        const telemetry = (this as { [TELEMETRY]?: Telemetry } | null | undefined)?.[TELEMETRY];
        if (telemetry === undefined || !telemetry.active) return original.apply(this, args);
        return invoke(telemetry, spec, original, this, args);
      },
    }[method]!;
    Object.defineProperty(wrapper, ORIGINAL, { value: original });
    Object.defineProperty(prototype, method, { ...descriptor, value: wrapper });
  }
}

function invoke(t: Telemetry, spec: CallSpec, original: Method, self: unknown, args: unknown[]): unknown {
  const tracer = t.tracer();
  const started = performance.now();
  let span: Span | undefined;
  let sessionId: string | undefined;
  if (tracer !== undefined) {
    try {
      const attributes: Attributes = { ...t.baseAttributes, [ATTR.dbOperationName]: spec.operation };
      sessionId = keyAttributes(args[0], attributes, t);
      spec.before?.(args, attributes, t);
      span = tracer.startSpan(spec.spanName, { kind: t.spanKind, attributes });
    } catch {
      // Unreadable arguments: the call runs without a span and fails (or not) on its own.
      span = undefined;
    }
  }
  let result: unknown;
  try {
    if (span !== undefined) {
      const api = otel!;
      // The span is the active one while the method runs: spans it causes (a pg instrumentation's
      // queries, a hook's own spans) become its children.
      result = api.context.with(api.trace.setSpan(api.context.active(), span), original, self, ...args);
    } else {
      result = original.apply(self, args);
    }
  } catch (error) {
    finish(t, spec, span, started, sessionId, true, error);
    throw error;
  }
  if (!(result instanceof Promise)) {
    finish(t, spec, span, started, sessionId, false, result);
    return result;
  }
  if (spec.sameResult) {
    result.then(
      (value: unknown) => finish(t, spec, span, started, sessionId, false, value),
      (error: unknown) => finish(t, spec, span, started, sessionId, true, error),
    );
    return result;
  }
  return result.then(
    (value: unknown) => {
      finish(t, spec, span, started, sessionId, false, value);
      return value;
    },
    (error: unknown) => {
      finish(t, spec, span, started, sessionId, true, error);
      throw error;
    },
  );
}

/** Ends the span and records the latency; never throws. */
function finish(
  t: Telemetry,
  spec: CallSpec,
  span: Span | undefined,
  started: number,
  sessionId: string | undefined,
  failed: boolean,
  outcome: unknown,
): void {
  try {
    const durationMs = performance.now() - started;
    if (span !== undefined) {
      if (failed) t.recordError(span, outcome, sessionId);
      else spec.after?.(outcome, span, t);
      span.end();
    }
    t.recordCall(spec.operation, durationMs, failed, outcome);
    if (spec.operation === 'close') t.closed();
  } catch {
    // Telemetry must never change what the call returns.
  }
}

/**
 * `app.name` (and `session.id`, when allowed) from a method's first argument: an app name, a
 * key, or a session. Returns the session id either way, to keep it out of error messages.
 */
function keyAttributes(arg: unknown, attributes: Attributes, t: Telemetry): string | undefined {
  if (typeof arg === 'string') {
    attributes[ATTR.appName] = arg;
    return undefined;
  }
  if (arg === null || typeof arg !== 'object') return undefined;
  const key = arg as { appName?: unknown; sessionId?: unknown; id?: unknown };
  if (typeof key.appName === 'string') attributes[ATTR.appName] = key.appName;
  const id =
    typeof key.sessionId === 'string' ? key.sessionId : typeof key.id === 'string' ? key.id : undefined;
  if (id !== undefined && id !== '' && t.recordSessionIds) attributes[ATTR.sessionId] = id;
  return id || undefined;
}
