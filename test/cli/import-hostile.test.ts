/**
 * `agent-sessions import` on hostile input: bytes that are not UTF-8, a line too long to become a
 * string, two state rows for one key. Each is refused as a one-line error naming the line, with
 * the sessions before it imported and nothing of the line written, from a file and from stdin.
 */
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, MAX_LINE_BYTES_TEST_ENV } from '../../src/cli/records/jsonl-lines.js';
import {
  cli,
  emptySessionRecord,
  ensureBuilt,
  expectOneLineError,
  ok,
  RECORD_TIME,
  type RunResult,
  STEP_TIMEOUT_MS,
  tempDir,
  withPglite,
} from './support.js';

const T = RECORD_TIME;
const ERROR = 'agent-sessions: error: ';

let dir: ReturnType<typeof tempDir>;
let dbDir: string;
const flags = () => ['--data-dir', dbDir];

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('agent-sessions-import-hostile-');
  dbDir = join(dir.path, 'db');
  ok(await cli(['migrate', ...flags()], { cwd: dir.path }));
}, STEP_TIMEOUT_MS);

afterAll(() => dir?.remove());

/** A valid export line (no newline); `sessionId` may hold raw bytes. */
function line(fields: Record<string, unknown>, sessionIdBytes?: Uint8Array): Buffer {
  const json = JSON.stringify(
    emptySessionRecord({ appName: 'hostile', userId: 'u', sessionId: 'HOLE' }, fields),
  );
  if (sessionIdBytes === undefined) return Buffer.from(json);
  const [before, after] = json.split('HOLE') as [string, string];
  return Buffer.concat([Buffer.from(before), sessionIdBytes, Buffer.from(after)]);
}

const bytes = (...b: number[]) => Buffer.from(b);
const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
const LF = bytes(0x0a);
const CRLF = bytes(0x0d, 0x0a);

/** Runs `agent-sessions import` with `input` piped to stdin. */
function importStdin(input: Uint8Array, env: Record<string, string> = {}): Promise<RunResult> {
  return cli(['import', ...flags()], { cwd: dir.path, env, input });
}

/** Imports `input` from a file named `name` in the temp directory. */
async function importFile(
  name: string,
  input: Uint8Array,
  env: Record<string, string> = {},
): Promise<RunResult> {
  const path = join(dir.path, name);
  writeFileSync(path, input);
  try {
    return await cli(['import', name, ...flags()], { cwd: dir.path, env });
  } finally {
    rmSync(path);
  }
}

/** The stored session ids of `appName`, by user id. */
function sessionsOf(appName: string): Promise<Record<string, string>> {
  return withPglite(dbDir, async (db) => {
    const { rows } = await db.query<{ user_id: string; session_id: string }>(
      'SELECT user_id, session_id FROM session_states WHERE app_name = $1',
      [appName],
    );
    return Object.fromEntries(rows.map((r) => [r.user_id, r.session_id]));
  });
}

/** The stored session ids and event ids of `appName`. */
function storedOf(appName: string): Promise<{ sessions: string[]; events: string[] }> {
  return withPglite(dbDir, async (db) => {
    const sessions = await db.query<{ session_id: string }>(
      'SELECT session_id FROM session_states WHERE app_name = $1',
      [appName],
    );
    const events = await db.query<{ id: string }>(
      "SELECT event->>'id' AS id FROM session_events WHERE app_name = $1",
      [appName],
    );
    return { sessions: sessions.rows.map((r) => r.session_id), events: events.rows.map((r) => r.id) };
  });
}

/** Every invalid form: the bytes of line 2 (line 1 is a valid session of user `<name>-<how>`). */
const INVALID_UTF8: Record<string, (user: string) => Buffer> = {
  'a lone continuation byte': (u) => line({ userId: u }, bytes(0x73, 0x80, 0x78)),
  'an overlong 2-byte form (C0 AF)': (u) => line({ userId: u }, bytes(0x73, 0xc0, 0xaf)),
  'an overlong 3-byte form (E0 80 AF)': (u) => line({ userId: u }, bytes(0x73, 0xe0, 0x80, 0xaf)),
  'a UTF-8 encoded surrogate (ED A0 80)': (u) => line({ userId: u }, bytes(0x73, 0xed, 0xa0, 0x80)),
  'a sequence cut short inside the line': (u) => line({ userId: u }, bytes(0x73, 0xe2, 0x82, 0x78)),
  'a sequence cut short by the end of the line': (u) =>
    cat(line({ userId: u, sessionId: 'eol' }), bytes(0xe2, 0x82)),
  'the byte F5': (u) => line({ userId: u }, bytes(0x73, 0xf5, 0x80, 0x80, 0x80)),
  'the byte FF': (u) => line({ userId: u }, bytes(0x73, 0xff)),
};

