/**
 * The options every database command takes, and which database they select: `--dsn` (or
 * DATABASE_URL, or libpq's PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE/PGSSLMODE when PGHOST is
 * set) for a PostgreSQL server, otherwise the embedded PGlite database in `--data-dir`. A set
 * PGHOSTADDR or PGSERVICE is refused rather than taken for "no server" (see environmentDsn).
 */
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { environmentDsn } from '../postgres/connection/environment.js';
import { shellWord } from './output/shell-word.js';

/** Where the embedded database lives unless `--data-dir` says otherwise (relative to the cwd). */
export const DEFAULT_DATA_DIR = '.agent-sessions';

/** The connection flags as commander parses them. */
export interface ConnectionFlags {
  dsn?: string;
  dataDir?: string;
  schema?: string;
  tablePrefix?: string;
}

/** The database the flags select. */
export type Target =
  | { readonly kind: 'pg'; readonly dsn: string }
  | { readonly kind: 'pglite'; readonly dataDir: string };

/** `--data-dir ""` would put PostgreSQL's files straight into the working directory. */
function nonEmptyDirectory(value: string): string {
  if (value.trim() === '')
    throw new InvalidArgumentError(`must not be empty (default: ./${DEFAULT_DATA_DIR})`);
  return value;
}

/**
 * Adds `--dsn`, `--data-dir`, `--schema` and `--table-prefix` to a command. An empty `--dsn` on
 * the command line is refused (it is what `--dsn "$DSN"` gives when the variable is unset, and
 * falling back to the embedded database would run the command on the wrong data); an empty
 * DATABASE_URL counts as unset, as it does for libpq.
 */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--dsn <url>',
        'PostgreSQL connection string (postgres://user:pass@host:5432/db); without it and DATABASE_URL, the PG* variables when PGHOST is set',
      ).env('DATABASE_URL'),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'embedded PGlite database directory, used when neither --dsn, DATABASE_URL nor PGHOST is set',
      )
        .default(`./${DEFAULT_DATA_DIR}`)
        .argParser(nonEmptyDirectory),
    )
    .option('--schema <name>', "schema of the session tables (default: the connection's current schema)")
    .option('--table-prefix <prefix>', 'prefix of the table names, e.g. trpc (gives trpc_session_states)')
    .hook('preAction', (self) => {
      if (self.getOptionValueSource('dsn') === 'cli' && !String(self.getOptionValue('dsn') ?? '').trim())
        self.error(
          "error: option '--dsn <url>' must not be empty (leave it out to use DATABASE_URL or the embedded database)",
        );
    });
}

/**
 * The server DSN the flags and the environment give, highest first: `--dsn`, DATABASE_URL, the
 * PG* variables (when PGHOST is set); an empty value counts as none.
 */
export function dsnOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flags.dsn?.trim() || environmentDsn(env) || undefined;
}

/** The database the flags (and the environment, see dsnOf) select. */
export function targetOf(flags: ConnectionFlags): Target {
  const dsn = dsnOf(flags);
  if (dsn) return { kind: 'pg', dsn };
  return { kind: 'pglite', dataDir: resolve(flags.dataDir ?? DEFAULT_DATA_DIR) };
}

/**
 * The flags to repeat in a suggested command so it works on the same tables. The DSN is left out
 * on purpose: it may hold a password, and DATABASE_URL (or the user's own --dsn) is still there.
 * Each value is quoted for a shell (shellWord).
 */
export function tableFlags(flags: ConnectionFlags): string {
  const parts: string[] = [];
  if (flags.schema) parts.push(`--schema ${shellWord(flags.schema)}`);
  if (flags.tablePrefix) parts.push(`--table-prefix ${shellWord(flags.tablePrefix)}`);
  if (!dsnOf(flags) && flags.dataDir && resolve(flags.dataDir) !== resolve(DEFAULT_DATA_DIR)) {
    parts.push(`--data-dir ${shellWord(flags.dataDir)}`);
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}
