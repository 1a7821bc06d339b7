/**
 * `agent-sessions export`: sessions as JSON lines, one per session with everything stored with
 * it, to stdout or a file. `import` reads them back into any database.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type Command, InvalidArgumentError } from 'commander';
import {
  countSessions,
  exportSessions,
  formatExportLine,
  type SessionFilter,
  StateTracker,
} from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { note, writeLine } from '../io.js';
import { plural } from '../output/format.js';
import { startProgress } from '../output/progress.js';
import { parseInstant } from '../timestamps.js';

interface ExportFlags extends ConnectionFlags {
  app?: string;
  user?: string;
  updatedSince?: Date;
  includeDeleted?: boolean;
  output?: string;
}

export function parseInstantOption(value: string): Date {
  try {
    return parseInstant(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * Opens the `--output` file before anything is exported, so a path that cannot be written (a
 * directory, a missing folder, no permission) fails at once, in one line naming it.
 */
async function openOutput(path: string): Promise<Writable> {
  const stream = createWriteStream(path, { flags: 'w' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
  // A later failure (a full disk) fails the next write (see writeLine) instead of the process.
  stream.on('error', () => undefined);
  return stream;
}

async function exportCommand(flags: ExportFlags): Promise<void> {
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const filter: SessionFilter = {
      appName: flags.app,
      userId: flags.user,
      updatedSince: flags.updatedSince,
      includeDeleted: flags.includeDeleted === true,
    };
    const out: Writable = flags.output ? await openOutput(flags.output) : process.stdout;
    const total = await countSessions(db, filter);
    const progress = startProgress('Exporting', total, 'sessions');
    let sessions = 0;
    let events = 0;
    try {
      const tracker = new StateTracker();
      for await (const record of exportSessions(db, filter, { tracker })) {
        await writeLine(out, formatExportLine(record));
        sessions++;
        events += record.events.length;
        progress.update(sessions);
      }
    } finally {
      progress.stop();
      if (out !== process.stdout) {
        out.end();
        await finished(out);
      }
    }
    note(
      `Exported ${plural(sessions, 'session')} with ${plural(events, 'event')}${flags.output ? ` to ${flags.output}` : ''}.`,
    );
  });
}

export function registerExport(program: Command): void {
  addConnectionOptions(
    program
      .command('export')
      .summary('write sessions as JSON lines')
      .description(
        'Write sessions as JSON lines, one per session: the session row, its events (the stored JSON, in order), summaries and track events, and the app and user state rows it uses (each app and user once per export). `agent-sessions import` reads them back into any database.',
      )
      .option('--app <name>', 'only sessions of this app')
      .option('--user <id>', 'only sessions of this user')
      .option(
        '--updated-since <time>',
        'only sessions updated at or after this ISO 8601 time',
        parseInstantOption,
      )
      .option('--include-deleted', 'also soft-deleted sessions and rows')
      .option('-o, --output <file>', 'write to this file instead of stdout'),
  ).action((flags: ExportFlags) => exportCommand(flags));
}
