/**
 * `agent-sessions import [file]`: reads the JSON lines of `export` into any database, creating
 * the tables when missing. Each session is imported in its own transaction, and importing the
 * same file again changes nothing.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
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
import { print } from '../io.js';
import { formatCount, plural } from '../output/format.js';
import { type Progress, startProgress } from '../output/progress.js';

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
  await withDatabase(flags, { create: true, requireTables: false }, async (db) => {
    await migrate(db);
    const counts = emptyImportCounts();
    const progress: Progress =
      input.size !== undefined
        ? startProgress('Importing', input.size, 'bytes')
        : startProgress('Importing', 0, 'sessions');
    let sessions = 0;
    let lineNo = 0;
    let bytes = 0;
    const lines = createInterface({ input: input.stream, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        lineNo++;
        bytes += Buffer.byteLength(line) + 1;
        if (line.trim() === '') continue;
        try {
          addImportCounts(counts, await importSession(db, parseExportLine(line)));
        } catch (error) {
          const done =
            sessions > 0
              ? ` (the ${plural(sessions, 'session')} before it ${sessions === 1 ? 'was' : 'were'} imported)`
              : '';
          const reason = error instanceof ExportLineError ? error.message : (error as Error).message;
          throw new CliError(`${input.name} line ${lineNo}: ${reason}${done}`, { cause: error });
        }
        sessions++;
        progress.update(input.size !== undefined ? Math.min(bytes, input.size) : sessions);
      }
    } finally {
      progress.stop();
      lines.close();
    }
    await print(report(counts, sessions));
  });
}

export function registerImport(program: Command): void {
  addConnectionOptions(
    program
      .command('import')
      .summary('read sessions written by export (idempotent)')
      .description(
        'Read JSON lines written by `agent-sessions export` (from a file, or stdin when none or "-" is given) into the database, creating the tables if missing. Each session is imported in one transaction. Importing again changes nothing: events already present (same id) are skipped, and rows are only replaced by newer ones.',
      )
      .argument('[file]', 'the export file; stdin when omitted or "-"'),
  ).action((file: string | undefined, flags: ConnectionFlags) => importSessions(file, flags));
}
