/**
 * flushOnExit when the stop signal comes twice (Ctrl-C pressed twice, a supervisor repeating
 * SIGTERM) while the drain cannot finish because the database stopped answering: the process
 * ends at once by that signal, and before it does, onError is told how many accepted writes were
 * not stored. Runs in a child process behind a proxy that the test freezes.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExitTwiceConfig } from './support/exit-twice-child.js';
import { buildWorker } from './support/processes.js';
import { proxyTestServer, type TestServerProxy } from './support/proxy.js';
import { createTestSchema, describeServer, type TestSchema } from './support/server.js';

const COUNT = 20;

describeServer('flushOnExit with a repeated signal', () => {
  let db: TestSchema;
  let proxy: TestServerProxy;
  let child: Awaited<ReturnType<typeof buildWorker>>;
  beforeAll(async () => {
    [db, proxy, child] = await Promise.all([
      createTestSchema(),
      proxyTestServer(),
      buildWorker('exit-twice-child.ts'),
    ]);
    await (await db.service('exit-twice-init')).close();
  }, 60_000);
  afterAll(async () => {
    child?.remove();
    proxy?.thaw();
    await proxy?.close();
    await db?.drop();
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`ends at once on a second ${signal} during the drain, after reporting what was not stored`, async () => {
      const config: ExitTwiceConfig = { dsn: proxy.dsn, schema: db.name, count: COUNT };
      const proc = spawn(process.execPath, [child.path, JSON.stringify(config)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const exited = new Promise<NodeJS.Signals | null>((done) => proc.on('exit', (_code, s) => done(s)));
      const lines = createInterface({ input: proc.stdout });
      const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
      expect(await next()).toBe('ready');
      proxy.freeze();
      try {
        proc.stdin.write('go\n');
        expect(await next()).toBe('appended');
        proc.kill(signal);
        // The drain is stuck on the frozen database (it would retry for up to a minute).
        await new Promise((resolve) => setTimeout(resolve, 300));
        const started = Date.now();
        proc.kill(signal);
        expect(await exited).toBe(signal);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(stderr).toContain(
          `flushOnExit: ${signal} received again while draining; ending now: ${COUNT} accepted writes were not stored`,
        );
      } finally {
        proxy.thaw();
        proxy.cutAll();
      }
    }, 60_000);
  }
});
