/**
 * Where an ADK appendEvent's time goes beyond the core service's: one append each way, round
 * robin, on sessions of 1,000 events, each timed alone —
 *
 * - `adk`: AdkSessionService.appendEvent of an ADK event (the adapter's whole write path);
 * - `core, ADK event`: the core service storing the event the adapter would store (toStoredEvent)
 *   on a session without events, as the adapter hands it over;
 * - `core`: the core service appending its own event of the same text to its loaded session.
 *
 * `adk` against `core, ADK event` is the adapter's own work; `core, ADK event` against `core` is
 * what the stored form (the ADK extension) costs the store. PGlite, or server PostgreSQL when
 * DATABASE_URL is set; argv[2] is the number of rounds (default 1,500), argv[3] one variant's
 * name to run alone (for a CPU profile).
 */
import { toStoredEvent } from '../../src/adapters/adk/event-codec.js';
import { AdkSessionService } from '../../src/adapters/adk/index.js';
import type { Session } from '../../src/index.js';
import { openPglite, openServer } from '../backends.js';
import { freshKey } from '../data.js';
import { median } from '../measure.js';
import { adkMessage } from '../workloads/adapter-adk.js';
import { chatCoreEvent } from '../workloads/adapter-turn.js';

const MESSAGES = 1000;
const rounds = Number(process.argv[2] ?? 1500);
const only = process.argv[3];

/** The session as the adapter hands it to the store: its key, no events, no state. */
function withoutEvents(session: Session): Session {
  return { ...session, events: [], state: Object.create(null) };
}

const dsn = process.env.DATABASE_URL;
const backend = dsn ? await openServer(dsn) : await openPglite();
try {
  const core = await backend.service('sync');
  const adk = new AdkSessionService(core);
  const adkKey = freshKey('adk-append');
  const [storedKey, coreKey] = [freshKey('adk-append-stored'), freshKey('adk-append-core')];
  await adk.createSession({ ...adkKey });
  const adkSession = (await adk.getSession({ ...adkKey }))!;
  for (let i = 0; i < MESSAGES; i++) await adk.appendEvent({ session: adkSession, event: adkMessage(i) });
  for (const key of [storedKey, coreKey]) {
    const session = await core.createSession(key);
    for (let i = 0; i < MESSAGES; i++) await core.appendEvent(session, chatCoreEvent(i));
  }
  const loaded = (await adk.getSession({ ...adkKey }))!;
  const stored = withoutEvents((await core.getSession(storedKey))!);
  const coreSession = (await core.getSession(coreKey))!;

  let n = MESSAGES;
  const variants: [string, () => Promise<unknown>][] = [
    ['adk', () => adk.appendEvent({ session: loaded, event: adkMessage(n) })],
    ['core, ADK event', () => core.appendEvent({ ...stored }, toStoredEvent(adkMessage(n), {}))],
    ['core', () => core.appendEvent(coreSession, chatCoreEvent(n))],
  ];
  const run = only ? variants.filter(([name]) => name === only) : variants;
  const times = new Map(run.map(([name]) => [name, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    n++;
    // Round robin from a different start each round, so no variant always follows the same one.
    for (let v = 0; v < run.length; v++) {
      const [name, append] = run[(v + r) % run.length]!;
      const start = performance.now();
      await append();
      times.get(name)!.push(performance.now() - start);
    }
  }
  // The first rounds warm the code and the connection.
  for (const [name, t] of times)
    console.log(`${backend.name} ${name.padEnd(16)} p50 ${median(t.slice(100)).toFixed(3)} ms`);
} finally {
  await backend.close();
}
