/**
 * The `agent-sessions` command: its subcommands, and how a run ends (exit code, one-line errors).
 */
import { Command, CommanderError } from 'commander';
import { redactSecrets } from '../postgres/connection/connection-string.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerExport } from './commands/export.js';
import { registerImport } from './commands/import.js';
import { registerInspect } from './commands/inspect.js';
import { registerLs } from './commands/ls.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPurge } from './commands/purge.js';
import { registerRestore } from './commands/restore.js';
import { registerShow } from './commands/show.js';
import { registerStats } from './commands/stats.js';
import { secretsOf } from './database.js';
import { describeError } from './errors.js';
import { InterruptedError } from './interrupt.js';

const EXAMPLES = `
Examples:
  agent-sessions migrate --dry-run
  agent-sessions ls --app demo --user ada
  agent-sessions show demo ada <session-id>
  agent-sessions export --app demo > sessions.jsonl
  DATABASE_URL=postgres://user@host/db agent-sessions import sessions.jsonl
  agent-sessions cleanup --session-ttl 24h
  agent-sessions purge --older-than 30d
  agent-sessions inspect`;

/**
 * Builds the command tree; subcommands inherit the settings made here before they are added.
 * `redact` hides secrets in the usage errors commander prints itself.
 */
export function buildProgram(version: string, redact: (text: string) => string = (text) => text): Command {
  const program = new Command('agent-sessions')
    .description(
      "Operate a database of agent sessions: trpc-agent-go's PostgreSQL session tables, on a server (--dsn or DATABASE_URL) or in the embedded PGlite database in ./.agent-sessions.",
    )
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(redact(text)) })
    .showHelpAfterError('(add --help for usage)');
  registerMigrate(program);
  registerLs(program);
  registerShow(program);
  registerExport(program);
  registerImport(program);
  registerCleanup(program);
  registerRestore(program);
  registerPurge(program);
  registerStats(program);
  registerInspect(program);
  program.addHelpText('after', EXAMPLES);
  return program;
}

/**
 * Every password the arguments and the environment hold, found without parsing the arguments:
 * commander quotes an argument it refuses (`unknown option '--dsn=postgres://…'` when the flag
 * comes before the subcommand, a misspelt `--dns=…`) in its own message, before any option is
 * known. So every argument, and the value of every `--flag=value`, is read as a DSN.
 */
function secretsOfArguments(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const candidates = argv.flatMap((arg) => {
    const eq = arg.indexOf('=');
    return arg.startsWith('-') && eq > 0 ? [arg, arg.slice(eq + 1)] : [arg];
  });
  const secrets = [undefined, ...candidates].flatMap((dsn) => secretsOf({ dsn }, env));
  return [...new Set(secrets)];
}

/**
 * Runs the command for `argv` (as process.argv) and resolves with the exit code: 0 on success,
 * commander's code for usage errors, 1 for failures, which are printed as one line on stderr.
 * AGENT_SESSIONS_DEBUG=1 adds the stack trace (passwords still hidden); empty, 0 or false do not.
 */
export async function run(argv: readonly string[], version: string): Promise<number> {
  const secrets = secretsOfArguments(argv.slice(2), process.env);
  const program = buildProgram(version, (text) => redactSecrets(text, secrets));
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    // Commander has printed its own message (usage error, --help, --version) already.
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`agent-sessions: error: ${describeError(error, secrets)}\n`);
    if (debugRequested(process.env.AGENT_SESSIONS_DEBUG) && error instanceof Error && error.stack) {
      process.stderr.write(`${redactStack(error.stack, secrets)}\n`);
    }
    return error instanceof InterruptedError ? error.exitCode : 1;
  }
}

/** Whether AGENT_SESSIONS_DEBUG asks for stack traces: set, and not empty, `0` or `false`. */
export function debugRequested(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false'].includes(value.trim().toLowerCase());
}

function redactStack(stack: string, secrets: readonly string[]): string {
  return stack
    .split('\n')
    .map((line) => describeError(new Error(line), secrets).replace(/^database error: /, ''))
    .join('\n');
}
