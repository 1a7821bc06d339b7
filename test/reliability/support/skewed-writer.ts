/**
 * One writer process of skewed-clocks.test.ts: a service on the test's schema whose clock runs
 * behind, ahead, many writes to a millisecond, or jumping back and forth, making `ops` seeded
 * random writes (single appends, batches, replaceEvents appending, state updates, track events)
 * to the test's sessions; then it flushes, closes and prints its counts and errors as one line.
 */
import { PostgresSessionService } from '../../../src/postgres/service.js';
import { ManualClock } from '../../../src/session/clock.js';
import { createEvent, type Event } from '../../../src/session/event.js';
import type { SessionKey } from '../../../src/session/keys.js';
import type { Session } from '../../../src/session/session.js';
import { textValue } from '../../../src/session/state.js';

export interface SkewedWriterConfig {
  dsn: string;
  schema: string;
  id: number;
  asyncPersist: boolean;
  clock: 'behind' | 'ahead' | 'same' | 'back';
  ops: number;
  sessions: SessionKey[];
  base: number;
}

const config = JSON.parse(process.argv[2]!) as SkewedWriterConfig;
let seed = config.id * 7919 + 17;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return Math.floor((seed / 0x7fffffff) * n);
};
const clock = new ManualClock(config.base);
const step = (tick: number) => {
  const { base } = config;
  if (config.clock === 'behind') clock.set(new Date(base - 60_000 + tick));
  else if (config.clock === 'ahead') clock.set(new Date(base + 60_000 + tick));
  else if (config.clock === 'same') clock.set(new Date(base + Math.floor(tick / 50)));
  else clock.set(new Date(base - 60_000 + random(120_000)));
};

const service = await PostgresSessionService.create({
  dsn: config.dsn,
  schema: config.schema,
  clock,
  asyncPersist: config.asyncPersist,
  skipDbInit: true,
  onError: () => undefined,
});
const held: Session[] = [];
for (const key of config.sessions) held.push((await service.getSession(key))!);
const event = (n: number): Event =>
  createEvent({
    author: 'agent',
    invocationId: `w${config.id}`,
    now: clock.now(),
    message: { role: 'assistant', content: `w${config.id}-${n}` },
    stateDelta: { [`k${random(4)}`]: textValue(`v${config.id}-${n}`) },
  });
const counts: Record<string, number> = {};
const errors: string[] = [];
for (let i = 0; i < config.ops; i++) {
  step(i);
  const s = random(config.sessions.length);
  const session = held[s]!;
  const key = config.sessions[s]!;
  const op = random(5);
  const batch = (size: number) => Array.from({ length: size }, (_, q) => event(i * 10 + q));
  try {
    if (op === 0) await service.appendEvent(session, event(i));
    else if (op === 1) await service.appendEvents(session, batch(1 + random(5)));
    else if (op === 2)
      await service.replaceEvents(key, { expectedEventIds: [], events: batch(1 + random(4)) });
    else if (op === 3) await service.updateSessionState(key, { [`st${random(3)}`]: textValue(`x${i}`) });
    else
      await service.appendTrackEvent(session, { track: `t${random(2)}`, payload: i, timestamp: clock.now() });
    counts[op] = (counts[op] ?? 0) + 1;
  } catch (error) {
    errors.push(`${op}: ${(error as Error).message}`);
  }
}
try {
  await service.flush();
} catch (error) {
  errors.push(`flush: ${(error as Error).message}`);
}
await service.close();
console.log(JSON.stringify({ id: config.id, counts, errors }));
