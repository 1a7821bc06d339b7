/**
 * `agent-sessions cleanup`: one TTL sweep now, with the TTLs a service would be configured with,
 * through PostgresSessionService's own sweeper (same rules, same advisory lock, so it never runs
 * at the same time as a service's sweep of the same tables).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { PostgresSessionService } from '../../postgres/service.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { type Database, withDatabase } from '../database.js';
import { parseDuration } from '../duration.js';
import { CliError } from '../errors.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { withPolledProgress } from '../output/progress.js';
import { sqlNow } from '../timestamps.js';
import { renderSweepCounts, sweepCountsJson } from './sweep-report.js';

interface CleanupFlags extends ConnectionFlags {
  sessionTtl?: number;
  appStateTtl?: number;
  userStateTtl?: number;
  trackEventTtl?: number;
  hard?: boolean;
  json?: boolean;
}

export function parseDurationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * Rows the sweep will reach that can be counted up front: live rows past their expires_at (and
 * the events of expired sessions), in the tables whose TTL is set. The estimate drives the bar;
 * events swept for their age alone are not in it.
 */
async function remainingExpired(db: Database, flags: CleanupFlags, now: string): Promise<number> {
  const t = db.tables;
  const parts: string[] = [];
  const expired = (table: string) =>
    `(SELECT count(*) FROM ${table} WHERE deleted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1::timestamp)`;
  if (flags.sessionTtl) {
    parts.push(expired(t.sessionStates.qualified), expired(t.sessionSummaries.qualified));
    parts.push(`(SELECT count(*) FROM ${t.sessionEvents.qualified} e JOIN ${t.sessionStates.qualified} s
      ON s.app_name = e.app_name AND s.user_id = e.user_id AND s.session_id = e.session_id
      WHERE e.deleted_at IS NULL AND s.deleted_at IS NULL AND s.expires_at <= $1::timestamp)`);
  }
  if (flags.sessionTtl || flags.trackEventTtl) parts.push(expired(t.sessionTrackEvents.qualified));
  if (flags.appStateTtl) parts.push(expired(t.appStates.qualified));
  if (flags.userStateTtl) parts.push(expired(t.userStates.qualified));
  const { rows } = await db.client.query<{ n: number }>(`SELECT (${parts.join(' + ')})::int AS n`, [now]);
  return rows[0]?.n ?? 0;
}

async function cleanup(flags: CleanupFlags): Promise<void> {
  if (!flags.sessionTtl && !flags.appStateTtl && !flags.userStateTtl && !flags.trackEventTtl) {
    throw new CliError(
      'nothing to sweep: give the TTLs your services use, e.g. --session-ttl 24h (also --app-state-ttl, --user-state-ttl, --track-event-ttl)',
    );
  }
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const service = new PostgresSessionService({
      client: db.client,
      schema: flags.schema,
      tablePrefix: flags.tablePrefix,
      // The tables were checked already; a sweep must not create anything.
      skipDbInit: true,
      softDelete: !flags.hard,
      sessionTtlMs: flags.sessionTtl,
      appStateTtlMs: flags.appStateTtl,
      userStateTtlMs: flags.userStateTtl,
      // Absent, not 0: the service then uses the session TTL for track events, as services do.
      trackEventTtlMs: flags.trackEventTtl,
    });
    try {
      const now = sqlNow();
      const report = await withPolledProgress(
        'Sweeping',
        'rows',
        () => remainingExpired(db, flags, now),
        async (total) => total - (await remainingExpired(db, flags, now)),
        () => service.sweepNow(),
      );
      const c = colorsFor(process.stdout);
      if (flags.json) {
        await print(
          JSON.stringify({ ran: report.ran, mode: flags.hard ? 'hard' : 'soft', ...sweepCountsJson(report) }),
        );
        return;
      }
      if (!report.ran) {
        await print(
          'Another process is sweeping these tables right now (it holds the sweep lock); nothing was done.',
        );
        return;
      }
      await print(renderSweepCounts(report, db.tables, flags.hard ? 'deleted' : 'soft-deleted', c));
      if (!flags.hard) {
        await print(
          c.dim('Soft-deleted rows stay until `agent-sessions purge --older-than <age>` removes them.'),
        );
      }
    } finally {
      await service.close();
    }
  });
}

export function registerCleanup(program: Command): void {
  addConnectionOptions(
    program
      .command('cleanup')
      .summary('run one TTL sweep now and report what it removed')
      .description(
        'Run one sweep of expired data now, as a service with these TTLs would: expired sessions with their events, summaries and track events, stale events, and expired track events and app/user state. Rows are soft-deleted (deleted_at set) unless --hard. Durations: 30d, 12h, 15m, 45s, 1h30m.',
      )
      .option(
        '--session-ttl <duration>',
        'sessions expire this long after their last write',
        parseDurationOption,
      )
      .option(
        '--app-state-ttl <duration>',
        'app state expires this long after its last write',
        parseDurationOption,
      )
      .option(
        '--user-state-ttl <duration>',
        'user state expires this long after its last write',
        parseDurationOption,
      )
      .option(
        '--track-event-ttl <duration>',
        'track events expire this long after being written (default: the session TTL)',
        parseDurationOption,
      )
      .option('--hard', 'delete rows instead of soft-deleting them')
      .option('--json', 'print the counts as JSON'),
  ).action((flags: CleanupFlags) => cleanup(flags));
}
