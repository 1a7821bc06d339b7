import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'postgres/index': 'src/postgres/index.ts',
    'postgres/admin/index': 'src/postgres/admin/index.ts',
    'storage/postgres/index': 'src/storage/postgres/index.ts',
    'summary/index': 'src/summary/index.ts',
    'adapters/adk/index': 'src/adapters/adk/index.ts',
    'adapters/ai-sdk/index': 'src/adapters/ai-sdk/index.ts',
    'cli/main': 'src/cli/main.ts',
    'examples/demo': 'examples/demo.ts',
    'examples/telemetry': 'examples/telemetry.ts',
  },
  // The OpenTelemetry SDK of examples/telemetry is a dev dependency: imported at run time, never bundled.
  external: [/^@opentelemetry\//],
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
});
