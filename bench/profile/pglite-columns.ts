/**
 * What each column of a read's rows costs on PGlite: the newest 1,000 events of a 5,000-event
 * session selected as one column (the floor's shape); as the four non-null columns an event row
 * once had (kind, JSON, created_at, id) among the eight of the read's typed UNION; packed into one
 * text among those eight; and packed as the only column (what the read now returns, see
 * PackedRow), all as named prepared statements through our PGlite client. PGlite's protocol
 * reader copies each field into a buffer of its own before decoding it, a NULL one too, so the
 * cost follows the number of fields more than the bytes.
 */
import { PGlite } from '@electric-sql/pglite';
import { tableNames } from '../../src/postgres/schema/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { freshKey, seedEvents } from '../data.js';
import { median, timed } from '../measure.js';

const db = await PGlite.create('memory://');
const client = await pgliteClient(db);
const service = await PostgresSessionService.create({ client });
const key = freshKey('columns');
await service.createSession(key);
const events = tableNames('', '').sessionEvents.qualified;
await seedEvents({ query: (s, p) => db.query(s, p as unknown[]) }, tableNames('', ''), key, 5000);
await db.query('ANALYZE');
const newest = `SELECT id, event, created_at FROM ${events}
  WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL
  ORDER BY created_at DESC FETCH FIRST ($4) ROWS WITH TIES`;
const shapes: [string, string][] = [
  ['one column (the floor)', 'event::text'],
  [
    'four of eight columns',
    `'e', NULL::text, NULL::text, event::text, created_at::text, NULL::text, id::text, NULL::int`,
  ],
  ['packed, the only column', `id::text || E'\\t' || created_at::text || E'\\t' || event::text`],
  [
    'packed, one of eight',
    `NULL::text, NULL::text, NULL::text, id::text || E'\\t' || created_at::text || E'\\t' || event::text, NULL::text, NULL::text, NULL::text, NULL::int`,
  ],
];
const params = [key.appName, key.userId, key.sessionId, 1000];
const times = shapes.map(() => [] as number[]);
for (let round = 0; round < 150; round++) {
  for (const [i, [, columns]] of shapes.entries()) {
    const t = await timed(() => client.query(`SELECT ${columns} FROM (${newest}) n`, params));
    if (round >= 20) times[i]!.push(t);
  }
}
for (const [i, [name]] of shapes.entries())
  console.log(`${name.padEnd(24)} p50 ${median(times[i]!).toFixed(2)} ms`);
await service.close();
await client.close();
