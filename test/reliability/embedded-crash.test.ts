/**
 * The embedded database when its process dies without warning (SIGKILL: the OOM killer, a
 * container stopped hard): every append and state update that resolved before the kill is there
 * when the directory is opened again, in order, and the directory opens at all (PGlite replays
 * its WAL; our lock file of a dead process is taken over). Each round kills the writer at another
 * point, appending to the same session, so a round also reads what the crashed rounds left.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { buildWorker } from './support/processes.js';

/** Runs the writer until it has printed `count` resolved appends, then SIGKILLs it; returns them. */
async function killAfter(script: string, dir: string, mode: string, count: number): Promise<string[]> {
  const proc = spawn(process.execPath, [script, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const resolved: string[] = [];
  const exit = new Promise<NodeJS.Signals | null>((done) => proc.on('exit', (_code, signal) => done(signal)));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line === 'ready') return;
    resolved.push(line);
    if (resolved.length === count) proc.kill('SIGKILL');
  });
  const signal = await exit;
  if (signal !== 'SIGKILL') throw new Error(`the writer ended by itself (${signal}):\n${stderr}`);
  return resolved;
}

describe('an embedded database whose process is killed', () => {
  let writer: Awaited<ReturnType<typeof buildWorker>>;
  beforeAll(async () => {
    writer = await buildWorker('kill-child.ts');
  }, 60_000);
  afterAll(() => writer?.remove());

  for (const mode of ['sync', 'async'] as const) {
    it(`keeps every write that resolved before SIGKILL, in order (${mode})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'agent-sessions-crash-'));
      try {
        const resolved: string[] = [];
        for (const count of [40, 25, 60]) {
          const round = await killAfter(writer.path, dir, mode, count);
          // Lines already in the pipe when the signal landed come after the count: resolved too.
          expect(round.length).toBeGreaterThanOrEqual(count);
          resolved.push(...round);
          const svc = await PostgresSessionService.create({ dataDir: dir });
          try {
            const key = { appName: 'crash', userId: 'u', sessionId: 's' };
            const stored = (await svc.getSession(key))!.events.map((e) => e.id);
            // What resolved is there, in the order it resolved; an append the kill cut short
            // after it was written may follow each round's last.
            expect(stored.filter((id) => resolved.includes(id))).toEqual(resolved);
            expect(stored.length - resolved.length).toBeLessThanOrEqual(3);
            // The user state holds the last resolved append's id, or one written after it.
            const state = await svc.listUserStates({ appName: 'crash', userId: 'u' });
            const last = new TextDecoder().decode(state.n);
            expect(stored.indexOf(last)).toBeGreaterThanOrEqual(stored.indexOf(resolved.at(-1)!));
          } finally {
            await svc.close();
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 300_000);
  }
});
