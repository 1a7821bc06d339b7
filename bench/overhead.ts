/**
 * What the instrumentation costs when no OpenTelemetry SDK is registered (the default for anyone
 * who does not use OpenTelemetry): the same in-memory service calls made through the instrumented
 * methods and through the bare methods they wrap. In-memory calls are the cheapest the package
 * has (a few microseconds), so any overhead shows here first; against PostgreSQL (hundreds of
 * microseconds per call) it is smaller still.
 *
 * Short rounds of the two variants alternate, in both orders (bare then instrumented, then the
 * reverse), so drift in the machine (frequency, GC, JIT, other processes) falls on both. The
 * ratio reported is the median of the per-pair ratios; the fastest round of each variant is shown
 * too, as the figure least disturbed by the rest of the machine.
 *
 *   npx tsup bench/overhead.ts --no-config --format esm --target node20 --out-dir dist-bench --silent \
 *     && node --expose-gc dist-bench/overhead.js [--rounds 200] [--calls 2000] [--sdk]
 *
 * `--sdk` adds the cost with an SDK registered (spans to a processor that drops them, metrics to
 * a reader never collected), for scale.
 */
import { parseArgs } from 'node:util';
import { InMemorySessionService } from '../src/inmemory/service.js';
import { ORIGINAL } from '../src/observability/index.js';
import { createEvent } from '../src/session/event.js';
import type { SessionService } from '../src/session/service.js';
import { clock, collectGarbage, median } from './measure.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '200' },
    calls: { type: 'string', default: '2000' },
    sdk: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const CALLS = Number(args.calls);

type Call = (svc: SessionService) => Promise<unknown>;

const user = { appName: 'bench', userId: 'u1' };
const key = { ...user, sessionId: 'long' };

/** The operations measured: a read, a write and the cheapest call there is. */
function operations(): { name: string; method: keyof SessionService; args: () => unknown[] }[] {
  const event = () => createEvent({ author: 'user', message: { role: 'user', content: 'hello there' } });
  return [
    { name: 'getSession (20 events)', method: 'getSession', args: () => [key, { eventNum: 20 }] },
    // The caller's session object is emptied before each append, so every call does the same work.
    { name: 'appendEvent', method: 'appendEvent', args: () => [emptied(appendTarget), event()] },
    { name: 'listAppStates', method: 'listAppStates', args: () => ['bench'] },
  ];
}

let appendTarget: Awaited<ReturnType<SessionService['createSession']>>;
const emptied = (session: typeof appendTarget) => {
  session.events.length = 0;
  return session;
};

async function setUp(svc: SessionService): Promise<void> {
  const session = await svc.createSession({ ...user, sessionId: 'long' });
  for (let i = 0; i < 50; i++) {
    await svc.appendEvent(
      session,
      createEvent({ author: 'user', message: { role: 'user', content: `m${i}` } }),
    );
  }
}

/** Nanoseconds per call, over `CALLS` sequential awaited calls. */
async function round(svc: SessionService, call: Call): Promise<number> {
  const start = clock();
  for (let i = 0; i < CALLS; i++) await call(svc);
  return ((clock() - start) * 1e6) / CALLS;
}

async function measure(
  svc: SessionService,
  op: ReturnType<typeof operations>[number],
): Promise<{ bare: number; instrumented: number; ratio: number }> {
  const wrapper = svc[op.method] as unknown as ((...a: unknown[]) => Promise<unknown>) & {
    [ORIGINAL]?: (...a: unknown[]) => Promise<unknown>;
  };
  const original = wrapper[ORIGINAL];
  if (!original)
    throw new Error(`${String(op.method)} is not instrumented (is @opentelemetry/api installed?)`);
  const bare: Call = (s) => original.apply(s, op.args());
  const instrumented: Call = (s) => wrapper.apply(s, op.args());
  const bareTimes: number[] = [];
  const instrumentedTimes: number[] = [];
  const ratios: number[] = [];
  // Warm-up, so both paths are optimized before anything is counted.
  for (let i = 0; i < 5; i++) {
    await round(svc, bare);
    await round(svc, instrumented);
  }
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 20 === 0) collectGarbage();
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      a = await round(svc, bare);
      b = await round(svc, instrumented);
    } else {
      b = await round(svc, instrumented);
      a = await round(svc, bare);
    }
    bareTimes.push(a);
    instrumentedTimes.push(b);
    ratios.push(b / a);
    // Appends lengthen the stored session; a fresh one every few rounds keeps memory flat.
    if (r % 10 === 9) {
      await svc.deleteSession({ ...user, sessionId: appendTarget.id });
      appendTarget = await svc.createSession(user);
    }
  }
  return {
    bare: Math.min(...bareTimes),
    instrumented: Math.min(...instrumentedTimes),
    ratio: median(ratios),
  };
}

async function run(label: string, svc: SessionService): Promise<number[]> {
  await setUp(svc);
  appendTarget = await svc.createSession(user);
  const ratios: number[] = [];
  console.log(`\n${label}`);
  console.log(
    'operation                  bare ns/call (fastest)   instrumented ns/call (fastest)   ratio (median of pairs)',
  );
  for (const op of operations()) {
    const { bare, instrumented, ratio } = await measure(svc, op);
    ratios.push(ratio);
    console.log(
      `${op.name.padEnd(26)} ${bare.toFixed(0).padStart(22)}   ${instrumented.toFixed(0).padStart(30)}   ${ratio.toFixed(3)}`,
    );
  }
  await svc.close();
  return ratios;
}

console.log(`node ${process.version}, ${ROUNDS} alternating rounds of ${CALLS} calls per variant`);
const noSdk = await run('no OpenTelemetry SDK registered (the default)', new InMemorySessionService());
console.log(`overhead ratio without an SDK: ${Math.max(...noSdk).toFixed(3)} (worst operation)`);

if (args.sdk) {
  const { trace, metrics } = await import('@opentelemetry/api');
  const { BasicTracerProvider, NoopSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
  class IdleReader extends MetricReader {
    protected async onShutdown(): Promise<void> {}
    protected async onForceFlush(): Promise<void> {}
  }
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new IdleReader()] }));
  await run(
    'with an SDK registered (spans and metrics recorded, not exported)',
    new InMemorySessionService(),
  );
}
