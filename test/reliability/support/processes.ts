/**
 * Child processes running support/worker.ts. Tests cannot run TypeScript in a child process
 * without a loader, so the worker is bundled once with esbuild (our sources included, packages
 * left to node_modules) into node_modules/.cache, where `pg` and friends still resolve.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NODE_BUNDLE } from '../../support/line-child.js';
import type { WorkerConfig } from './worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

/** Bundles the worker (or another script of this folder); returns its path and a function that removes it. */
export async function buildWorker(entry = 'worker.ts'): Promise<{ path: string; remove(): void }> {
  const dir = join(root, 'node_modules', '.cache', `reliability-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'worker.mjs');
  await build({
    entryPoints: [join(here, entry)],
    outfile: path,
    ...NODE_BUNDLE,
  });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How a script run by {@link runScript} ended, and what it printed. */
export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a bundled script (see buildWorker) with `config` as its JSON argument, to its end. */
export function runScript(path: string, config: unknown): Promise<ScriptRun> {
  const child = spawn(process.execPath, [path, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, stdout, stderr })));
}

/** A running worker: send a command, read its one-line answer. */
export interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code (null when killed) and when it happened. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Sends `command` and resolves with the next line the worker writes (background reports skipped). */
  ask<T = Record<string, unknown>>(command: string): Promise<T>;
  readonly stderr: () => string;
}

export async function startWorker(path: string, config: WorkerConfig): Promise<Worker> {
  const child = spawn(process.execPath, [path, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal, at: Date.now() })),
  );
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    // Background reports (onError) are not answers; keep them out of the conversation.
    if (line.startsWith('{"background"')) return;
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  const nextLine = () =>
    new Promise<string>((resolveLine, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolveLine(queued);
      waiting.push(resolveLine);
      void exited.then(({ code }) => reject(new Error(`worker exited (${code}): ${errors}`)));
    });
  const first = JSON.parse(await nextLine()) as { ready?: boolean; fatal?: string };
  if (!first.ready) throw new Error(`worker did not start: ${JSON.stringify(first)} ${errors}`);
  return {
    child,
    exited,
    stderr: () => errors,
    async ask<T>(command: string): Promise<T> {
      const answer = nextLine();
      child.stdin.write(`${command}\n`);
      return JSON.parse(await answer) as T;
    },
  };
}
