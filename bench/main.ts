/**
 * `npm run bench [-- --quick] [-- --json FILE]`: our PostgreSQL session service against the
 * raw-SQL floor, on PGlite always and on server PostgreSQL when DATABASE_URL is set.
 *
 * Options:
 *   --quick            reduced sizes (under a minute)
 *   --json FILE        also write every figure, with its samples and the run's metadata, as JSON
 *   --only W1,W5       run only these workloads
 *   --backend NAME     only `server` or only `pglite`
 *   --keep             leave the server schema in place (for EXPLAIN), instead of dropping it
 *   --markdown         print the table as Markdown (as in docs/benchmarks.md)
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Backend, type BackendName, openPglite, openServer } from './backends.js';
import { clock, collectGarbage, type Figure, MB, PeakMemory } from './measure.js';
import { formatTable, LEGEND, type Meta, writeJson } from './report.js';
import type { Run } from './run.js';
import { FULL, QUICK } from './sizes.js';
import { adkAdapter } from './workloads/adapter-adk.js';
import { adapterAiSdk } from './workloads/adapter-ai-sdk.js';
import { langchainAdapter } from './workloads/adapter-langchain.js';
import { adapterOpenAIAgents } from './workloads/adapter-openai-agents.js';
import { w1, w2 } from './workloads/append.js';
import { w5 } from './workloads/growth.js';
import { w6Append, w6Read } from './workloads/memory.js';
import { w3, w4 } from './workloads/read.js';

interface Step {
  workload: string;
  label: string;
  run: (run: Run) => Promise<Figure[]>;
}

const STEPS: Step[] = [
  { workload: 'W1', label: 'W1 sequential appends, sync', run: (r) => w1(r, 'sync') },
  { workload: 'W1', label: 'W1 sequential appends, async', run: (r) => w1(r, 'async') },
  { workload: 'W2', label: 'W2 concurrent appends, sync', run: (r) => w2(r, 'sync') },
  { workload: 'W2', label: 'W2 concurrent appends, async', run: (r) => w2(r, 'async') },
  { workload: 'W3', label: 'W3 getSession of a long session', run: w3 },
  { workload: 'W4', label: 'W4 listSessions', run: w4 },
  { workload: 'W5', label: 'W5 growth', run: w5 },
  { workload: 'W6', label: 'W6 memory of a limited read', run: w6Read },
  { workload: 'W6', label: 'W6 memory of async appends', run: w6Append },
  {
    workload: 'AI-SDK',
    label: 'AI SDK adapter: load a 1,000-message chat, save one turn',
    run: adapterAiSdk,
  },
  { workload: 'ADK', label: 'ADK adapter: load a 1,000-message chat, save one turn', run: adkAdapter },
  {
    workload: 'OPENAI-AGENTS',
    label: 'OpenAI Agents adapter: load a 1,000-message chat, save one turn',
    run: adapterOpenAIAgents,
  },
  {
    workload: 'LANGCHAIN',
    label: 'LangChain adapter: load a 1,000-message chat, save one turn',
    run: langchainAdapter,
  },
];

const USAGE = `usage: npm run bench -- [--quick] [--json FILE] [--only W1,W2,...] [--backend server|pglite] [--keep] [--markdown]
Runs against PGlite, and against server PostgreSQL when DATABASE_URL is set.`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string' },
      backend: { type: 'string' },
      keep: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only ? new Set(values.only.toUpperCase().split(',')) : undefined;
  if (values.backend && values.backend !== 'server' && values.backend !== 'pglite') {
    throw new Error(`--backend must be server or pglite, got ${values.backend}`);
  }
  return {
    quick: values.quick,
    json: values.json,
    only,
    backend: values.backend as BackendName | undefined,
    keep: values.keep,
    markdown: values.markdown,
  };
}

function commit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function runBackend(
  open: () => Promise<Backend>,
  name: BackendName,
  o: ReturnType<typeof options>,
  opened: Set<Backend>,
  versions: Record<string, string>,
): Promise<{ figures: Figure[]; failed: boolean; peakRssMb: number }> {
  // Sampled from before the backend opens (PGlite's WebAssembly heap counts) to its close.
  const memory = new PeakMemory(10);
  const backend = await open();
  opened.add(backend);
  versions[name] = backend.version;
  const run: Run = {
    backend,
    sizes: o.quick ? QUICK : FULL,
    log: (m) => log(`[${name}] ${m}`),
    shared: new Map(),
  };
  const figures: Figure[] = [];
  let failed = false;
  try {
    for (const step of STEPS) {
      if (o.only && !o.only.has(step.workload)) continue;
      const started = clock();
      run.log(`${step.label} ...`);
      try {
        figures.push(...(await step.run(run)));
        run.log(`${step.label}: ${((clock() - started) / 1000).toFixed(1)} s`);
      } catch (error) {
        failed = true;
        run.log(`${step.label} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
      }
      collectGarbage();
    }
  } finally {
    await backend.close();
    opened.delete(backend);
  }
  return { figures, failed, peakRssMb: Math.round(memory.stop().rss / MB) };
}

async function main(): Promise<void> {
  const o = options();
  const started = clock();
  const startLoad = os.loadavg();
  const dsn = process.env.DATABASE_URL || undefined;
  const opened = new Set<Backend>();
  const versions: Record<string, string> = {};
  // Ctrl-C still drops the server schema.
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void Promise.allSettled([...opened].map((b) => b.close())).then(() => process.exit(130));
  });

  const plan: { name: BackendName; open: () => Promise<Backend> }[] = [];
  if (dsn && o.backend !== 'pglite') plan.push({ name: 'server', open: () => openServer(dsn, o.keep) });
  if (!dsn && o.backend === 'server') throw new Error('--backend server needs DATABASE_URL');
  if (o.backend !== 'server') plan.push({ name: 'pglite', open: openPglite });
  if (!dsn) log('DATABASE_URL is not set: PGlite only');
  if (!collectGarbage()) log('run node with --expose-gc for the W6 heap figures (npm run bench does)');

  const figures: Figure[] = [];
  let failed = false;
  const peakRssMb: Record<string, number> = {};
  for (const b of plan) {
    const result = await runBackend(b.open, b.name, o, opened, versions);
    figures.push(...result.figures);
    failed ||= result.failed;
    peakRssMb[b.name] = result.peakRssMb;
  }
  const order = (f: Figure) => `${f.backend === 'server' ? 0 : 1}${f.workload}`;
  const sorted = figures
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order(a.f).localeCompare(order(b.f)) || a.i - b.i)
    .map(({ f }) => f);

  const meta: Meta = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: o.quick,
    node: process.version,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    loadAverage: { start: startLoad, end: os.loadavg() },
    commit: commit(),
    backends: versions,
    peakRssMb,
    gcExposed: collectGarbage(),
    durationSeconds: Math.round((clock() - started) / 100) / 10,
  };
  console.log();
  for (const [name, version] of Object.entries(versions)) console.log(`${name}: ${version}`);
  console.log(
    `${meta.cpus}, node ${meta.node}, load ${meta.loadAverage.start.map((l) => l.toFixed(1)).join(' ')}, ${meta.durationSeconds} s${o.quick ? ', --quick' : ''}`,
  );
  console.log();
  console.log(formatTable(sorted, o.markdown));
  console.log();
  console.log(LEGEND);
  console.log(
    `Peak RSS of this process: ${Object.entries(peakRssMb)
      .map(([name, mb]) => `${name} ${mb} MB`)
      .join(', ')} (each backend's run, from before it opens to its close).`,
  );
  if (o.json) {
    await writeJson(o.json, meta, sorted);
    log(`wrote ${o.json}`);
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
