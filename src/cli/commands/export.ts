/**
 * `agent-sessions export`: sessions as JSON lines, one per session with everything stored with
 * it, to stdout or a file. `import` reads them back into any database.
 */
import type { Writable } from 'node:stream';
import { type Command, InvalidArgumentError } from 'commander';
import {
  countSessions,
  type ExportedSession,
  exportSessions,
  formatExportLine,
  type SessionFilter,
  StateTracker,
} from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { interruptible } from '../interrupt.js';
import { note, writeLine } from '../io.js';
import { formatCount, plural } from '../output/format.js';
import { startProgress } from '../output/progress.js';
import { shellWord } from '../output/shell-word.js';
import { openOutputFile } from '../output-file.js';
import { maxLineBytes } from '../records/jsonl-lines.js';
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

/** A session whose line import would refuse as too long (or that JavaScript cannot make a string). */
interface Oversized {
  record: ExportedSession;
  /** The line's length in bytes; undefined when it is beyond JavaScript's longest string. */
  bytes: number | undefined;
}

/**
 * The session's line, or why it is left out: a line longer than import reads would make a backup
 * that cannot be restored, found only on the day it is needed.
 */
function lineOf(record: ExportedSession, limit: number): { line: string } | Oversized {
  let line: string;
  try {
    line = formatExportLine(record);
  } catch (error) {
    // V8's "Invalid string length": the line is longer than any string.
    if (error instanceof RangeError) return { record, bytes: undefined };
    throw error;
  }
  // Bytes are at least as many as UTF-16 units: most lines are measured by their length alone.
  if (line.length <= limit / 3) return { line };
  const bytes = Buffer.byteLength(line);
  return bytes <= limit ? { line } : { record, bytes };
}

/**
 * The app and user state rows a left-out session carried. An export writes each app's and each
 * user's state once, on the first line of that app or user; when that line is left out, the rows
 * go on the next line of the same app or user instead of being lost with it.
 */
class CarriedState {
  readonly #apps = new Map<string, NonNullable<ExportedSession['appState']>>();
  readonly #users = new Map<string, NonNullable<ExportedSession['userState']>>();

  /** Keeps the state rows of a record that is not written. */
  keep(record: ExportedSession): void {
    if (record.appState !== undefined) this.#apps.set(record.appName, record.appState);
    if (record.userState !== undefined) this.#users.set(userOf(record), record.userState);
  }

  /** Gives a record the rows a left-out one of its app or user carried, unless it has its own. */
  handTo(record: ExportedSession): void {
    const app = this.#apps.get(record.appName);
    if (app && record.appState === undefined) {
      record.appState = app;
      this.#apps.delete(record.appName);
    }
    const user = this.#users.get(userOf(record));
    if (user && record.userState === undefined) {
      record.userState = user;
      this.#users.delete(userOf(record));
    }
  }

  /** The apps and users whose state rows no written line took. */
  left(): string[] {
    return [
      ...[...this.#apps.keys()].map((app) => `app ${shellWord(app)}`),
      ...[...this.#users.keys()].map((user) => {
        const [app, id] = JSON.parse(user) as [string, string];
        return `user ${shellWord(app)} ${shellWord(id)}`;
      }),
    ];
  }
}

const userOf = (r: ExportedSession) => JSON.stringify([r.appName, r.userId]);

function oversizedError(
  left: readonly Oversized[],
  limit: number,
  written: string,
  stateLeft: readonly string[],
): CliError {
  const which = left
    .map(({ record: r, bytes }) => {
      const size = bytes === undefined ? 'longer than a JavaScript string' : `${formatCount(bytes)} bytes`;
      return `${[r.appName, r.userId, r.sessionId].map(shellWord).join(' ')} (${size})`;
    })
    .join(', ');
  const state =
    stateLeft.length > 0 ? `, nor the state of ${stateLeft.join(', ')}, which only they carried` : '';
  return new CliError(
    `${plural(left.length, 'session was', 'sessions were')} not exported${state}: a line longer than import reads (${formatCount(limit)} bytes) could not be restored: ${which}; ${written}`,
  );
}

async function exportCommand(flags: ExportFlags): Promise<void> {
  // Outside withDatabase: a signal while an embedded database opens waits for it to be open.
  await interruptible((interruption) =>
    withDatabase(flags, { create: false, requireTables: true }, async (db) => {
      const filter: SessionFilter = {
        appName: flags.app,
        userId: flags.user,
        updatedSince: flags.updatedSince,
        includeDeleted: flags.includeDeleted === true,
      };
      let sessions = 0;
      let events = 0;
      const limit = maxLineBytes();
      const oversized: Oversized[] = [];
      const carried = new CarriedState();
      const stopped = () =>
        flags.output
          ? `nothing was written to ${flags.output}`
          : sessions === 0
            ? 'nothing was written to stdout'
            : `the output on stdout is incomplete: at most ${plural(sessions, 'session')}, the last line perhaps cut short`;
      interruption.throwIfStopped(stopped);
      const file = flags.output ? await openOutputFile(flags.output) : undefined;
      const out: Writable = file?.stream ?? process.stdout;
      try {
        const total = await countSessions(db, filter);
        const progress = startProgress('Exporting', total, 'sessions');
        try {
          const tracker = new StateTracker();
          for await (const record of exportSessions(db, filter, { tracker })) {
            interruption.throwIfStopped(stopped);
            carried.handTo(record);
            const made = lineOf(record, limit);
            if ('line' in made) {
              await writeLine(out, made.line, interruption.signal);
              sessions++;
              events += record.events.length;
            } else {
              oversized.push(made);
              carried.keep(record);
            }
            progress.update(sessions + oversized.length);
          }
        } finally {
          progress.stop();
        }
        // The last check before a file already at the name is replaced: an export with no
        // session, or a signal during the last read, must leave it too.
        interruption.throwIfStopped(stopped);
        await file?.commit();
      } catch (error) {
        await file?.abandon();
        // A wait the signal cut short fails with an AbortError: the interruption is the news.
        interruption.throwIfStopped(stopped);
        throw error;
      }
      const written = `${plural(sessions, 'session')} with ${plural(events, 'event')}${flags.output ? ` to ${flags.output}` : ''}`;
      // The others are written (and the file put in place): every line in it can be imported.
      if (oversized.length > 0)
        throw oversizedError(oversized, limit, `exported the other ${written}`, carried.left());
      note(`Exported ${written}.`);
    }),
  );
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
