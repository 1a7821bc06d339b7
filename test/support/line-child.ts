/**
 * Child processes that run a script of a test's own and talk in JSON lines: the script is written
 * as TypeScript beside the test (importing our sources), bundled with esbuild into a temporary
 * folder (packages left to node_modules, linked beside it), and each child's stdout is read a JSON
 * line at a time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * How a test's script is bundled for a child process: our sources in, as ES modules for the
 * Node.js we support, packages left to node_modules (where `pg` and friends resolve).
 */
export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
} as const satisfies BuildOptions;

/** A bundled script in a temporary folder of its own, which `remove` deletes. */
export interface ChildScript {
  /** The folder, free for the test's own files (data directories, lock files). */
  readonly dir: string;
  /** The bundled script, to run with `node`. */
  readonly path: string;
  remove(): void;
}

/**
 * Bundles `source` (TypeScript; paths relative to the project root, as `./src/…`) into
 * `<tmp>/<prefix>…/child.mjs`, with the project's node_modules linked beside it so that its
 * packages (pg, PGlite) resolve.
 */
export async function bundleChildScript(source: string, prefix: string): Promise<ChildScript> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'child.mjs');
  await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: 'child.ts' },
    outfile: path,
    ...NODE_BUNDLE,
  });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { dir, path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How a child ended, and when (epoch ms). */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

/** A running child whose stdout is JSON lines. */
export interface LineChild {
  readonly child: ChildProcess;
  /** The next line the child prints, parsed; rejects when none comes within `timeoutMs`. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<ChildExit>;
}

/** Starts `command` with stdin piped (for the test's lines to it) and stdout read as JSON lines. */
export function spawnLineChild(
  command: string,
  args: readonly string[],
  options: { detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): LineChild {
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: options.detached,
    env: options.env,
  });
  const lines: Record<string, unknown>[] = [];
  const waiting: ((line: Record<string, unknown>) => void)[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
      buffer = buffer.slice(i + 1);
      const wake = waiting.shift();
      if (wake) wake(line);
      else lines.push(line);
    }
  });
  // A child that exits before reading what the test writes to it must not fail the test with EPIPE.
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<ChildExit>((done) =>
    child.on('exit', (code, signal) => done({ code, signal, at: Date.now() })),
  );
  return {
    child,
    next(timeoutMs = 60_000) {
      const ready = lines.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((done, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no line from ${child.pid} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.push((line) => {
          clearTimeout(timer);
          done(line);
        });
      });
    },
    exited,
  };
}