describe('agent-sessions import refuses invalid UTF-8', () => {
  // Every form from a file; from stdin too for the first two (stdin and a file share the reader,
  // and each run is a process of its own).
  for (const [i, [form, badLine]] of Object.entries(INVALID_UTF8).entries()) {
    const ways = [
      ['file', (input: Buffer) => importFile('bad.jsonl', input)],
      ['stdin', (input: Buffer) => importStdin(input)],
    ] as const;
    const used = i < 2 ? ways : ways.slice(0, 1);
    it(
      `holding ${form}, from ${used.map(([how]) => how).join(' and from ')}`,
      async () => {
        const user = form.replace(/\W+/g, '-');
        for (const [how, run] of used) {
          // Line 1 ends in CRLF, still accepted; the bad line is followed by a valid one.
          const input = cat(
            line({ userId: `${user}-${how}`, sessionId: 'good' }),
            CRLF,
            badLine(`${user}-${how}-bad`),
            LF,
            line({ userId: `${user}-${how}-after`, sessionId: 'after' }),
            LF,
          );
          const message = expectOneLineError(await run(input));
          const name = how === 'file' ? 'bad.jsonl' : 'stdin';
          expect(message).toBe(
            `${ERROR}${name} line 2: is not valid UTF-8 (the 1 session before it was imported)`,
          );
        }
        // Line 1 of each run is stored as it was; nothing of line 2 (nor line 3).
        const stored = await sessionsOf('hostile');
        expect(
          Object.entries(stored)
            .filter(([u]) => u.startsWith(`${user}-`))
            .sort(),
        ).toEqual(used.map(([how]) => [`${user}-${how}`, 'good']));
      },
      2 * STEP_TIMEOUT_MS,
    );
  }

  it(
    'cut short by the end of the input, from a file and from stdin',
    async () => {
      for (const [how, name] of [
        ['file', 'bad.jsonl'],
        ['stdin', 'stdin'],
      ] as const) {
        // The last line has no newline and ends in the first 3 bytes of a 4-byte sequence.
        const input = cat(
          line({ userId: `eof-${how}`, sessionId: 'good' }),
          LF,
          line({ userId: `eof-${how}-bad` }, bytes(0xf0, 0x9f, 0x98)),
        );
        const result = how === 'file' ? await importFile('bad.jsonl', input) : await importStdin(input);
        expect(expectOneLineError(result)).toBe(
          `${ERROR}${name} line 2: is not valid UTF-8 (the 1 session before it was imported)`,
        );
      }
      const stored = await sessionsOf('hostile');
      expect(
        Object.entries(stored)
          .filter(([u]) => u.startsWith('eof-'))
          .sort(),
      ).toEqual([
        ['eof-file', 'good'],
        ['eof-stdin', 'good'],
      ]);
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'starting with a byte order mark, said as such',
    async () => {
      const bom = bytes(0xef, 0xbb, 0xbf);
      for (const input of [cat(bom, line({ userId: 'bom' }, Buffer.from('bom')), LF), bom]) {
        expect(expectOneLineError(await importStdin(input))).toBe(
          `${ERROR}stdin line 1: starts with a byte order mark (U+FEFF), which export never writes`,
        );
      }
      expect((await sessionsOf('hostile')).bom).toBeUndefined();
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'in random bytes inserted into a valid line, and stores exactly what valid UTF-8 says',
    async () => {
      const interesting = [
        [0x80],
        [0xc0, 0xaf],
        [0xe0, 0x80, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xed, 0x9f, 0xbf],
        [0xef, 0xbf, 0xbd],
        [0xef, 0xbb, 0xbf],
        [0xe2, 0x82],
        [0xf0, 0x9f, 0x98, 0x80],
        [0xf4, 0x8f, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80],
        [0xf5],
        [0xff],
        [0x0a],
        [0x0d],
        [0x00],
        [0x22],
        [0x5c],
      ].map((b) => Buffer.from(b));
      const inserted = fc
        .array(
          fc.oneof(
            fc.uint8Array({ minLength: 1, maxLength: 4 }),
            fc.constantFrom(...interesting),
            // Valid UTF-8 (a lone surrogate encodes as EF BF BD) most often, so half the lines import.
            {
              arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }).map((s) => Buffer.from(s)),
              weight: 4,
            },
          ),
          { minLength: 1, maxLength: 4 },
        )
        .map((parts) => Buffer.concat(parts));
      const expected: Record<string, string> = {};
      let run = 0;
      await fc.assert(
        fc.asyncProperty(inserted, async (raw) => {
          const user = `p${run++}`;
          const input = cat(line({ appName: 'fuzz', userId: user }, cat(bytes(0x73), raw, bytes(0x78))), LF);
          const fromFile = run % 2 === 0;
          const result = fromFile ? await importFile('fuzz.jsonl', input) : await importStdin(input);
          // What a strict reader makes of line 1.
          const first = input.subarray(0, input.indexOf(0x0a));
          let text: string | undefined;
          try {
            text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(first);
          } catch {}
          if (result.code === 0) {
            expect(text).toBeDefined();
            const sessionId = (JSON.parse(text!) as { sessionId: string }).sessionId;
            // U+FFFD only when the input held it (encoded, or escaped as \ufffd).
            if (sessionId.includes('\ufffd')) {
              expect(raw.includes(bytes(0xef, 0xbf, 0xbd)) || /\\u[fF]{3}[dD]/.test(text!)).toBe(true);
            }
            expected[user] = sessionId;
            expect(result.stdout).toContain('Imported 1 session: 1 new');
          } else {
            const message = expectOneLineError(result);
            const name = fromFile ? 'fuzz.jsonl' : 'stdin';
            expect(message.startsWith(`${ERROR}${name} line 1: `)).toBe(true);
            if (text === undefined) expect(message).toBe(`${ERROR}${name} line 1: is not valid UTF-8`);
          }
        }),
        { numRuns: 10, endOnFailure: true },
      );
      // Exactly the sessions of the lines imported, each under the id its line spelled.
      expect(await sessionsOf('fuzz')).toEqual(expected);
    },
    20 * STEP_TIMEOUT_MS,
  );
});

