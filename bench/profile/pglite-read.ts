/** getSession limit 20 on PGlite in a loop, to profile with --cpu-prof. */
import { PGlite } from '@electric-sql/pglite';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { freshKey, seedEvents } from '../data.js';

const db = await PGlite.create('memory://');
const service = await PostgresSessionService.create({ client: await pgliteClient(db) });
const key = freshKey('plan');
await service.createSession(key);
await seedEvents({ query: (s, p) => db.query(s, p as unknown[]) }, tableNames('', ''), key, 2000);
await db.query(`ANALYZE`);
const n = Number(process.argv[2] ?? 1000);
const start = performance.now();
for (let i = 0; i < n; i++) await service.getSession(key, { eventNum: 20 });
console.log(`${((performance.now() - start) / n).toFixed(3)} ms per read`);
await service.close();
await db.close();
