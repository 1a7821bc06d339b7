/**
 * `@opentelemetry/api`, when the application has it installed. It is an optional peer dependency:
 * it is looked up once, synchronously, when this module loads, and a missing package leaves
 * `otel` undefined, so the service runs with no tracing code at all rather than failing to load.
 *
 * `require` finds the API's CommonJS build even when the application imports its ESM build:
 * both register and read the same global providers (the API keeps them on `globalThis`), so
 * spans and metrics reach the SDK the application set up either way.
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

export type { OtelApi };

function load(): typeof OtelApi | undefined {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;
  } catch {
    return undefined;
  }
}

/** The OpenTelemetry API, or undefined when the package is not installed. */
export const otel: typeof OtelApi | undefined = load();
