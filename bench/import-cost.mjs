// What loading the library costs, with and without embedded PGlite, each in a fresh process:
// `npm run build && node bench/import-cost.mjs`. Prints wall time and resident memory added.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/postgres/index.js', import.meta.url));
const cases = {
  'agent-sessions/postgres (server users)': `await import(${JSON.stringify(dist)});`,
  '+ PGlite module loaded': `await import(${JSON.stringify(dist)}); await import('@electric-sql/pglite');`,
  '+ an in-memory PGlite database opened': `const { pgliteClient } = await import(${JSON.stringify(dist)}); const c = await pgliteClient(); await c.query('SELECT 1'); await c.close();`,
};
for (const [name, body] of Object.entries(cases)) {
  const script = `const t = performance.now(); const m = process.memoryUsage().rss; ${body}
console.log(JSON.stringify({ ms: performance.now() - t, mb: (process.memoryUsage().rss - m) / 1e6 }));`;
  const runs = [0, 1, 2].map(() =>
    JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })),
  );
  const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[1];
  console.log(
    `${name.padEnd(42)} ${median('ms').toFixed(0).padStart(5)} ms ${median('mb').toFixed(1).padStart(6)} MB`,
  );
}
