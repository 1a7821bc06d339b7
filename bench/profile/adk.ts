/**
 * The ADK workload's loop, to profile with `node --cpu-prof`: load a 1,000-message chat through
 * AdkSessionService.getSession and save one turn, interleaved with the core service doing the same
 * with its own events, so the printed ratio comes from one run. PGlite, or server PostgreSQL when
 * DATABASE_URL is set; argv[2] is the number of rounds. argv[3] `ours` or `core` runs that side
 * alone, so a profile holds only its work.
 */
import { openPglite, openServer } from '../backends.js';
import { median, timed } from '../measure.js';
import { FULL } from '../sizes.js';
import { adkTurns } from '../workloads/adapter-adk.js';

const rounds = Number(process.argv[2] ?? 200);
const only = process.argv[3];
const dsn = process.env.DATABASE_URL;
const backend = dsn ? await openServer(dsn) : await openPglite();
try {
  const run = { backend, sizes: FULL, log: (m: string) => console.error(m), shared: new Map() };
  const { ours, floor } = await adkTurns(run);
  const t = { ours: [] as number[], floor: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, as the workload does, so neither always runs on a warmer cache.
    const sides =
      only === 'ours' ? [ours] : only === 'core' ? [floor] : i % 2 ? [floor, ours] : [ours, floor];
    for (const side of sides) (side === ours ? t.ours : t.floor).push(await timed(side));
  }
  const [o, f] = [median(t.ours), median(t.floor)];
  console.log(
    `${backend.name} ${rounds} rounds p50: ADK ${o.toFixed(2)} ms, core ${f.toFixed(2)} ms, ${(o / f).toFixed(3)}x`,
  );
} finally {
  await backend.close();
}
