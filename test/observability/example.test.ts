/**
 * examples/telemetry.ts runs as `npm run example:telemetry` runs it (built by tsup, run by node),
 * with the OpenTelemetry SDK's console exporters: every call of the service prints its span, those
 * made inside the example's own request span are its children, the metrics are exported when the
 * meter provider shuts down, and the script closes its database.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt, ok, ROOT, runNode, STEP_TIMEOUT_MS } from '../cli/support.js';

/** One span as the console exporter prints it (util.inspect of an object, two-space indents). */
interface PrintedSpan {
  name: string;
  id: string;
  traceId: string;
  parentId: string | undefined;
}

function printedSpans(stdout: string): PrintedSpan[] {
  return stdout
    .split(/^\{$/m)
    .filter((block) => /^ {2}traceId: /m.test(block))
    .map((block) => ({
      name: block.match(/^ {2}name: '([^']+)',$/m)![1]!,
      id: block.match(/^ {2}id: '(\w+)',$/m)![1]!,
      traceId: block.match(/^ {2}traceId: '(\w+)',$/m)![1]!,
      parentId: block.match(/^ {2}parentSpanContext: \{\n {4}traceId: '\w+',\n {4}spanId: '(\w+)'/m)?.[1],
    }));
}

describe('examples/telemetry.ts', () => {
  it(
    'prints a span per call, children of the request span, then the metrics',
    async () => {
      ensureBuilt();
      const result = ok(await runNode(join(ROOT, 'dist/examples/telemetry.js'), [], { cwd: ROOT }));
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^session [0-9a-f-]{36} has 2 events$/m);

      const spans = printedSpans(result.stdout);
      expect(spans.map((s) => s.name)).toEqual([
        'agent_sessions.create_session',
        'agent_sessions.update_user_state',
        'agent_sessions.append_event',
        'agent_sessions.append_event',
        'agent_sessions.flush',
        'agent_sessions.get_session',
        'agent_sessions.get_session',
        'handle_request',
        'agent_sessions.sweep_now',
        'agent_sessions.close',
      ]);
      const request = spans.find((s) => s.name === 'handle_request')!;
      expect(request.parentId).toBeUndefined();
      const inRequest = spans.slice(0, spans.indexOf(request));
      for (const span of inRequest)
        expect(span).toMatchObject({ traceId: request.traceId, parentId: request.id });
      // After the request span ended, the service's spans start traces of their own.
      for (const span of spans.slice(spans.indexOf(request) + 1)) {
        expect(span.parentId).toBeUndefined();
        expect(span.traceId).not.toBe(request.traceId);
      }

      const metrics = [...result.stdout.matchAll(/^ {2}descriptor: \{\n {4}name: '([^']+)',$/gm)].map(
        (m) => m[1],
      );
      expect(metrics).toContain('agent_sessions.operation.duration');
      expect(metrics).toContain('agent_sessions.async.batch.size');
      expect(metrics).toContain('agent_sessions.sweeper.runs');
    },
    BUILD_TIMEOUT_MS + STEP_TIMEOUT_MS,
  );
});
