/**
 * W5: does the cost of an append, and of getSession with limit 20, grow with the session? Both
 * are measured at 100, 1,000 and 10,000 stored events, all lengths interleaved (and ours with
 * the floor), so that noise hits every point of the curve alike.
 */
import { encodeEvent } from '../../src/session/codec/index.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { Session } from '../../src/session/session.js';
import { analyze, freshKey, makeEvents, seedEvents, seededSession } from '../data.js';
import { floorAppend, floorRead } from '../floor.js';
import { type Figure, median, type Target } from '../measure.js';
import { type Run, sharedValue } from '../run.js';
import { SMALL_LIMIT } from '../sizes.js';
import { targetFor } from '../targets.js';
import { interleave, latencyFigure, type Pair } from './read.js';

/** Sessions of each length: read by both sides, appended to by ours, appended to by the floor. */
export interface GrowthSessions {
  read: Map<number, SessionKey>;
  ours: Map<number, Session>;
  floor: Map<number, SessionKey>;
}

/** The long sessions W5 and W6 use, seeded once per backend. */
export function growthSessions(run: Run): Promise<GrowthSessions> {
  return sharedValue(run, 'growth', async () => {
    const { backend } = run;
    const service = await backend.service('sync');
    const g: GrowthSessions = { read: new Map(), ours: new Map(), floor: new Map() };
    for (const length of run.sizes.w5.lengths) {
      g.read.set(length, await seededSession(run.backend, length, `w5-read-${length}`));
      const session = await service.createSession(freshKey(`w5-ours-${length}`));
      await seedEvents(backend.floor, backend.tables, keyOf(session), length);
      g.ours.set(length, session);
      const floorKey = freshKey(`w5-floor-${length}`);
      await seedEvents(backend.floor, backend.tables, floorKey, length);
      g.floor.set(length, floorKey);
    }
    await analyze(backend.floor, backend.tables);
    return g;
  });
}

const keyOf = (s: Session): SessionKey => ({ appName: s.appName, userId: s.userId, sessionId: s.id });

const FLAT: Target = { op: '<=', value: 1.2 };
const fmt = (n: number) => n.toLocaleString('en-US');

/** Rows per length, plus ours at the longest length against ours at the shortest. */
function curve(
  run: Run,
  what: string,
  lengths: number[],
  times: { ours: number[]; floor: number[] }[],
  longestTarget: Target | undefined,
): Figure[] {
  const backend = run.backend.name;
  const rows = lengths.map((length, k) =>
    latencyFigure(
      {
        workload: 'W5',
        backend,
        name: `${what} at ${fmt(length)} events: p50`,
        ...(k === lengths.length - 1 && longestTarget ? { target: longestTarget } : {}),
      },
      times[k]!,
    ),
  );
  const shortest = median(times[0]!.ours);
  const longest = median(times[lengths.length - 1]!.ours);
  rows.push({
    workload: 'W5',
    backend,
    name: `${what}: p50 at ${fmt(lengths[lengths.length - 1]!)} vs ${fmt(lengths[0]!)} events (flat)`,
    unit: 'ms',
    ours: longest,
    floor: shortest,
    reference: `ours at ${fmt(lengths[0]!)} events`,
    ratio: longest / shortest,
    target: FLAT,
    samples: times[0]!.ours.length,
  });
  return rows;
}

/** W5: append p50 and getSession(limit 20) p50 at 100, 1,000 and 10,000 events. */
export async function w5(run: Run): Promise<Figure[]> {
  const { backend, sizes } = run;
  const { lengths, readSamples, appendSamples } = sizes.w5;
  const service = await backend.service('sync');
  const g = await growthSessions(run);

  const reads = lengths.map(
    (length): Pair => ({
      ours: async () => {
        const session = await service.getSession(g.read.get(length)!, { eventNum: SMALL_LIMIT });
        if (!session || session.events.length === 0) throw new Error('W5: the session read back empty');
      },
      floor: () => floorRead(backend.floor, backend.tables, g.read.get(length)!, SMALL_LIMIT),
    }),
  );
  const readTimes = await interleave(reads, readSamples, sizes.warmup);

  // Built before timing: ours is handed Event objects, the floor their JSON.
  const count = (appendSamples + sizes.warmup) * lengths.length;
  const oursEvents = makeEvents(count);
  const floorBodies = makeEvents(count).map((e) => encodeEvent(e));
  let nextOurs = 0;
  let nextFloor = 0;
  const appends = lengths.map(
    (length): Pair => ({
      ours: () => service.appendEvent(g.ours.get(length)!, oursEvents[nextOurs++]!),
      floor: () =>
        floorAppend(backend.floor, backend.tables, g.floor.get(length)!, floorBodies[nextFloor++]!),
    }),
  );
  const appendTimes = await interleave(appends, appendSamples, sizes.warmup);

  return [
    ...curve(run, `getSession limit ${SMALL_LIMIT}`, lengths, readTimes, targetFor(backend.name, 'read')),
    ...curve(run, 'append', lengths, appendTimes, undefined),
  ];
}
