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
import { floorAppend } from '../floor.js';
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
}

interface RoundResult {
  ours: RunResult;
  floor: RunResult;
}

/** Ours, then the floor: one round of A B A B ... */
const inTurn =
  (ours: (scale: number) => Promise<RunResult>, floor: (scale: number) => Promise<RunResult>) =>
  async (scale: number) => ({
    ours: await ours(scale),
    floor: await floor(scale),
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
  const r: Rounds = { ours: [], floor: [], ratios: [], oursLatencies: [], floorLatencies: [] };
  for (let i = 0; i < rounds; i++) {
    const { ours: a, floor: b } = await round(1);
    const oursRate = (events * 1000) / a.ms;
    const floorRate = (events * 1000) / b.ms;
    r.ours.push(oursRate);
    r.floor.push(floorRate);
    r.ratios.push(oursRate / floorRate);
    r.oursLatencies.push(...a.latencies);
    r.floorLatencies.push(...b.latencies);
  }
  return r;
}

const label = (mode: PersistMode) => (mode === 'sync' ? 'sync' : 'async');

/**
 * One synchronous W1 round, ours and the floor taking turns append by append, so that both see
 * the same moment of a noisy machine (a round of one and then a round of the other can land on
 * different WAL flush speeds). Each side's appends still run one after another.
 */
async function syncRound(run: Run, events: number): Promise<RoundResult> {
  const { backend } = run;
  const service = await backend.service('sync');
  const session = await service.createSession(freshKey('w1'));
  const batch = makeEvents(events);
  const key = freshKey('w1-floor');
  const bodies = makeEvents(events).map((e) => encodeEvent(e));
  const ours: number[] = new Array(events);
  const floor: number[] = new Array(events);
  for (let i = 0; i < events; i++) {
    let t = clock();
    await service.appendEvent(session, batch[i]!);
    ours[i] = clock() - t;
    t = clock();
    await floorAppend(backend.floor, backend.tables, key, bodies[i]!);
    floor[i] = clock() - t;
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { ours: { ms: sum(ours), latencies: ours }, floor: { ms: sum(floor), latencies: floor } };
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
    ),
  );
  return [
    {
      workload: 'W2',
      backend: backend.name,
      name: `${sessions} sessions x ${events} appends at concurrency ${concurrency}, ${label(mode)}: throughput`,
      unit: 'events/s',
      ours: median(r.ours),
      floor: median(r.floor),
      ratio: median(r.ratios),
      target: targetFor(backend.name, mode === 'sync' ? 'syncAppend' : 'asyncAppend'),
      samples: r.ours.length,
      details: { oursRounds: r.ours, floorRounds: r.floor, ratios: r.ratios },
    },
  ];
}
