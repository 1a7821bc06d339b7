import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';

// `import text from './file.css?raw'` gives the file's text, as under Vite (the tests): the
// inspector's page is built into the command this way.
const rawImports: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'raw-imports',
  setup(build) {
    // The path keeps its `?raw`, so loaders that match on the extension (.css) leave it alone.
    // Relative to the project, as the source maps name every other file: an absolute path would
    // publish the build machine's directory in the package's maps.
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: relative(process.cwd(), resolve(args.resolveDir, args.path)),
      namespace: 'raw',
    }));
    build.onLoad({ filter: /\?raw$/, namespace: 'raw' }, async (args) => ({
      contents: await readFile(resolve(process.cwd(), args.path.slice(0, -'?raw'.length)), 'utf8'),
      loader: 'text',
    }));
  },
};

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'postgres/index': 'src/postgres/index.ts',
    'postgres/admin/index': 'src/postgres/admin/index.ts',
    'storage/postgres/index': 'src/storage/postgres/index.ts',
    'summary/index': 'src/summary/index.ts',
    'adapters/adk/index': 'src/adapters/adk/index.ts',
    'adapters/ai-sdk/index': 'src/adapters/ai-sdk/index.ts',
    'adapters/openai-agents/index': 'src/adapters/openai-agents/index.ts',
    'adapters/langchain/index': 'src/adapters/langchain/index.ts',
    'cli/main': 'src/cli/main.ts',
    'examples/demo': 'examples/demo.ts',
    'examples/telemetry': 'examples/telemetry.ts',
    'examples/adk': 'examples/adk.ts',
    'examples/ai-sdk': 'examples/ai-sdk.ts',
    'examples/openai-agents': 'examples/openai-agents.ts',
    'examples/langchain': 'examples/langchain.ts',
  },
  // The OpenTelemetry SDK of examples/telemetry is a dev dependency: imported at run time, never bundled.
  external: [/^@opentelemetry\//],
  format: ['esm'],
  target: 'node20',
  // Declarations come from tsc (tsconfig.build.json): one .d.ts per module, named as its source,
  // instead of bundled chunks with hashed names.
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: true,
  esbuildPlugins: [rawImports],
});
