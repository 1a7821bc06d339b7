/**
 * What a sweep would remove now, counted without changing anything: `agent-sessions cleanup
 * --dry-run`, and the progress of a running sweep. Same rules as sweep.ts, table by table.
 */
import type { SweepCounts } from '../../session/observers.js';
import { toSqlTimestamp } from '../../session/time.js';
import type { SqlExecutor } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import { emptyCounts } from './sweep.js';

/** The TTLs of the sweep to preview (0: that table is left alone); track events' is effective. */
export interface SweepPreviewPlan {
  tables: TableNames;
  now: Date;
  sessionTtlMs: number;
  appStateTtlMs: number;
  userStateTtlMs: number;
  trackEventTtlMs: number;
}

const EXPIRED = 'deleted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1::timestamp';

/** Live rows a sweep with these TTLs would soft- or hard-delete if it ran at `plan.now`. */
export async function previewSweep(conn: SqlExecutor, plan: SweepPreviewPlan): Promise<SweepCounts> {
  const t = plan.tables;
  const parts: [keyof SweepCounts, string][] = [];
  const expired = (table: string) => `(SELECT count(*) FROM ${table} WHERE ${EXPIRED})`;
  if (plan.sessionTtlMs > 0) {
    parts.push(['sessions', expired(t.sessionStates.qualified)]);
    parts.push([
      'events',
      `(SELECT count(*) FROM ${t.sessionEvents.qualified}
        WHERE deleted_at IS NULL AND (app_name, user_id, session_id) IN (
          SELECT app_name, user_id, session_id FROM ${t.sessionEvents.qualified}
          WHERE deleted_at IS NULL GROUP BY app_name, user_id, session_id
          HAVING max(updated_at) < $2::timestamp))`,
    ]);
    parts.push(['summaries', expired(t.sessionSummaries.qualified)]);
  }
  if (plan.trackEventTtlMs > 0) parts.push(['trackEvents', expired(t.sessionTrackEvents.qualified)]);
  if (plan.appStateTtlMs > 0) parts.push(['appStates', expired(t.appStates.qualified)]);
  if (plan.userStateTtlMs > 0) parts.push(['userStates', expired(t.userStates.qualified)]);
  const counts = emptyCounts();
  if (parts.length === 0) return counts;
  const now = toSqlTimestamp(plan.now);
  const cutoff = toSqlTimestamp(new Date(plan.now.getTime() - plan.sessionTtlMs));
  // $2 (the events' cut-off) is sent only when the events' count uses it: an unused parameter
  // has no type, which the server refuses.
  const { rows } = await conn.query<Record<string, number>>(
    `SELECT ${parts.map(([field, sql]) => `${sql}::int AS "${field}"`).join(', ')}`,
    plan.sessionTtlMs > 0 ? [now, cutoff] : [now],
  );
  for (const [field] of parts) counts[field] = Number(rows[0]?.[field] ?? 0);
  return counts;
}
