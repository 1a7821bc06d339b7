/**
 * The embedded database a service opens itself (`dataDir`): kept on disk between services and
 * runs, closed by close() so a script exits by itself, and one process at a time per directory.
 * The child processes run a script of this file's, bundled by test/support/line-child.ts.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { lockPathOf } from '../../src/sql/pglite-lock.js';
import { bundleChildScript, type ChildScript, spawnLineChild } from '../support/line-child.js';

// The child: opens a service on the directory given, writes one session, prints what happened,
// and waits for a line on stdin before closing (so the parent can try the directory meanwhile).
const CHILD = `
import { createInterface } from 'node:readline';
import { PostgresSessionService } from './src/postgres/service.ts';
const [dataDir, mode] = process.argv.slice(2);
try {
  const service = await PostgresSessionService.create({ dataDir });
  await service.createSession({ appName: 'embedded', userId: 'child' });
  console.log(JSON.stringify({ opened: true }));
  if (mode === 'hold') await new Promise((done) => createInterface({ input: process.stdin }).once('line', done));
  await service.close();
  console.log(JSON.stringify({ closed: true }));
} catch (error) {
  console.log(JSON.stringify({ code: error.code, message: error.message }));
}
`;

/** Runs the child on a data directory (`once`: open, write, close; `hold`: close on a line). */
const run = (script: ChildScript, args: string[]) => spawnLineChild(process.execPath, [script.path, ...args]);

describe('an embedded database in a data directory (dataDir)', () => {
  let script: ChildScript;
  let dir: string;
  beforeAll(async () => {
    script = await bundleChildScript(CHILD, 'agent-sessions-embedded-');
    dir = script.dir;
  }, 120_000);
  afterAll(() => script?.remove());

  it('keeps sessions on disk from one service to the next, and releases the directory on close()', async () => {
    const dataDir = join(dir, 'kept');
    const first = await PostgresSessionService.create({ dataDir });
    const session = await first.createSession({ appName: 'embedded', userId: 'u' });
    await first.close();
    const second = await PostgresSessionService.create({ dataDir });
    try {
      const again = await second.getSession({ appName: 'embedded', userId: 'u', sessionId: session.id });
      expect(again?.id).toBe(session.id);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('refuses a second opener in the same process with a CONFIG error, until the first closes', async () => {
    const dataDir = join(dir, 'twice');
    const first = await PostgresSessionService.create({ dataDir });
    try {
      const error = await PostgresSessionService.create({ dataDir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string }).code).toBe('CONFIG');
      expect((error as Error).message).toMatch(/dataDir.*already open in this process/);
    } finally {
      await first.close();
    }
    await (await PostgresSessionService.create({ dataDir })).close();
  }, 120_000);

  it('lets a script exit by itself once its service is closed', async () => {
    const child = run(script, [join(dir, 'exits'), 'once']);
    expect(await child.next()).toEqual({ opened: true });
    expect(await child.next()).toEqual({ closed: true });
    const closedAt = Date.now();
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    // Nothing (a PGlite instance, a timer) kept the process alive after close().
    expect(exit.at - closedAt).toBeLessThan(5_000);
  }, 120_000);

  it('gives a second process on the same directory a clear error instead of opening it', async () => {
    const dataDir = join(dir, 'shared');
    const holder = run(script, [dataDir, 'hold']);
    try {
      expect(await holder.next()).toEqual({ opened: true });
      const second = run(script, [dataDir, 'once']);
      const refused = await second.next();
      expect(refused.code).toBe('CONFIG');
      expect(refused.message).toContain(`already open in process ${holder.child.pid}`);
      expect((await second.exited).code).toBe(0);
      holder.child.stdin!.end('close\n');
      expect(await holder.next()).toEqual({ closed: true });
      expect((await holder.exited).code).toBe(0);
    } finally {
      holder.child.kill();
    }
    // Once the holder has closed, the directory is free again, with what it wrote.
    const service = await PostgresSessionService.create({ dataDir });
    try {
      expect((await service.listSessions({ appName: 'embedded', userId: 'child' })).length).toBe(1);
    } finally {
      await service.close();
    }
  }, 180_000);

  it('takes over the lock of a process that died without closing', async () => {
    const dataDir = join(dir, 'stale');
    const dead = spawn(process.execPath, ['-e', '0']);
    const pid = dead.pid!;
    await new Promise((done) => dead.on('exit', done));
    writeFileSync(lockPathOf(dataDir), String(pid));
    const service = await PostgresSessionService.create({ dataDir });
    await service.close();
  }, 120_000);
});
