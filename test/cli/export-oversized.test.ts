/**
 * `agent-sessions export` never writes a line that import would refuse as too long: such a
 * session is named in the error (exit 1), and every other session is exported, to a file that
 * imports whole. The line limit is lowered for the test (MAX_LINE_BYTES_TEST_ENV), as in the
 * import tests, so no 256 MiB session has to be made.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES_TEST_ENV } from '../../src/cli/records/jsonl-lines.js';
import {
  cli,
  emptySessionRecord,
  ensureBuilt,
  expectOneLineError,
  lines,
  ok,
  STEP_TIMEOUT_MS,
  tempDir,
} from './support.js';

let dir: ReturnType<typeof tempDir>;
const LONG_ID = `long-${'x'.repeat(200)}`;

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('agent-sessions-export-oversized-');
  const records = ['a', LONG_ID, 'b'].map((sessionId) =>
    JSON.stringify(emptySessionRecord({ appName: 'big', userId: 'u', sessionId })),
  );
  writeFileSync(join(dir.path, 'in.jsonl'), `${records.join('\n')}\n`);
  ok(await cli(['import', '--data-dir', 'db', 'in.jsonl'], { cwd: dir.path }));
}, STEP_TIMEOUT_MS);

afterAll(() => dir?.remove());

describe('agent-sessions export and lines import would refuse', () => {
  it(
    'names the session whose line is too long, exports the others, and the file imports whole',
    async () => {
      // The longest line that still fits: one of the short sessions exported on its own.
      const short = ok(await cli(['export', '--data-dir', 'db'], { cwd: dir.path }));
      const limit = Math.max(
        ...lines(short.stdout)
          .map((l) => Buffer.byteLength(l))
          .filter((n) => n < 400),
      );
      const longLine = lines(short.stdout).find((l) => l.includes(LONG_ID))!;
      const env = { [MAX_LINE_BYTES_TEST_ENV]: String(limit) };

      const result = await cli(['export', '--data-dir', 'db', '-o', 'out.jsonl'], { cwd: dir.path, env });
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe(
        `agent-sessions: error: 1 session was not exported: a line longer than import reads (${limit} bytes) could not be restored: big u ${LONG_ID} (${Buffer.byteLength(longLine)} bytes); exported the other 2 sessions with 0 events to out.jsonl`,
      );
      const written = lines(readFileSync(join(dir.path, 'out.jsonl'), 'utf8'));
      expect(written.map((l) => JSON.parse(l).sessionId)).toEqual(['a', 'b']);

      ok(await cli(['import', '--data-dir', 'copy', 'out.jsonl'], { cwd: dir.path, env }));
      const copy = ok(await cli(['export', '--data-dir', 'copy'], { cwd: dir.path }));
      expect(lines(copy.stdout)).toEqual(written);
    },
    4 * STEP_TIMEOUT_MS,
  );

  it(
    'to stdout too: the other lines are written and the exit code says some were left out',
    async () => {
      const all = ok(await cli(['export', '--data-dir', 'db'], { cwd: dir.path }));
      const longLine = lines(all.stdout).find((l) => l.includes(LONG_ID))!;
      const env = { [MAX_LINE_BYTES_TEST_ENV]: String(Buffer.byteLength(longLine) - 1) };
      const result = await cli(['export', '--data-dir', 'db'], { cwd: dir.path, env });
      expect(expectOneLineError(result)).toMatch(
        /^agent-sessions: error: 1 session was not exported: .* big u long-x+ \(\d+ bytes\); exported the other 2 sessions with 0 events$/,
      );
      expect(lines(result.stdout).map((l) => JSON.parse(l).sessionId)).toEqual(['a', 'b']);
    },
    2 * STEP_TIMEOUT_MS,
  );
});
