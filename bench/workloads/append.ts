/**
 * W1 (sequential appends to one session) and W2 (appends to many sessions at once), each with
 * synchronous and asynchronous persistence, against one INSERT per event.
 *
 * Rounds alternate ours and the floor (A B A B ...), after a warmup round a tenth the size; a
 * round's ratio compares the two runs next to each other in time, and the reported ratio is the
 * median of those. Synchronous W1 alternates append by append within each round. An async run
 * counts until flush() resolves, so its events are durable like the floor's.
 */
import { encodeEvent } from '../../src/session/codec/index.js';
import type { Event } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { Session } from '../../src/session/session.js';
import type { PersistMode } from '../backends.js';
import { freshKey, makeEvents } from '../data.js';
import { floorAppend, floorAppendWithSessionUpdate, floorCreateSession } from '../floor.js';
import { clock, type Figure, median, percentile } from '../measure.js';
import type { Run } from '../run.js';
import { targetFor } from '../targets.js';

interface RunResult {
  ms: number;
  latencies: number[];
}

/** Runs `count` appends one after another, timing each. */
async function sequential(count: number, append: (i: number) => Promise<unknown>): Promise<RunResult> {
  const latencies: number[] = new Array(count);
  const start = clock();
  for (let i = 0; i < count; i++) {
    const t = clock();
    await append(i);
    latencies[i] = clock() - t;
  }
  return { ms: clock() - start, latencies };
}

/**
 * `sessions` chains of `events` appends, at most `concurrency` chains at a time; a session's
 * appends go one after another, as one agent's turns do.
 */
async function concurrent(
  sessions: number,
  events: number,
  concurrency: number,
  append: (session: number, i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < sessions) {
      const s = next++;
      for (let i = 0; i < events; i++) await append(s, i);
    }
  };
  const start = clock();
  await Promise.all(Array.from({ length: Math.min(concurrency, sessions) }, worker));
  return clock() - start;
}

interface Rounds {
  ours: number[];
  floor: number[];
  ratios: number[];
  oursLatencies: number[];
  floorLatencies: number[];
  /** The floor that also updates the session row (sync only): rates, ours/it per round, latencies. */
  withUpdate: number[];
  withUpdateRatios: number[];
  withUpdateLatencies: number[];
}

interface RoundResult {
  ours: RunResult;
  floor: RunResult;
  withUpdate?: RunResult | undefined;
}

type Runner = (scale: number) => Promise<RunResult>;

/** Ours, then the floor (then the floor with the session-row update, when given): one round. */
const inTurn =
  (ours: Runner, floor: Runner, withUpdate?: Runner) =>
  async (scale: number): Promise<RoundResult> => ({
    ours: await ours(scale),
    floor: await floor(scale),
    withUpdate: withUpdate && (await withUpdate(scale)),
  });

const scaled = (n: number, scale: number) => Math.max(1, Math.round(n * scale));

/**
 * A warmup round (smaller: it only has to compile the code paths and fill the caches), then
 * `rounds` measured ones. Rates in events/s.
 */
async function alternate(
  rounds: number,
  events: number,
  round: (scale: number) => Promise<RoundResult>,
): Promise<Rounds> {
  await round(0.1);
  const r: Rounds = {
    ours: [],
    floor: [],
    ratios: [],
    oursLatencies: [],
    floorLatencies: [],
    withUpdate: [],
    withUpdateRatios: [],
    withUpdateLatencies: [],
  };
  for (let i = 0; i < rounds; i++) {
    const { ours: a, floor: b, withUpdate: c } = await round(1);
    const oursRate = (events * 1000) / a.ms;
    const floorRate = (events * 1000) / b.ms;
    r.ours.push(oursRate);
    r.floor.push(floorRate);
    r.ratios.push(oursRate / floorRate);
    r.oursLatencies.push(...a.latencies);
    r.floorLatencies.push(...b.latencies);
    if (c) {
      const rate = (events * 1000) / c.ms;
      r.withUpdate.push(rate);
      r.withUpdateRatios.push(oursRate / rate);
      r.withUpdateLatencies.push(...c.latencies);
    }
  }
  return r;
}

