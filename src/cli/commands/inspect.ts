/**
 * `agent-sessions inspect`: a local web page over the database (apps → users → sessions → a
 * session's timeline), read-only unless started with --allow-writes, on 127.0.0.1 unless
 * --expose allows another address (and then only with the access token it prints).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { openDatabase, requireTables, secretsOf } from '../database.js';
import { CliError, describeError } from '../errors.js';
import { ExposeRequiredError, startInspector } from '../inspect/server.js';
import { note, print } from '../io.js';
import { colorsFor } from '../output/colors.js';

interface InspectFlags extends ConnectionFlags {
  host: string;
  port: number;
  expose?: boolean;
  allowWrites?: boolean;
}

/** The default port: fixed, so a bookmark keeps working across runs. */
export const DEFAULT_INSPECT_PORT = 7733;

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('must be a port from 0 to 65535');
  return n;
}

/**
 * A failure to listen, told in terms of the flags that caused it, or null when `error` is not
 * one (it is then reported as whatever it is). Without this, Node's own error (`listen
 * EADDRNOTAVAIL ...`) would read as a database error.
 */
function listenFailure(error: unknown, flags: InspectFlags): CliError | null {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (code === 'EADDRINUSE') {
    return new CliError(`port ${flags.port} is in use; pick another with --port (0 picks a free one)`);
  }
  if (syscall === 'getaddrinfo') {
    return new CliError(`--host ${flags.host} does not resolve to an address (${code}); check the name`);
  }
  if (code === 'EADDRNOTAVAIL') {
    return new CliError(
      `--host ${flags.host} is not an address of this machine (EADDRNOTAVAIL); use one of its own addresses`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new CliError(
      `not permitted to listen on --host ${flags.host} --port ${flags.port} (${code}); ports below 1024 need privileges`,
    );
  }
  if (syscall === 'listen') {
    return new CliError(
      `cannot listen on --host ${flags.host} --port ${flags.port} (${code ?? 'unknown error'})`,
    );
  }
  return null;
}

/** Resolves when the process is asked to stop (Ctrl-C or a termination signal). */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function inspect(flags: InspectFlags): Promise<void> {
  const db = await openDatabase(flags, { create: false });
  try {
    await requireTables(db);
    const secrets = secretsOf(flags);
    let inspector: Awaited<ReturnType<typeof startInspector>>;
    try {
      inspector = await startInspector({
        client: db.client,
        tables: db.tables,
        label: db.client.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL server',
        allowWrites: flags.allowWrites === true,
        host: flags.host,
        port: flags.port,
        expose: flags.expose === true,
        onError: (error) => note(`agent-sessions inspect: ${describeError(error, secrets)}`),
      });
    } catch (error) {
      if (error instanceof ExposeRequiredError) throw new CliError(error.message);
      throw listenFailure(error, flags) ?? error;
    }
    const c = colorsFor(process.stdout);
    await print(`${c.bold('agent-sessions inspector')} on ${db.describe}`);
    await print(`  ${c.green(inspector.url)}`);
    if (inspector.token) {
      await print(
        c.yellow('  Reachable from other machines: the token in this URL is required on every request.'),
      );
    }
    await print(
      c.dim(
        `  ${flags.allowWrites ? 'Restore and delete allowed (each asks to confirm).' : 'Read-only.'} Ctrl-C stops it.`,
      ),
    );
    await untilStopped();
    await inspector.close();
  } finally {
    await db.close().catch(() => undefined);
  }
}

export function registerInspect(program: Command): void {
  addConnectionOptions(
    program
      .command('inspect')
      .summary('browse sessions in a local web page')
      .description(
        "Serve a web page over the database: apps → users → sessions (paged, filtered, with counts) → a session's timeline (messages, tool calls joined to their results, state deltas, token usage, summaries at their boundaries, tracks in lanes), following new events live, with JSON and transcript downloads. Read-only and on 127.0.0.1 unless told otherwise.",
      )
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port to listen on (0: any free port)', parsePort, DEFAULT_INSPECT_PORT)
      .option('--expose', 'allow a --host other than loopback; a random access token is then required')
      .option('--allow-writes', 'allow restoring and deleting sessions from the page (each asks to confirm)'),
  ).action((flags: InspectFlags) => inspect(flags));
}
