/**
 * The LANGCHAIN workload's turn (getMessages of a 1,000-message chat, addMessages of one turn)
 * interleaved with the core service's, for a CPU profile or a quick ratio: PGlite, or server
 * PostgreSQL when DATABASE_URL is set. argv[2]: rounds (default 200).
 */
import { openPglite, openServer } from '../backends.js';
import { median } from '../measure.js';
import { FULL } from '../sizes.js';
import { langchainTurns } from '../workloads/adapter-langchain.js';
import { interleave } from '../workloads/read.js';

const rounds = Number(process.argv[2] ?? 200);
const dsn = process.env.DATABASE_URL;
const backend = dsn ? await openServer(dsn) : await openPglite();
try {
  const run = { backend, sizes: FULL, log: (m: string) => console.error(m), shared: new Map() };
  const [t] = await interleave([await langchainTurns(run)], rounds, 10);
  const [o, f] = [median(t!.ours), median(t!.floor)];
  console.log(
    `${backend.name} p50: ours ${o.toFixed(2)} ms, core ${f.toFixed(2)} ms (${(o / f).toFixed(2)}x)`,
  );
} finally {
  await backend.close();
}