const label = (mode: PersistMode) => (mode === 'sync' ? 'sync' : 'async');

const UPDATE_REFERENCE = 'the floor + the session-row update';

/**
 * Ours against the floor that also updates the session row (see floorAppendWithSessionUpdate):
 * throughput, and p50 latency when the rounds timed each append. Empty without such rounds.
 */
function againstSessionUpdate(base: Pick<Figure, 'workload' | 'backend'>, name: string, r: Rounds): Figure[] {
  if (r.withUpdate.length === 0) return [];
  const figures: Figure[] = [
    {
      ...base,
      name: `${name}: throughput against ${UPDATE_REFERENCE}`,
      unit: 'events/s',
      ours: median(r.ours),
      floor: median(r.withUpdate),
      reference: UPDATE_REFERENCE,
      ratio: median(r.withUpdateRatios),
      samples: r.ours.length,
      details: { withUpdateRounds: r.withUpdate, ratios: r.withUpdateRatios },
    },
  ];
  if (r.withUpdateLatencies.length > 0) {
    const ours = percentile(r.oursLatencies, 50);
    const floor = percentile(r.withUpdateLatencies, 50);
    figures.push({
      ...base,
      name: `${name}: p50 latency against ${UPDATE_REFERENCE}`,
      unit: 'ms',
      ours,
      floor,
      reference: UPDATE_REFERENCE,
      ratio: ours / floor,
      samples: r.oursLatencies.length,
    });
  }
  return figures;
}

/**
 * One synchronous W1 round, ours, the floor and the floor with the session-row update taking
 * turns append by append, so that all see the same moment of a noisy machine (a round of one and
 * then a round of another can land on different WAL flush speeds). Each side's appends still run
 * one after another.
 */
async function syncRound(run: Run, events: number): Promise<RoundResult> {
  const { backend } = run;
  const service = await backend.service('sync');
  const session = await service.createSession(freshKey('w1'));
  const batch = makeEvents(events);
  const key = freshKey('w1-floor');
  const bodies = makeEvents(events).map((e) => encodeEvent(e));
  const updated = freshKey('w1-floor-update');
  await floorCreateSession(backend.floor, backend.tables, updated);
  const ours: number[] = new Array(events);
  const floor: number[] = new Array(events);
  const withUpdate: number[] = new Array(events);
  for (let i = 0; i < events; i++) {
    let t = clock();
    await service.appendEvent(session, batch[i]!);
    ours[i] = clock() - t;
    t = clock();
    await floorAppend(backend.floor, backend.tables, key, bodies[i]!);
    floor[i] = clock() - t;
    t = clock();
    await floorAppendWithSessionUpdate(backend.floor, backend.tables, updated, bodies[i]!);
    withUpdate[i] = clock() - t;
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    ours: { ms: sum(ours), latencies: ours },
    floor: { ms: sum(floor), latencies: floor },
    withUpdate: { ms: sum(withUpdate), latencies: withUpdate },
  };
}

