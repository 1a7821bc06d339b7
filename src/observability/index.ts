/**
 * Observability of the session services: OpenTelemetry spans and metrics (through the optional
 * `@opentelemetry/api`) and the `logger` option. See docs/observability.md.
 */

export { memoryBackend, postgresBackend } from './backends.js';
export {
  attachTelemetry,
  INSTRUMENTED_METHODS,
  instrumentService,
  ORIGINAL,
  telemetryOf,
} from './instrument.js';
export { checkLogger, log, loggerErrorReporter } from './logger.js';
export { METRIC, SCOPE, SPAN_PREFIX } from './names.js';
export { type Backend, Telemetry } from './telemetry.js';
