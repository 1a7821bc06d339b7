/**
 * Table statistics: per session table, its rows live, soft-deleted and expired (hidden from
 * services, waiting for a sweep), and its size on disk. One statement.
 */

import type { TableName } from '../schema/index.js';
import { nowArg, optionsArg } from './arguments.js';
import type { AdminDatabase } from './database.js';

/** The rows and size of one session table. */
export interface TableStats {
  /** The table's unqualified name (with the prefix). */
  table: string;
  rows: number;
  /** Neither soft-deleted nor expired: what services read. */
  live: number;
  softDeleted: number;
  /** Expired but not yet swept. */
  expired: number;
  /** pg_total_relation_size: the table with its indexes and TOAST data. */
  bytes: number;
}

function statsQuery(t: TableName): string {
  return `SELECT '${t.name.replace(/'/g, "''")}' AS "table", count(*)::int AS "rows",
    count(*) FILTER (WHERE deleted_at IS NULL AND (expires_at IS NULL OR expires_at > $1::timestamp))::int AS live,
    count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS soft_deleted,
    count(*) FILTER (WHERE deleted_at IS NULL AND expires_at <= $1::timestamp)::int AS expired,
    pg_total_relation_size('${t.qualified.replace(/'/g, "''")}'::regclass)::bigint::text AS bytes
    FROM ${t.qualified}`;
}

/** Statistics of every session table, in the order of `tables.all`; expiry judged at `now`. */
export async function tableStats(db: AdminDatabase, options: { now?: Date } = {}): Promise<TableStats[]> {
  options = optionsArg('options', options);
  const { rows } = await db.client.query<{
    table: string;
    rows: number;
    live: number;
    soft_deleted: number;
    expired: number;
    bytes: string;
  }>(db.tables.all.map(statsQuery).join('\nUNION ALL\n'), [nowArg(options)]);
  return rows.map((r) => ({
    table: r.table,
    rows: r.rows,
    live: r.live,
    softDeleted: r.soft_deleted,
    expired: r.expired,
    bytes: Number(r.bytes),
  }));
}