describe('agent-sessions import refuses a line too long', () => {
  it(
    `over MAX_LINE_BYTES (${MAX_LINE_BYTES} bytes), from a file`,
    async () => {
      // Line 2 is MAX_LINE_BYTES + 1 bytes of spaces, written 1 MiB at a time.
      const path = join(dir.path, 'long.jsonl');
      const fd = openSync(path, 'w');
      try {
        writeSync(fd, cat(line({ appName: 'long', userId: 'before', sessionId: 'good' }), LF));
        const mib = Buffer.alloc(1024 * 1024, 0x20);
        for (let written = 0; written < MAX_LINE_BYTES; written += mib.length) writeSync(fd, mib);
        writeSync(fd, cat(Buffer.from('{}'), LF));
        closeSync(fd);
        const result = await cli(['import', 'long.jsonl', ...flags()], { cwd: dir.path });
        expect(expectOneLineError(result)).toBe(
          `${ERROR}long.jsonl line 2: is longer than 256 MiB (the 1 session before it was imported)`,
        );
      } finally {
        rmSync(path, { force: true });
      }
      expect(await sessionsOf('long')).toEqual({ before: 'good' });
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'at a limit set for the test: a line of the limit is read, one byte more is refused, from a file and from stdin',
    async () => {
      const atLimit = line({ appName: 'limit', userId: 'at' });
      const env = { [MAX_LINE_BYTES_TEST_ENV]: String(atLimit.length) };
      // JSON allows a trailing space: the same session, one byte longer.
      const input = cat(atLimit, LF, line({ appName: 'limit', userId: 'over' }), bytes(0x20), LF);
      expect(expectOneLineError(await importFile('limit.jsonl', input, env))).toBe(
        `${ERROR}limit.jsonl line 2: is longer than ${atLimit.length} bytes (the 1 session before it was imported)`,
      );
      expect(expectOneLineError(await importStdin(input, env))).toBe(
        `${ERROR}stdin line 2: is longer than ${atLimit.length} bytes (the 1 session before it was imported)`,
      );
      expect(await sessionsOf('limit')).toEqual({ at: 'HOLE' });
    },
    2 * STEP_TIMEOUT_MS,
  );
});

describe('agent-sessions import refuses two live rows for one key', () => {
  const row = (key: string, deletedAt: string | null = null) => ({
    key,
    value: 'v',
    createdAt: T,
    updatedAt: T,
    expiresAt: null,
    deletedAt,
  });
  const summary = (filterKey: string) => ({
    filterKey,
    summary: null,
    updatedAt: T,
    expiresAt: null,
    deletedAt: null,
  });

  it.each([
    ['appState', { appState: [row('k'), row('other'), row('k')] }, 'session.appState has the key "k" twice'],
    ['userState', { userState: [row('k'), row('k')] }, 'session.userState has the key "k" twice'],
    ['summaries', { summaries: [summary(''), summary('')] }, 'session.summaries has the filterKey "" twice'],
  ])(
    'in %s',
    async (field, fields, rule) => {
      const app = `dup-${field}`;
      const input = cat(
        line({ appName: app, userId: 'before' }),
        LF,
        line({ appName: app, userId: 'dup', ...fields }),
        LF,
      );
      expect(expectOneLineError(await importStdin(input))).toBe(
        `${ERROR}stdin line 2: ${rule} (the 1 session before it was imported)`,
      );
      expect(await sessionsOf(app)).toEqual({ before: 'HOLE' });
      const stateRows = await withPglite(dbDir, async (db) => {
        const app = await db.query('SELECT 1 FROM app_states WHERE app_name = $1', [`dup-${field}`]);
        const user = await db.query('SELECT 1 FROM user_states WHERE app_name = $1', [`dup-${field}`]);
        return app.rows.length + user.rows.length;
      });
      expect(stateRows).toBe(0);
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    'but not soft-deleted rows, which may share a key with each other and with a live row',
    async () => {
      const rows = [
        row('k', '2026-01-01T00:00:00.000000Z'),
        row('k'),
        row('k', '2026-01-01T00:00:01.000000Z'),
      ];
      const input = cat(line({ appName: 'dup-deleted', userId: 'u', appState: rows, userState: rows }), LF);
      const result = ok(await importStdin(input));
      expect(result.stdout).toContain('State rows written: 6.');
    },
    2 * STEP_TIMEOUT_MS,
  );
});

describe('agent-sessions import refuses a document the store could not read back', () => {
  const event = (json: string) => ({
    event: json,
    createdAt: T,
    updatedAt: T,
    expiresAt: null,
    deletedAt: null,
  });

  it.each([
    [
      'an event that is a number',
      { events: [event('{"id":"e1"}'), event('5')] },
      'session.events[1].event',
      'event: expected a JSON object, got number',
    ],
    [
      'an event id that is a number',
      { events: [event('{"id":7}')] },
      'session.events[0].event',
      'event.id: expected a string, got number',
    ],
    [
      'a state value that is not base64',
      { state: '{"state":{"k":"!!notb64"}}' },
      'session.state',
      'sessionState.state["k"]: expected standard base64, got "!!notb64"',
    ],
  ])(
    "holding %s: named by field, nothing of it written, the user's other sessions intact",
    async (what, fields, field, reason) => {
      const app = `unreadable-${what.replace(/\W+/g, '-')}`;
      const input = cat(
        line({ appName: app, userId: 'u', sessionId: 'before', events: [event('{"id":"kept"}')] }),
        LF,
        line({ appName: app, userId: 'u', sessionId: 'bad', ...fields }),
        LF,
      );
      expect(expectOneLineError(await importStdin(input))).toBe(
        `${ERROR}stdin line 2: ${field} must hold a document the store can read: ${reason} (the 1 session before it was imported)`,
      );
      expect(await storedOf(app)).toEqual({ sessions: ['before'], events: ['kept'] });
    },
    2 * STEP_TIMEOUT_MS,
  );
});

describe('agent-sessions import refuses a time the service would not write', () => {
  const event = (json: object) => ({
    event: JSON.stringify(json),
    createdAt: T,
    updatedAt: T,
    expiresAt: null,
    deletedAt: null,
  });
  const RULE =
    'must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (UTC), as the service writes';

  it.each([
    ['timestamp', { id: 'e1', timestamp: '0000-12-31T23:59:00Z' }, 'event.timestamp'],
    [
      'response timestamp',
      { id: 'e1', timestamp: T, response: { id: 'r', timestamp: '0000-06-30T12:00:00Z' } },
      'event.response.timestamp',
    ],
  ])(
    "in an event's %s: named by field, nothing of the line written; Go's zero time is taken",
    async (what, bad, path) => {
      const app = `year-zero-${what.replace(/\W+/g, '-')}`;
      const zero = '0001-01-01T00:00:00Z';
      const input = cat(
        line({
          appName: app,
          sessionId: 'before',
          events: [event({ id: 'kept', timestamp: zero, response: { id: 'r', timestamp: zero } })],
        }),
        LF,
        line({ appName: app, sessionId: 'bad', events: [event({ id: 'first', timestamp: T }), event(bad)] }),
        LF,
      );
      expect(expectOneLineError(await importStdin(input))).toBe(
        `${ERROR}stdin line 2: session.events[1].event must hold a document the service can write: ${path} ${RULE} (the 1 session before it was imported)`,
      );
      expect(await storedOf(app)).toEqual({ sessions: ['before'], events: ['kept'] });
    },
    2 * STEP_TIMEOUT_MS,
  );
});