/** W1: 2,000 sequential appends of ~1 KB events to one session. */
export async function w1(run: Run, mode: PersistMode): Promise<Figure[]> {
  const { backend } = run;
  const { events, rounds } = run.sizes.w1;
  const service = await backend.service(mode);
  const r =
    mode === 'sync'
      ? await alternate(rounds, events, (scale) => syncRound(run, scaled(events, scale)))
      : await alternate(
          rounds,
          events,
          inTurn(
            async (scale) => {
              const n = scaled(events, scale);
              const session = await service.createSession(freshKey('w1'));
              const batch = makeEvents(n);
              const result = await sequential(n, (i) => service.appendEvent(session, batch[i]!));
              // Durable like the floor's: the run ends when everything is written.
              const flushStart = clock();
              await service.flush();
              return { ms: result.ms + (clock() - flushStart), latencies: result.latencies };
            },
            async (scale) => {
              const n = scaled(events, scale);
              const key = freshKey('w1-floor');
              const bodies = makeEvents(n).map((e) => encodeEvent(e));
              return sequential(n, (i) => floorAppend(backend.floor, backend.tables, key, bodies[i]!));
            },
          ),
        );
  const base = { workload: 'W1', backend: backend.name } as const;
  const name = `${events.toLocaleString('en-US')} sequential appends, ${label(mode)}`;
  const latency = (p: number, what: string): Figure => {
    const ours = percentile(r.oursLatencies, p);
    const floor = percentile(r.floorLatencies, p);
    return {
      ...base,
      name: `${name}: ${what}`,
      unit: 'ms',
      ours,
      floor,
      ratio: ours / floor,
      samples: r.oursLatencies.length,
    };
  };
  return [
    {
      ...base,
      name: `${name}: throughput`,
      unit: 'events/s',
      ours: median(r.ours),
      floor: median(r.floor),
      ratio: median(r.ratios),
      target: targetFor(backend.name, mode === 'sync' ? 'syncAppend' : 'asyncAppend'),
      samples: r.ours.length,
      details: { oursRounds: r.ours, floorRounds: r.floor, ratios: r.ratios },
    },
    latency(50, mode === 'sync' ? 'p50 latency' : 'p50 latency (call returns)'),
    latency(99, mode === 'sync' ? 'p99 latency' : 'p99 latency (call returns)'),
    ...againstSessionUpdate(base, name, r),
  ];
}

/** W2: 50 sessions x 100 appends, 16 sessions at a time. */
export async function w2(run: Run, mode: PersistMode): Promise<Figure[]> {
  const { backend } = run;
  const { sessions, events, concurrency, rounds } = run.sizes.w2;
  const total = sessions * events;
  const service = await backend.service(mode);
  const r = await alternate(
    rounds,
    total,
    inTurn(
      async (scale) => {
        const n = scaled(events, scale);
        const opened: Session[] = await Promise.all(
          Array.from({ length: sessions }, () => service.createSession(freshKey('w2'))),
        );
        const batches: Event[][] = opened.map(() => makeEvents(n));
        const ms = await concurrent(sessions, n, concurrency, (s, i) =>
          service.appendEvent(opened[s]!, batches[s]![i]!),
        );
        const flushStart = clock();
        await service.flush();
        return { ms: ms + (clock() - flushStart), latencies: [] };
      },
      async (scale) => {
        const n = scaled(events, scale);
        const keys: SessionKey[] = Array.from({ length: sessions }, () => freshKey('w2-floor'));
        const bodies = keys.map(() => makeEvents(n).map((e) => encodeEvent(e)));
        const ms = await concurrent(sessions, n, concurrency, (s, i) =>
          floorAppend(backend.floor, backend.tables, keys[s]!, bodies[s]![i]!),
        );
        return { ms, latencies: [] };
      },
      mode === 'sync'
        ? async (scale) => {
            const n = scaled(events, scale);
            const keys: SessionKey[] = Array.from({ length: sessions }, () => freshKey('w2-floor-update'));
            for (const key of keys) await floorCreateSession(backend.floor, backend.tables, key);
            const bodies = keys.map(() => makeEvents(n).map((e) => encodeEvent(e)));
            const ms = await concurrent(sessions, n, concurrency, (s, i) =>
              floorAppendWithSessionUpdate(backend.floor, backend.tables, keys[s]!, bodies[s]![i]!),
            );
            return { ms, latencies: [] };
          }
        : undefined,
    ),
  );
  const name = `${sessions} sessions x ${events} appends at concurrency ${concurrency}, ${label(mode)}`;
  return [
    {
      workload: 'W2',
      backend: backend.name,
      name: `${name}: throughput`,
      unit: 'events/s',
      ours: median(r.ours),
      floor: median(r.floor),
      ratio: median(r.ratios),
      target: targetFor(backend.name, mode === 'sync' ? 'syncAppend' : 'asyncAppend'),
      samples: r.ours.length,
      details: { oursRounds: r.ours, floorRounds: r.floor, ratios: r.ratios },
    },
    ...againstSessionUpdate({ workload: 'W2', backend: backend.name }, name, r),
  ];
}
