/**
 * Stored text cannot drive the operator's terminal: `ls` and `show` print control characters of
 * stored names, messages, state, summaries and tracks as visible escapes (see safe-text.ts), and
 * `--json` writes the ones JSON.stringify leaves raw as \u escapes.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeJson, safeLines, safeText } from '../../src/cli/output/safe-text.js';
import { renderTable } from '../../src/cli/output/table.js';
import { renderSession } from '../../src/cli/output/transcript.js';
import { createEvent } from '../../src/index.js';
import { PostgresSessionService } from '../../src/postgres/index.js';
import type { Session } from '../../src/session/session.js';
import { BUILD_TIMEOUT_MS, cli, ensureBuilt, ok, STEP_TIMEOUT_MS, tempDir } from './support.js';

/** Every character a terminal acts on, but the line feed (allowed in multi-line text). */
const CONTROL_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** One of each class: ESC sequences (clear, title, OSC 8 link), BEL, CR, BS, DEL, C1, bidi. */
const EVIL =
  '\u001b[2J\u001b]0;title\u0007\u001b]8;;http://evil\u0007text\u001b]8;;\u0007' +
  'a\rb\bc\u007f\u009b31m\u0085\u202eevil\u202c\u2066x\u2069\u200e\u200f\u061c';
/** EVIL as shown. */
const EVIL_SHOWN =
  '\\x1b[2J\\x1b]0;title\\x07\\x1b]8;;http://evil\\x07text\\x1b]8;;\\x07' +
  'a\\rb\\x08c\\x7f\\u009b31m\\u0085\\u202eevil\\u202c\\u2066x\\u2069\\u200e\\u200f\\u061c';

/** Strings with control characters mixed into ordinary text of many scripts. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...EVIL),
    fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('é', 'ß', '日本', 'Привет', 'مرحبا', 'שלום', '👩‍💻', '🇵🇹', '\\', '"'),
    fc.string({ unit: 'grapheme' }),
  ),
});

describe('safeText', () => {
  it('shows each class of control character as a visible escape', () => {
    expect(safeText(EVIL)).toBe(EVIL_SHOWN);
    expect(safeText('\u0000\u0001\u001f\t\n\u0080\u009f\u202a\u202d\u2067\u2068')).toBe(
      '\\x00\\x01\\x1f\\t\\n\\u0080\\u009f\\u202a\\u202d\\u2067\\u2068',
    );
  });

  it('keeps ordinary text of any language, emoji and backslashes as they are', () => {
    const ordinary = 'Olá, 日本語, Привет, مرحبا, שלום, 👩‍💻 🇵🇹, C:\\path {"a":"b\\n"} ~';
    expect(safeText(ordinary)).toBe(ordinary);
    expect(safeLines(ordinary)).toBe(ordinary);
    expect(safeJson(JSON.stringify(ordinary))).toBe(JSON.stringify(ordinary));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        fc.pre(!CONTROL.test(text));
        expect(safeText(text)).toBe(text);
        expect(safeLines(text)).toBe(text);
      }),
    );
  });

  it('never lets a control character through; safeLines keeps only line feeds', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(safeText(text)).not.toMatch(CONTROL);
        const lines = safeLines(text);
        expect(lines).not.toMatch(CONTROL_BUT_NEWLINE);
        // The line breaks are the text's own, each in its place.
        expect(lines.split('\n').map(safeText)).toEqual(text.split('\n').map(safeText));
      }),
      { numRuns: 500 },
    );
  });
});

describe('safeJson', () => {
  it('writes DEL, C1 and bidi controls as \\u escapes and keeps the parsed value', () => {
    expect(safeJson(JSON.stringify({ k: EVIL }))).not.toMatch(CONTROL);
    fc.assert(
      fc.property(fc.jsonValue(), hostile, (value, text) => {
        const doc = { [text]: [value, text, { text }] };
        for (const json of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
          const safe = safeJson(json);
          expect(safe.replace(/\n/g, '')).not.toMatch(CONTROL);
          expect(JSON.parse(safe)).toEqual(JSON.parse(json));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('rendering', () => {
  const colors = pc.createColors(true);
  /** Our colours: SGR sequences only. */
  const withoutColors = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

  it('escapes table cells before measuring and colouring them', () => {
    const table = renderTable(
      [
        { header: 'NAME', value: (r: { name: string; n: string }) => r.name, color: (t) => colors.bold(t) },
        { header: 'N', value: (r) => r.n, align: 'right' },
      ],
      [
        { name: `x${EVIL}`, n: '1' },
        { name: 'y', n: '22' },
      ],
      colors,
    );
    expect(table).toMatch(/^\u001b\[1mNAME +\u001b\[22m/);
    const plain = withoutColors(table);
    expect(plain).not.toMatch(CONTROL_BUT_NEWLINE);
    const rows = plain.split('\n');
    expect(rows[1]).toBe(`x${EVIL_SHOWN}   1`);
    // The columns line up on what is shown.
    expect(rows.map((r) => r.length)).toEqual([rows[1]!.length, rows[1]!.length, rows[1]!.length]);
  });

  it('escapes every stored string of a transcript, keeping our colours', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const session: Session = {
      id: `s${EVIL}`,
      appName: `app${EVIL}`,
      userId: `u${EVIL}`,
      state: { [`k${EVIL}`]: new TextEncoder().encode(EVIL) },
      events: [
        createEvent({ author: EVIL, now: at, message: { role: 'assistant', content: `line\n${EVIL}` } }),
      ],
      tracks: { [`t${EVIL}`]: { events: [{ track: `t${EVIL}`, payload: { s: EVIL }, timestamp: at }] } },
      summaries: {},
      createdAt: at,
      updatedAt: at,
    } as unknown as Session;
    const text = renderSession(session, { colors, width: 100 });
    expect(text).toContain(colors.bold('Session'));
    expect(withoutColors(text)).not.toMatch(CONTROL_BUT_NEWLINE);
    expect(withoutColors(text)).toContain(`app${EVIL_SHOWN}`);
  });
});

