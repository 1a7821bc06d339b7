/** Where PGlite's read time goes: the read statement unnamed (parsed and planned per call) or prepared. */
import { PGlite } from '@electric-sql/pglite';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { selectSession } from '../../src/postgres/queries/index.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { freshKey, seedEvents } from '../data.js';

const db = await PGlite.create('memory://');
const service = await PostgresSessionService.create({ client: await pgliteClient(db) });
const t = tableNames('', '');
const key = freshKey('plan');
await service.createSession(key);
await seedEvents({ query: (s, p) => db.query(s, p as unknown[]) }, t, key, 2000);
await db.query(`ANALYZE`);
const q = selectSession(t, {
  key,
  now: toSqlTimestamp(new Date()),
  events: { kind: 'window', limit: 20 },
  tracks: { after: undefined, limit: null },
});
async function time(label: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 30; i++) await fn();
  const n = 300;
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  console.log(`${label}: ${((performance.now() - start) / n).toFixed(3)} ms`);
}
const lit = (v: unknown) =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
await db.query(`PREPARE rd AS ${q.text}`);
const exec = `EXECUTE rd(${q.params.map(lit).join(', ')})`;
await time('service.getSession limit 20', () => service.getSession(key, { eventNum: 20 }));
await time('raw unnamed read statement', () => db.query(q.text, q.params as unknown[]));
await time('PREPAREd read statement, EXECUTE', () => db.query(exec));
await time('PREPAREd read statement, EXECUTE (simple protocol)', () => db.exec(exec));
await time('floor: SELECT event::text ... LIMIT 20', () =>
  db.query(
    `SELECT event::text FROM session_events WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 20`,
    [key.appName, key.userId, key.sessionId],
  ),
);
await service.close();
await db.close();
