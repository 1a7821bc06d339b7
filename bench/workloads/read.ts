/**
 * W3 (getSession of a long session) and W4 (listSessions of a user with many sessions), against
 * one SELECT each. Every sample runs ours and then the floor back to back (A B A B ...), after a
 * few untimed warmup calls of each, and the reported figure is the median.
 */
import type { UserKey } from '../../src/session/keys.js';
import { textValue } from '../../src/session/state.js';
import { APP, analyze, freshKey, seededSession, seedUser } from '../data.js';
import { floorList, floorListWithEvents, floorRead } from '../floor.js';
import { type Figure, median, timed } from '../measure.js';
import type { Run } from '../run.js';
import { targetFor } from '../targets.js';

/** A pair of operations measured alternately. */
export interface Pair {
  ours: () => Promise<unknown>;
  floor: () => Promise<unknown>;
}

/**
 * Latencies (ms) of each pair, the pairs interleaved so noise hits them all alike. Each round
 * starts at the next pair and swaps which side goes first: a call that leaves the machine busy
 * or its caches cold (the floor's 1,000-event read sorts a megabyte on the server) would
 * otherwise always slow down the same call after it.
 */
export async function interleave(
  pairs: readonly Pair[],
  samples: number,
  warmup: number,
): Promise<{ ours: number[]; floor: number[] }[]> {
  const times = pairs.map(() => ({ ours: [] as number[], floor: [] as number[] }));
  for (let i = -warmup; i < samples; i++) {
    const round = i + warmup;
    for (let j = 0; j < pairs.length; j++) {
      const k = (round + j) % pairs.length;
      const pair = pairs[k]!;
      const oursFirst = round % 2 === 0;
      const first = await timed(oursFirst ? pair.ours : pair.floor);
      const second = await timed(oursFirst ? pair.floor : pair.ours);
      if (i < 0) continue;
      times[k]!.ours.push(oursFirst ? first : second);
      times[k]!.floor.push(oursFirst ? second : first);
    }
  }
  return times;
}

export function latencyFigure(
  base: Pick<Figure, 'workload' | 'backend' | 'name' | 'target'>,
  t: { ours: number[]; floor: number[] },
): Figure {
  const ours = median(t.ours);
  const floor = median(t.floor);
  return { ...base, unit: 'ms', ours, floor, ratio: ours / floor, samples: t.ours.length };
}

/** W3: getSession of a 5,000-event session with limit 1,000 and limit 20. */
export async function w3(run: Run): Promise<Figure[]> {
  const { backend, sizes } = run;
  const { events, limits, samples } = sizes.w3;
  const service = await backend.service('sync');
  const key = await seededSession(run.backend, events, 'w3');
  const ours = (limit: number) => async () => {
    const session = await service.getSession(key, { eventNum: limit });
    if (!session || session.events.length === 0) throw new Error('W3: the session read back empty');
  };
  // Besides the floor, the floor that also parses each event's JSON (JSON.parse, nothing more):
  // what any store that hands back objects rather than text must at least spend.
  const parsingFloor = (limit: number) => async () => {
    const rows = (await floorRead(backend.floor, backend.tables, key, limit)) as { event: string }[];
    for (const row of rows) JSON.parse(row.event);
  };
  // One limit after the other: the garbage of a 1,000-event read would land on the next call.
  const figures: Figure[] = [];
  for (const limit of limits) {
    const [plain, parsing] = await interleave(
      [
        { ours: ours(limit), floor: () => floorRead(backend.floor, backend.tables, key, limit) },
        { ours: ours(limit), floor: parsingFloor(limit) },
      ],
      samples,
      sizes.warmup,
    );
    const name = `getSession of ${events.toLocaleString('en-US')} events, limit ${limit.toLocaleString('en-US')}`;
    figures.push(
      latencyFigure(
        {
          workload: 'W3',
          backend: backend.name,
          name: `${name}: p50`,
          target: targetFor(backend.name, 'read'),
        },
        plain!,
      ),
      {
        ...latencyFigure(
          { workload: 'W3', backend: backend.name, name: `${name}: p50 against floor + JSON.parse` },
          parsing!,
        ),
        reference: 'floor + JSON.parse',
      },
    );
  }
  return figures;
}

/** W4: listSessions of a user with 1,000 sessions, metadata only and with 10 events each. */
export async function w4(run: Run): Promise<Figure[]> {
  const { backend, sizes } = run;
  const { sessions, eventsEach, listEvents, samples, metaSamples } = sizes.w4;
  const service = await backend.service('sync');
  const user: UserKey = { appName: APP, userId: freshKey('w4').userId };
  await seedUser(backend.floor, backend.tables, user, sessions, eventsEach);
  await analyze(backend.floor, backend.tables);
  // A little app and user state, which listSessions merges into every session.
  await service.updateAppState(APP, { 'app:plan': textValue('pro'), 'app:region': textValue('eu') });
  await service.updateUserState(user, { 'user:name': textValue('Ada'), 'user:tier': textValue('gold') });

  const expect = (n: number) => (list: unknown[]) => {
    if (list.length !== n) throw new Error(`W4: expected ${n} sessions, got ${list.length}`);
  };
  const onlyMeta = async () => expect(sessions)(await service.listSessions(user, { onlyMeta: true }));
  // As in W3, also the floor that parses each state envelope's JSON, and nothing more.
  const parsingFloor = async () => {
    const rows = (await floorList(backend.floor, backend.tables, user)) as { state: string }[];
    for (const row of rows) JSON.parse(row.state);
  };
  const variants: [Pair[], number][] = [
    [
      [
        { ours: onlyMeta, floor: () => floorList(backend.floor, backend.tables, user) },
        { ours: onlyMeta, floor: parsingFloor },
      ],
      metaSamples,
    ],
    [
      [
        {
          ours: async () => expect(sessions)(await service.listSessions(user, { eventNum: listEvents })),
          floor: () => floorListWithEvents(backend.floor, backend.tables, user, listEvents),
        },
      ],
      samples,
    ],
  ];
  // One variant after the other: the garbage of listing 10,000 events would land on the next call.
  const times: { ours: number[]; floor: number[] }[] = [];
  for (const [pairs, n] of variants) times.push(...(await interleave(pairs, n, Math.min(3, sizes.warmup))));
  const n = sessions.toLocaleString('en-US');
  return [
    latencyFigure(
      {
        workload: 'W4',
        backend: backend.name,
        name: `listSessions of ${n} sessions, onlyMeta: p50`,
        target: targetFor(backend.name, 'listMeta'),
      },
      times[0]!,
    ),
    {
      ...latencyFigure(
        {
          workload: 'W4',
          backend: backend.name,
          name: `listSessions of ${n} sessions, onlyMeta: p50 against floor + JSON.parse`,
        },
        times[1]!,
      ),
      reference: 'floor + JSON.parse',
    },
    latencyFigure(
      {
        workload: 'W4',
        backend: backend.name,
        name: `listSessions of ${n} sessions, last ${listEvents} events each: p50`,
      },
      times[2]!,
    ),
  ];
}
