/**
 * `agent-sessions export` never writes a line that import would refuse as too long: such a
 * session is named in the error (exit 1), and every other session is exported, to a file that
 * imports whole, with the app and user state the left-out line carried moved to the next line of
 * that app and user. The line limit is lowered for the test (MAX_LINE_BYTES_TEST_ENV), as in the
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
  RECORD_TIME,
  STEP_TIMEOUT_MS,
  tempDir,
} from './support.js';

let dir: ReturnType<typeof tempDir>;
// The first session of its app and user in an export's order: its line carries their state.
const LONG_ID = `a-long-${'x'.repeat(200)}`;
const row = (key: string, value: string) => ({
  key,
  value,
  createdAt: RECORD_TIME,
  updatedAt: RECORD_TIME,
  expiresAt: null,
  deletedAt: null,
});
const APP_STATE = [row('plan', 'pro')];
const USER_STATE = [row('lang', 'en')];

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('agent-sessions-export-oversized-');
  const records = [LONG_ID, 'b', 'c'].map((sessionId, i) =>
    JSON.stringify(
      emptySessionRecord(
        { appName: 'big', userId: 'u', sessionId },
        i === 0 ? { appState: APP_STATE, userState: USER_STATE } : {},
      ),
    ),
  );
  writeFileSync(join(dir.path, 'in.jsonl'), `${records.join('\n')}\n`);
  ok(await cli(['import', '--data-dir', 'db', 'in.jsonl'], { cwd: dir.path }));
}, STEP_TIMEOUT_MS);

afterAll(() => dir?.remove());

/** A limit one byte short of the long session's line. */
async function limitBelowLongLine(): Promise<{ limit: number; longLine: string }> {
  const all = ok(await cli(['export', '--data-dir', 'db'], { cwd: dir.path }));
  const longLine = lines(all.stdout).find((l) => l.includes(LONG_ID))!;
  return { limit: Buffer.byteLength(longLine) - 1, longLine };
}

describe('agent-sessions export and lines import would refuse', () => {
  it(
    'names the session whose line is too long, exports the others with its app and user state, and the file imports whole',
    async () => {
      const { limit, longLine } = await limitBelowLongLine();
      const env = { [MAX_LINE_BYTES_TEST_ENV]: String(limit) };
      const result = await cli(['export', '--data-dir', 'db', '-o', 'out.jsonl'], { cwd: dir.path, env });
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe(
        `agent-sessions: error: 1 session was not exported: a line longer than import reads (${limit} bytes) could not be restored: big u ${LONG_ID} (${Buffer.byteLength(longLine)} bytes); exported the other 2 sessions with 0 events to out.jsonl`,
      );
      const written = lines(readFileSync(join(dir.path, 'out.jsonl'), 'utf8')).map((l) => JSON.parse(l));
      expect(written.map((r) => r.sessionId)).toEqual(['b', 'c']);
      expect(written[0].appState).toEqual(APP_STATE);
      expect(written[0].userState).toEqual(USER_STATE);
      expect(written[1].appState).toBeUndefined();

      ok(await cli(['import', '--data-dir', 'copy', 'out.jsonl'], { cwd: dir.path, env }));
      const copy = ok(await cli(['export', '--data-dir', 'copy'], { cwd: dir.path }));
      expect(lines(copy.stdout).map((l) => JSON.parse(l))).toEqual(written);
    },
    4 * STEP_TIMEOUT_MS,
  );

  it(
    'to stdout too: the other lines are written and the exit code says some were left out',
    async () => {
      const { limit } = await limitBelowLongLine();
      const env = { [MAX_LINE_BYTES_TEST_ENV]: String(limit) };
      const result = await cli(['export', '--data-dir', 'db'], { cwd: dir.path, env });
      expect(expectOneLineError(result)).toMatch(
        /^agent-sessions: error: 1 session was not exported: .* big u a-long-x+ \(\d+ bytes\); exported the other 2 sessions with 0 events$/,
      );
      expect(lines(result.stdout).map((l) => JSON.parse(l).sessionId)).toEqual(['b', 'c']);
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'says so when the state a left-out line carried has no other line of its app and user to go on',
    async () => {
      // Every line is longer than this: no line is left for the state to go on.
      const alone = await cli(['export', '--data-dir', 'db', '--app', 'big'], {
        cwd: dir.path,
        env: { [MAX_LINE_BYTES_TEST_ENV]: String(200) },
      });
      expect(expectOneLineError(alone)).toContain(
        '3 sessions were not exported, nor the state of app big, user big u, which only they carried:',
      );
      expect(alone.stdout).toBe('');
    },
    2 * STEP_TIMEOUT_MS,
  );
});
