/**
 * `agent-sessions import [file]`: reads the JSON lines of `export` into any database, creating
 * the tables when missing. Each session is imported in its own transaction, and importing the
 * same file again changes nothing.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import {
  addImportCounts,
  ExportLineError,
  emptyImportCounts,
  type ImportCounts,
  importSession,
  migrate,
  parseExportLine,
} from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { interruptible } from '../interrupt.js';
import { print } from '../io.js';
import { formatCount, plural } from '../output/format.js';
import { type Progress, startProgress } from '../output/progress.js';
import { JsonlLineError, jsonlLines, maxLineBytes } from '../records/jsonl-lines.js';

function openInput(file: string | undefined): { stream: Readable; size: number | undefined; name: string } {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) {
      throw new CliError('nothing to import: give a file written by `agent-sessions export`, or pipe one in');
    }
    return { stream: process.stdin, size: undefined, name: 'stdin' };
  }
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return { stream: createReadStream(file), size, name: file };
}

function report(counts: ImportCounts, sessions: number): string {
  const c = counts;
  return [
    `Imported ${plural(sessions, 'session')}: ${formatCount(c.sessionsCreated)} new, ${formatCount(c.sessionsUpdated)} updated, ${formatCount(c.sessionsUnchanged)} unchanged.`,
    `Events: ${formatCount(c.eventsAdded)} added, ${formatCount(c.eventsSkipped)} already present. Summaries written: ${formatCount(c.summariesWritten)}. Track events added: ${formatCount(c.trackEventsAdded)}. State rows written: ${formatCount(c.stateRowsWritten)}.`,
  ].join('\n');
}

async function importSessions(file: string | undefined, flags: ConnectionFlags): Promise<void> {
  const input = openInput(file);
  // Outside withDatabase: a signal while an embedded database is created waits for it to be made.
  await interruptible((interruption) =>
    withDatabase(flags, { create: true, requireTables: false }, async (db) => {
      await migrate(db);
      const counts = emptyImportCounts();
      const progress: Progress =
        input.size !== undefined
          ? startProgress('Importing', input.size, 'bytes')
          : startProgress('Importing', 0, 'sessions');
      let sessions = 0;
      let bytes = 0;
      const stopped = () =>
        sessions === 0
          ? 'no session was imported'
          : `${plural(sessions, 'session')} ${sessions === 1 ? 'was' : 'were'} imported; importing ${input.name === 'stdin' ? 'the same lines' : input.name} again skips ${sessions === 1 ? 'it' : 'them'}`;
      // A signal also ends a wait for input that may never come (a pipe left open).
      interruption.onStop(() => input.stream.destroy());
      const lineError = (lineNo: number, error: unknown) => {
        const done =
          sessions > 0
            ? ` (the ${plural(sessions, 'session')} before it ${sessions === 1 ? 'was' : 'were'} imported)`
            : '';
        return new CliError(`${input.name} line ${lineNo}: ${(error as Error).message}${done}`, {
          cause: error,
        });
      };
      try {
        for await (const line of jsonlLines(input.stream, maxLineBytes())) {
          bytes += line.bytes;
          interruption.throwIfStopped(stopped);
          try {
            // Before the blank check: trim() takes a lone byte order mark for a blank line.
            if (line.text.startsWith('\ufeff')) {
              throw new ExportLineError('starts with a byte order mark (U+FEFF), which export never writes');
            }
            if (line.text.trim() === '') continue;
            const session = parseExportLine(line.text);
            addImportCounts(counts, await importSession(db, session));
          } catch (error) {
            throw lineError(line.lineNo, error);
          }
          sessions++;
          progress.update(input.size !== undefined ? Math.min(bytes, input.size) : sessions);
        }
        // Input cut off at the signal may end like a complete file.
        interruption.throwIfStopped(stopped);
      } catch (error) {
        if (error instanceof CliError) throw error;
        // The input destroyed at the signal fails the read: the interruption is the news.
        interruption.throwIfStopped(stopped);
        if (error instanceof JsonlLineError) throw lineError(error.lineNo, error);
        // The input failed while being read (a directory, an I/O error).
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new CliError(`cannot read ${input.name}: ${reason}`, { cause: error });
      } finally {
        progress.stop();
      }
      await print(report(counts, sessions));
    }),
  );
}

export function registerImport(program: Command): void {
  addConnectionOptions(
    program
      .command('import')
      .summary('read sessions written by export (idempotent)')
      .description(
        'Read JSON lines written by `agent-sessions export` (from a file, or stdin when none or "-" is given) into the database, creating the tables if missing. Each session is imported in one transaction. Importing again changes nothing: events already present (same id) are skipped, and rows are only replaced by newer ones. Lines must be UTF-8 and at most 256 MiB; the first line that breaks a rule stops the import.',
      )
      .argument('[file]', 'the export file; stdin when omitted or "-"'),
  ).action((file: string | undefined, flags: ConnectionFlags) => importSessions(file, flags));
}
