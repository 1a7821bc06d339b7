/**
 * The summary storage of PostgresSessionService: where the summary runner stores a summary, and
 * where getSessionSummaryText reads one when the session object carries none.
 */
import { decodeSummary, encodeSummary } from '../../session/codec/index.js';
import { type SessionKey, sessionKeyOf } from '../../session/keys.js';
import type { SummaryTextOptions } from '../../session/options.js';
import type { Session } from '../../session/session.js';
import type { Summary } from '../../session/summary.js';
import { sameInstantAtCommonPrecision, toSqlTimestamp } from '../../session/time.js';
import { ownSummaryText, pickSummaryText } from '../../summary/pick.js';
import * as q from '../queries/index.js';
import { decodeStored, storedCreatedAt } from '../read/session-rows.js';
import { summaryTextArgs } from './arguments.js';
import { exec, type ServiceContext } from './context.js';

/**
 * Upserts a summary by filter key; the row's updated_at is the summary's own (its cutoff). Only
 * into the session the summary was made from, the live session of `key` created at `createdAt`:
 * when it is gone, or was deleted and created again since, nothing is stored (no error, as for
 * any summary of a session that is gone).
 */
export function summaryStore(
  ctx: ServiceContext,
  key: SessionKey,
  createdAt: Date,
): (filterKey: string, summary: Summary) => Promise<void> {
  return (filterKey, summary) =>
    ctx.run('createSessionSummary', async (db) => {
      const now = toSqlTimestamp(ctx.now());
      const live = (await exec<q.SessionCreatedRow>(db, q.selectLiveSessionCreated(ctx.tables, { key, now })))
        .rows[0];
      if (!live || !sameInstantAtCommonPrecision(storedCreatedAt(live.body, live.created_at), createdAt))
        return;
      // The upsert checks the created_at read here again, under the row lock: a delete and create
      // between the two statements leaves a row with another created_at, and nothing is stored.
      await exec(
        db,
        q.upsertSummary(ctx.tables, {
          key,
          filterKey,
          summary: encodeSummary(summary),
          updatedAt: toSqlTimestamp(summary.updated_at),
          sessionCreatedAt: live.created_at,
          now,
        }),
      );
    });
}

/**
 * The summary text for a filter key (falling back to the full-session summary): from the
 * session object when it carries one, else from the database. A summary older than the session
 * belongs to an earlier session with the same id and is skipped.
 */
export async function getSessionSummaryText(
  ctx: ServiceContext,
  session: Session,
  options: SummaryTextOptions,
): Promise<string | undefined> {
  // As trpc-agent-go: a missing session or a bad key has no summary rather than an error.
  const args = summaryTextArgs(session, options);
  if (!args) return undefined;
  const { key, filterKey } = args;
  const { createdAt, own } = ownSummaryText(session, filterKey);
  if (own !== undefined) return own;
  const readKey = sessionKeyOf(key);
  return ctx.run('getSessionSummaryText', async (db) => {
    const query = q.selectSummaries(ctx.tables, { key: readKey, filterKey, now: toSqlTimestamp(ctx.now()) });
    const stored = new Map<string, Summary>();
    for (const row of (await exec<q.SummaryRow>(db, query)).rows) {
      if (row.body === null) continue;
      const what = `summary ${JSON.stringify(row.filter_key)}`;
      stored.set(row.filter_key, decodeStored(what, readKey, undefined, row.body, decodeSummary));
    }
    return pickSummaryText(stored, filterKey, createdAt);
  });
}
