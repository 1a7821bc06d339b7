/**
 * `agent-sessions cleanup`: one TTL sweep now, with the TTLs a service would be configured with,
 * through PostgresSessionService's own sweeper (same rules, same advisory lock, so it never runs
 * at the same time as a service's sweep of the same tables). `--dry-run` counts what it would
 * remove, per table, by the same rules, and removes nothing.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { countExpired, countSweepable, type SweepOptions, sweepNow } from '../../postgres/admin/index.js';
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
  dryRun?: boolean;
  json?: boolean;
}

export function parseDurationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The TTLs of the flags, as the operator API takes them, judged at `now`. */
function sweepOptions(flags: CleanupFlags, now: Date): SweepOptions {
  return {
    now,
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
    // One clock reading for the preview, the progress and the sweep: they judge expiry alike.
    const options = sweepOptions(flags, new Date());
    const mode = flags.hard ? 'hard' : 'soft';
    const c = colorsFor(process.stdout);
    if (flags.dryRun) {
      const pending = await countSweepable(db, options);
      if (flags.json) {
        await print(JSON.stringify({ dryRun: true, mode, ...sweepCountsJson(pending) }));
        return;
      }
      await print(
        renderSweepCounts(pending, db.tables, flags.hard ? 'would delete' : 'would soft-delete', c),
      );
      await print(c.dim('Nothing was removed: run the same command without --dry-run to sweep.'));
      return;
    }
    const report = await withPolledProgress(
      'Sweeping',
      'rows',
      () => countExpired(db, options),
      async (total) => total - (await countExpired(db, options)),
      () => sweepNow(db, options),
    );
    if (flags.json) {
      await print(JSON.stringify({ ran: report.ran, mode, ...sweepCountsJson(report) }));
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
        c.dim(
          'Soft-deleted rows stay until `agent-sessions purge --older-than <age>` removes them; `agent-sessions restore <app> <user> <session>` brings a session’s back.',
        ),
      );
    }
  });
}

export function registerCleanup(program: Command): void {
  addConnectionOptions(
    program
      .command('cleanup')
      .summary('run one TTL sweep now and report what it removed')
      .description(
        "Run one sweep of expired data now, as a service with these TTLs would, each table by its own rule as trpc-agent-go's cleanup: expired session rows, the events of sessions whose newest event is older than the session TTL, expired track events and app/user state. Rows are soft-deleted (deleted_at set, `restore` brings them back) unless --hard. --dry-run shows what would go. Durations: 30d, 12h, 15m, 45s, 1h30m.",
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
      .option('--dry-run', 'count what would be removed, per table, and remove nothing')
      .option('--json', 'print the counts as JSON'),
  ).action((flags: CleanupFlags) => cleanup(flags));
}
