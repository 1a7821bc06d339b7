/**
 * `agent-sessions cleanup`: one TTL sweep now, with the TTLs a service would be configured with,
 * through PostgresSessionService's own sweeper (same rules, same advisory lock, so it never runs
 * at the same time as a service's sweep of the same tables).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { countExpired, type SweepOptions, sweepNow } from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { parseDuration } from '../duration.js';
import { CliError } from '../errors.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { withPolledProgress } from '../output/progress.js';
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

/** The TTLs of the flags, as the operator API takes them. */
function sweepOptions(flags: CleanupFlags): SweepOptions {
  return {
    sessionTtlMs: flags.sessionTtl,
    appStateTtlMs: flags.appStateTtl,
    userStateTtlMs: flags.userStateTtl,
    // Absent, not 0: the sweep then uses the session TTL for track events, as services do.
    trackEventTtlMs: flags.trackEventTtl,
    hard: flags.hard === true,
  };
}

async function cleanup(flags: CleanupFlags): Promise<void> {
  if (!flags.sessionTtl && !flags.appStateTtl && !flags.userStateTtl && !flags.trackEventTtl) {
    throw new CliError(
      'nothing to sweep: give the TTLs your services use, e.g. --session-ttl 24h (also --app-state-ttl, --user-state-ttl, --track-event-ttl)',
    );
  }
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const options = sweepOptions(flags);
    const now = new Date();
    const report = await withPolledProgress(
      'Sweeping',
      'rows',
      () => countExpired(db, options, now),
      async (total) => total - (await countExpired(db, options, now)),
      () => sweepNow(db, options),
    );
    {
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
