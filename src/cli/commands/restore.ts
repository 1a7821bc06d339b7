/**
 * `agent-sessions restore <app> <user> <session>`: undo a soft delete.
 */
import type { Command } from 'commander';
import { type RestoreCounts, restore } from '../../postgres/admin/index.js';
import { isAgentSessionsError } from '../../session/errors.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { plural } from '../output/format.js';
import { parseInstantOption } from './export.js';

interface RestoreFlags extends ConnectionFlags {
  deletedAt?: Date;
}

async function restoreCommand(
  app: string,
  user: string,
  sessionId: string,
  flags: RestoreFlags,
): Promise<void> {
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const key = { appName: app, userId: user, sessionId };
    let counts: RestoreCounts;
    try {
      counts = await restore(db, key, flags.deletedAt ? { deletedAt: flags.deletedAt } : {});
    } catch (error) {
      if (isAgentSessionsError(error, 'NOT_FOUND')) {
        throw new CliError(
          `unknown session ${app}/${user}/${sessionId}: no soft-deleted session with this key to restore`,
        );
      }
      throw error;
    }
    const c = colorsFor(process.stdout);
    await print(
      `${c.green('✓')} Restored session ${app}/${user}/${sessionId}: ${plural(counts.events, 'event')}, ${plural(counts.summaries, 'summary', 'summaries')}, ${plural(counts.trackEvents, 'track event')}.`,
    );
  });
}

export function registerRestore(program: Command): void {
  addConnectionOptions(
    program
      .command('restore')
      .summary('undo the soft delete of a session')
      .description(
        'Bring back a soft-deleted session with the events, summaries and track events its delete removed (the most recently deleted one with this key, unless --deleted-at picks another). On a live session it brings back what the last TTL sweep took from it; it fails when the key has nothing soft-deleted to bring back. A session swept for its TTL keeps its expires_at.',
      )
      .argument('<app>', 'app name')
      .argument('<user>', 'user id')
      .argument('<session>', 'session id')
      .option(
        '--deleted-at <time>',
        'restore the session deleted at this time (ISO 8601)',
        parseInstantOption,
      ),
  ).action((app: string, user: string, session: string, flags: RestoreFlags) =>
    restoreCommand(app, user, session, flags),
  );
}