describe('agent-sessions ls and show on hostile stored values', () => {
  const dir = tempDir('agent-sessions-terminal-safety-');
  const dataDir = join(dir.path, 'db');
  const app = `app${EVIL}`;
  const user = `user${EVIL}`;
  const sessionId = `s${EVIL}`;
  const encode = (text: string) => new TextEncoder().encode(text);
  const run = async (args: string[], env: Record<string, string> = {}) =>
    ok(await cli([...args, '--data-dir', dataDir], { cwd: dir.path, env })).stdout;

  beforeAll(async () => {
    ensureBuilt();
    const svc = await PostgresSessionService.create({
      dataDir,
      summarizer: { shouldSummarize: () => true, summarize: async () => `summary\n${EVIL}` },
    });
    try {
      const session = await svc.createSession(
        { appName: app, userId: user, sessionId },
        { [`k${EVIL}`]: encode(EVIL) },
      );
      await svc.updateAppState(app, { [`a${EVIL}`]: encode(EVIL) });
      await svc.updateUserState({ appName: app, userId: user }, { [`u${EVIL}`]: encode(EVIL) });
      await svc.appendEvent(
        session,
        createEvent({ author: 'user', message: { role: 'user', content: `hello\n${EVIL}` } }),
      );
      await svc.appendEvent(
        session,
        createEvent({
          author: `agent${EVIL}`,
          message: {
            role: 'assistant',
            content: `text${EVIL}`,
            reasoning_content: `thinking${EVIL}`,
            tool_calls: [
              {
                type: 'function',
                id: 'call1',
                function: { name: `tool${EVIL}`, arguments: JSON.stringify({ q: EVIL }) },
              },
            ],
          },
          error: { type: `type${EVIL}`, message: `error${EVIL}` },
        }),
      );
      await svc.appendEvent(
        session,
        createEvent({
          author: 'tool',
          message: { role: 'tool', tool_id: 'call1', tool_name: `tool${EVIL}`, content: `result${EVIL}` },
        }),
      );
      await svc.appendTrackEvent(session, {
        track: `track${EVIL}`,
        payload: { s: EVIL },
        timestamp: new Date(),
      });
      await svc.createSessionSummary(session, '', true);
    } finally {
      await svc.close();
    }
  }, BUILD_TIMEOUT_MS);

  afterAll(() => dir.remove());

  /** Nothing of the content reaches the terminal raw, and the content is shown (escaped). */
  function expectSafe(stdout: string, ...shown: string[]): void {
    expect(stdout).not.toMatch(CONTROL_BUT_NEWLINE);
    for (const text of shown) expect(stdout).toContain(text);
  }

  it(
    'ls lists apps, users and sessions with their names escaped',
    async () => {
      expectSafe(await run(['ls']), `app${EVIL_SHOWN}`);
      expectSafe(await run(['ls', '--app', app]), `user${EVIL_SHOWN}`);
      expectSafe(await run(['ls', '--app', app, '--user', user]), `s${EVIL_SHOWN}`);
      // --user alone adds an APP column.
      expectSafe(await run(['ls', '--user', user, '--all']), `app${EVIL_SHOWN}`, `s${EVIL_SHOWN}`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'ls --json writes the names as \\u escapes that parse back to the stored names',
    async () => {
      const apps = await run(['ls', '--json']);
      expectSafe(apps);
      expect(JSON.parse(apps)).toMatchObject([{ appName: app }]);
      const users = await run(['ls', '--json', '--app', app]);
      expectSafe(users);
      expect(JSON.parse(users)).toMatchObject([{ userId: user }]);
      const sessions = await run(['ls', '--json', '--app', app, '--user', user]);
      expectSafe(sessions);
      expect(JSON.parse(sessions)).toMatchObject([{ appName: app, userId: user, sessionId }]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'show prints the transcript, state, summary and tracks with control characters escaped',
    async () => {
      const stdout = await run(['show', app, user, sessionId]);
      // Long lines are wrapped: the start of each escaped value is enough to find it.
      const start = EVIL_SHOWN.slice(0, 24);
      expectSafe(
        stdout,
        `Session app${EVIL_SHOWN} / user${EVIL_SHOWN} / s${EVIL_SHOWN}`,
        'hello\n',
        'agent\\x1b[2J',
        `→ tool${start}`,
        `← tool${start}`,
        `type${start}`,
        `(thinking) thinking${start}`,
        `k${EVIL_SHOWN} = ${start}`,
        `app:a${EVIL_SHOWN} = ${start}`,
        `user:u${EVIL_SHOWN} = ${start}`,
        `track${EVIL_SHOWN} (1 event)`,
        `{"s":"\\u001b[2J`,
        'summary\n',
      );
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'show keeps our colours, and only ours, on a terminal',
    async () => {
      const stdout = await run(['show', app, user, sessionId], { FORCE_COLOR: '1', NO_COLOR: '' });
      expect(stdout).toMatch(/\u001b\[1mSession/);
      expectSafe(stdout.replace(/\u001b\[[0-9;]*m/g, ''), `app${EVIL_SHOWN}`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'show --json escapes what JSON.stringify leaves raw and parses back to the stored values',
    async () => {
      const stdout = await run(['show', app, user, sessionId, '--json']);
      expectSafe(stdout);
      const doc = JSON.parse(stdout);
      expect(doc).toMatchObject({ appName: app, userId: user, sessionId });
      expect(doc.state).toMatchObject({
        [`k${EVIL}`]: EVIL,
        [`app:a${EVIL}`]: EVIL,
        [`user:u${EVIL}`]: EVIL,
      });
      const texts = JSON.stringify(doc.events);
      for (const text of [`hello\n${EVIL}`, `tool${EVIL}`, `result${EVIL}`, `agent${EVIL}`]) {
        expect(texts).toContain(JSON.stringify(text).slice(1, -1));
      }
      expect(Object.values(doc.summaries)).toMatchObject([{ summary: `summary\n${EVIL}` }]);
      expect(doc.tracks[`track${EVIL}`]).toMatchObject([{ payload: { s: EVIL } }]);
    },
    STEP_TIMEOUT_MS,
  );
});
