/**
 * Asynchronous appends that resolved survive the process ending without close() (issue 15, item
 * 4), with `flushOnExit: true`: on SIGTERM and SIGINT (the process still ends by that signal) and
 * when it runs out of work (`beforeExit`). Each exit path runs in a child process; the table is
 * checked row by row afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExitConfig } from './support/exit-child.js';
import { buildWorker, runScript } from './support/processes.js';
import {
  createTestSchema,
  describeServer,
  randomName,
  serverUrl,
  type TestSchema,
} from './support/server.js';

const COUNT = 400;

async function runChild(path: string, config: ExitConfig) {
  const { code, signal, stdout, stderr } = await runScript(path, config);
  const line = stdout.split('\n').find((l) => l.startsWith('{"appended"'));
  return { code, signal, appended: line ? (JSON.parse(line).appended as string[]) : [], stderr };
}

describeServer('flushOnExit', () => {
  let db: TestSchema;
  let child: Awaited<ReturnType<typeof buildWorker>>;
  beforeAll(async () => {
    [db, child] = await Promise.all([createTestSchema(), buildWorker('exit-child.ts')]);
    await (await db.service(randomName('init'))).close();
  }, 60_000);
  afterAll(async () => {
    child?.remove();
    await db?.drop();
  });

  for (const end of ['SIGTERM', 'SIGINT', 'beforeExit'] as const) {
    it(`stores every resolved append when the process ends by ${end}, and ends as it would have`, async () => {
      const sessionId = randomName('exit');
      const appName = randomName('app');
      const result = await runChild(child.path, {
        dsn: serverUrl!,
        schema: db.name,
        appName,
        sessionId,
        count: COUNT,
        end,
        flushOnExit: true,
      });
      expect(result.appended, result.stderr).toHaveLength(COUNT);
      if (end === 'beforeExit') {
        expect(result).toMatchObject({ code: 0, signal: null });
      } else {
        // The signal keeps its meaning: the process is ended by it, after the drain.
        expect(result.signal).toBe(end);
      }
      const { rows } = await db.admin.query<{ id: string }>(
        `SELECT event->>'id' AS id FROM "${db.name}".session_events
         WHERE app_name = $1 AND session_id = $2 AND deleted_at IS NULL`,
        [appName, sessionId],
      );
      expect(rows.map((r) => r.id).sort()).toEqual([...result.appended].sort());
    }, 60_000);
  }
});
