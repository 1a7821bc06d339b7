/**
 * Which database a connection reaches, as a name that is the same for every service of this
 * process that reaches it the same way: the scope of the summary lock (with the schema and the
 * table prefix), so services on one database take turns and services on different ones never
 * wait for each other.
 */
import { resolve } from 'node:path';
import type { ResolvedPostgresOptions } from '../options.js';
import type { ConnectionPlan } from './plan.js';

/** A number per object: a pool, client or embedded database in memory is a database of its own. */
const ids = new WeakMap<object, number>();
let nextId = 0;

function idOf(value: object): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = ++nextId;
    ids.set(value, id);
  }
  return id;
}

/**
 * The database of a planned connection: host, port, database and server options (a
 * `search_path` there changes what an unqualified table name means) for a server; the directory
 * for embedded PGlite; the object itself for a pool or client passed in and for an in-memory
 * embedded database (`own`: the service's client). Two spellings of one server (`localhost` and
 * `127.0.0.1`) are two names: such services then behave as two processes do (see
 * docs/summarizers.md), which is safe, only less orderly.
 */
export function databaseIdentity(plan: ConnectionPlan, o: ResolvedPostgresOptions, own: object): string {
  switch (plan.source) {
    case 'client':
      return `client#${idOf(o.client!)}`;
    case 'pool':
      return `pool#${idOf(o.pool!)}`;
    case 'dataDir': {
      const dir = o.dataDir ?? '';
      if (dir === '' || dir.startsWith('memory://')) return `embedded#${idOf(own)}`;
      return `embedded:${/^[a-z]+:\/\//.test(dir) ? dir : resolve(dir)}`;
    }
    default: {
      const c = plan.poolConfig ?? {};
      return JSON.stringify(['server', c.host ?? '', c.port ?? '', c.database ?? '', c.options ?? '']);
    }
  }
}
