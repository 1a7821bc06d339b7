/**
 * The command's small parts, in process: durations, instants, wrapping, colours, one-line errors.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { restoreCommand } from '../../src/cli/commands/show.js';
import { formatDuration, parseDuration } from '../../src/cli/duration.js';
import { CliError, describeError } from '../../src/cli/errors.js';
import { wantsColor } from '../../src/cli/output/colors.js';
import { formatBytes, formatCount } from '../../src/cli/output/format.js';
import { shellWord } from '../../src/cli/output/shell-word.js';
import { wrap } from '../../src/cli/output/transcript.js';
import { debugRequested } from '../../src/cli/program.js';
import { parseInstant } from '../../src/cli/timestamps.js';
import { parseExportLine } from '../../src/postgres/admin/index.js';
import { exportedToSql } from '../../src/postgres/admin/timestamps.js';
import { ConfigError, StorageError } from '../../src/session/errors.js';

describe('AGENT_SESSIONS_DEBUG', () => {
  it('asks for stack traces when set to anything but empty, 0 or false', () => {
    for (const on of ['1', 'true', 'yes', ' 1 ']) expect(debugRequested(on), on).toBe(true);
    for (const off of [undefined, '', ' ', '0', 'false', 'FALSE'])
      expect(debugRequested(off), String(off)).toBe(false);
  });
});

describe('durations', () => {
  it('reads days, hours, minutes, seconds, milliseconds and combinations', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('15m')).toBe(15 * 60_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('1.5h')).toBe(90 * 60_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
  });

  it('refuses a bare number or an unknown unit, since guessing wrong in purge deletes data', () => {
    for (const bad of ['30', '', '3x', 'd', '1h 30m', '-1d'])
      expect(() => parseDuration(bad)).toThrow(/duration/);
  });

  it('prints a duration in its largest whole unit', () => {
    expect(formatDuration(30 * 86_400_000)).toBe('30d');
    expect(formatDuration(90 * 60_000)).toBe('90m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

describe('instants', () => {
  it('reads dates and times, UTC unless an offset is given', () => {
    expect(parseInstant('2026-01-02').toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(parseInstant('2026-01-02 03:04').toISOString()).toBe('2026-01-02T03:04:00.000Z');
    expect(parseInstant('2026-01-02T03:04:05+08:00').toISOString()).toBe('2026-01-01T19:04:05.000Z');
    expect(() => parseInstant('yesterday')).toThrow(/ISO 8601/);
    expect(() => parseInstant('2026-02-30')).toThrow();
    expect(() => parseInstant('0000-12-31')).toThrow(
      '"0000-12-31" is outside the years 0001-9999 the tables hold',
    );
    expect(() => parseInstant('9999-12-31T23:00:00-02:00')).toThrow(/outside the years 0001-9999/);
    expect(parseInstant('0001-01-01').toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });

  it('turns exported timestamps into TIMESTAMP parameters, keeping microseconds', () => {
    expect(exportedToSql('2026-01-02T03:04:05.123456Z')).toBe('2026-01-02 03:04:05.123456');
    expect(() => exportedToSql('2026-01-02T03:04:05+01:00')).toThrow();
  });
});

describe('wrapping', () => {
  it('wraps at word boundaries and keeps line breaks', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('a\nb', 10)).toEqual(['a', 'b']);
  });

  it('splits a long word (JSON) after a comma, starting on the current line', () => {
    const json = '{"city":"Lisbon","days":2,"units":"metric"}';
    const wrapped = wrap(`← get_weather ${json}`, 31);
    expect(wrapped.join('').replace('← get_weather ', '')).toBe(json);
    expect(wrapped[0]).toBe('← get_weather {"city":"Lisbon",');
    for (const line of wrapped) expect([...line].length).toBeLessThanOrEqual(31);
  });

  it('wraps a word of two million characters into its lines (a transcript download of it hung)', () => {
    const word = `${'x'.repeat(1_999_950)},"k":1`;
    const lines = wrap(`said ${word}`, 100);
    // "said" and the first 95 characters, then the other 1,999,861 in lines of 100.
    expect(lines).toHaveLength(20_000);
    expect(lines[0]).toBe(`said ${'x'.repeat(95)}`);
    expect(lines.join('')).toBe(`said ${word}`);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('wraps as the algorithm that copied the rest of a word at each cut did, on any text', () => {
    /** The previous algorithm: right, but quadratic in a long word's length. */
    const byCopying = (text: string, width: number): string[] => {
      const cutAt = (chars: string[], room: number) => {
        const comma = chars.lastIndexOf(',', room - 1);
        return comma >= room / 2 ? comma + 1 : room;
      };
      const out: string[] = [];
      for (const paragraph of text.split('\n')) {
        let line: string[] = [];
        for (const word of paragraph.split(/ +/)) {
          let chars = [...word];
          const room = width - line.length - (line.length > 0 ? 1 : 0);
          if (chars.length <= room) {
            line = line.length > 0 ? [...line, ' ', ...chars] : chars;
            continue;
          }
          if (chars.length > width && room >= 8) {
            const cut = cutAt(chars, room);
            line = line.length > 0 ? [...line, ' ', ...chars.slice(0, cut)] : chars.slice(0, cut);
            chars = chars.slice(cut);
          }
          if (line.length > 0) out.push(line.join(''));
          while (chars.length > width) {
            const cut = cutAt(chars, width);
            out.push(chars.slice(0, cut).join(''));
            chars = chars.slice(cut);
          }
          line = chars;
        }
        out.push(line.join(''));
      }
      return out;
    };
    const text = fc
      .array(fc.oneof(fc.constantFrom(' ', '  ', '\n', ',', 'x', '😀', '{"a":1,"b":2}'), fc.string()), {
        maxLength: 60,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), (input, width) => {
        expect(wrap(input, width)).toEqual(byCopying(input, width));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('colours', () => {
  it('are on for a terminal, off when piped, off with NO_COLOR, forced by FORCE_COLOR', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('error lines', () => {
  it('fold a multi-line message onto one line', () => {
    const error = new ConfigError(
      'schema',
      'the session tables do not match:\n- table a is missing\n- table b is missing',
    );
    expect(describeError(error)).toBe(
      'schema: the session tables do not match:; table a is missing; table b is missing',
    );
  });

  it('hide passwords, in URLs and given as secrets', () => {
    const error = new StorageError(
      'cannot connect (postgres://bob:pw12345@db/x): password authentication failed',
    );
    expect(describeError(error)).toContain('bob:***@db');
    expect(describeError(new CliError('failed with s3cr3tpass inside'), ['s3cr3tpass'])).not.toContain(
      's3cr3tpass',
    );
  });

  it('show control characters escaped, after hiding a password that holds one', () => {
    const line = describeError(
      new CliError('unknown session \u001b]0;owned\u0007/u\u202e/s with pw\u001bx'),
      ['pw\u001bx'],
    );
    expect(line).toBe('unknown session \\x1b]0;owned\\x07/u\\u202e/s with ***');
  });

  it('mark errors that did not come from this package as database errors and name network codes', () => {
    const refused = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
    expect(describeError(refused)).toBe('database error: connect failed (ECONNREFUSED)');
  });
});

/** The words a POSIX shell makes of `line`, `agent-sessions` replaced by a printer of its arguments. */
function shellArguments(line: string): string[] {
  const printed = execFileSync('sh', ['-c', line.replace(/^agent-sessions /, "printf '%s\\0' ")], {
    encoding: 'utf8',
  });
  return printed.split('\0').slice(0, -1);
}

describe('suggested commands', () => {
  it('quote each word so that a shell reads it back as it was, whatever it holds', () => {
    const word = fc.string({ unit: 'binary' }).filter((w) => !w.includes('\0'));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 25 }), (words) => {
        expect(shellArguments(`agent-sessions ${words.map(shellWord).join(' ')}`)).toEqual(words);
      }),
      { numRuns: 20 },
    );
    expect(shellWord('plain-id_1.2@x')).toBe('plain-id_1.2@x');
  });

  it('give restore the key as three operands, after -- when one looks like an option', () => {
    const key = ['-rf', "it's $(rm -rf ~); `x`", 'a b'];
    const line = restoreCommand({ schema: 'Tenant One', tablePrefix: 'p' }, key);
    expect(shellArguments(line)).toEqual([
      'restore',
      '--schema',
      'Tenant One',
      '--table-prefix',
      'p',
      '--',
      ...key,
    ]);
    expect(shellArguments(restoreCommand({}, ['a', 'u', 's']))).toEqual(['restore', 'a', 'u', 's']);
  });
});

describe('export lines', () => {
  const valid = {
    format: 'agent-sessions/session@1',
    appName: 'a',
    userId: 'u',
    sessionId: 's',
    state: null,
    createdAt: '2026-01-02T03:04:05.000001Z',
    updatedAt: '2026-01-02T03:04:05.000001Z',
    expiresAt: null,
    deletedAt: null,
    events: [
      {
        event: '{"id": "e1"}',
        createdAt: '2026-01-02T03:04:05Z',
        updatedAt: '2026-01-02T03:04:05Z',
        expiresAt: null,
        deletedAt: null,
      },
    ],
    summaries: [],
    trackEvents: [],
  };

  it('accept what export writes', () => {
    expect(parseExportLine(JSON.stringify(valid))).toEqual(valid);
  });

  it('name the field at fault', () => {
    const line = (patch: object) => JSON.stringify({ ...valid, ...patch });
    expect(() => parseExportLine('{')).toThrow('is not valid JSON');
    expect(() => parseExportLine(line({ format: 'other' }))).toThrow('session.format must be');
    expect(() => parseExportLine(line({ userId: '' }))).toThrow('session.userId must not be empty');
    expect(() => parseExportLine(line({ createdAt: 'yesterday' }))).toThrow(
      'session.createdAt must be a UTC timestamp',
    );
    expect(() => parseExportLine(line({ events: [{ ...valid.events[0], event: '{' }] }))).toThrow(
      'session.events[0].event must hold a JSON document',
    );
    expect(() => parseExportLine(line({ sessionId: 'a\u0000b' }))).toThrow('NUL');
  });

  it('refuse what PostgreSQL would refuse half-way through an import: escaped NUL or lone surrogates in a JSON document, impossible times', () => {
    const line = (patch: object) => JSON.stringify({ ...valid, ...patch });
    const withEvent = (event: string) => line({ events: [{ ...valid.events[0], event }] });
    for (const escaped of ['{"a":"\\u0000"}', '{"a":"x\\ud800"}', '{"\\udc00":1}', '["\\ud83d"]']) {
      expect(() => parseExportLine(withEvent(escaped)), escaped).toThrow(
        'session.events[0].event must not hold NUL characters or unpaired surrogates',
      );
    }
    // A surrogate pair, escaped, is an ordinary character.
    expect(parseExportLine(withEvent('{"a":"\\ud83d\\ude00"}')).events[0]!.event).toBe(
      '{"a":"\\ud83d\\ude00"}',
    );
    // Numbers JSONB's numeric cannot hold ("value overflows numeric format" in the database).
    for (const number of ['1e1000000', '-1e-1000000', '1e131072', `1${'0'.repeat(131072)}`]) {
      expect(() => parseExportLine(withEvent(`{"n":[1,${number}]}`)), number.slice(0, 12)).toThrow(
        `session.events[0].event holds the number ${number.length > 40 ? `${number.slice(0, 40)}…` : number}, beyond what PostgreSQL's numeric holds`,
      );
    }
    for (const number of ['1e131071', '-1.5e-16000', '123456789012345678901234567890']) {
      expect(parseExportLine(withEvent(`{"n":${number},"s":"1e1000000"}`)).events[0]!.event).toContain(
        number,
      );
    }
    const rowTimes = { updatedAt: valid.updatedAt, expiresAt: null, deletedAt: null };
    const summaryRow = { filterKey: '', summary: '{"x":9e999999}', ...rowTimes };
    expect(() => parseExportLine(line({ summaries: [summaryRow] }))).toThrow(
      'session.summaries[0].summary holds the number 9e999999',
    );
    // Two live rows with one key would land on one row: refused by field and key.
    const appRow = { key: 'k', value: 'v', createdAt: valid.createdAt, ...rowTimes };
    expect(() => parseExportLine(line({ appState: [appRow, { ...appRow, value: 'other' }] }))).toThrow(
      `session.appState has the key ${JSON.stringify(appRow.key)} twice`,
    );
    expect(
      parseExportLine(line({ appState: [{ ...appRow, deletedAt: valid.createdAt }, appRow] })).appState,
    ).toHaveLength(2);
    for (const time of [
      '0000-12-31T23:59:59Z',
      '2026-13-01T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-01-01T24:00:00Z',
    ]) {
      expect(() => parseExportLine(line({ updatedAt: time })), time).toThrow(
        'session.updatedAt must be a UTC timestamp',
      );
    }
    for (const time of ['0001-01-01T00:00:00Z', '2024-02-29T12:00:00.5Z', '9999-12-31T23:59:59.999999Z']) {
      expect(parseExportLine(line({ updatedAt: time })).updatedAt).toBe(time);
    }
  });
  it('refuse a document the store could not read back, naming the field and what the reader expected', () => {
    const times = { updatedAt: valid.updatedAt, expiresAt: null, deletedAt: null };
    const line = (patch: object) => JSON.stringify({ ...valid, ...patch });
    const withEvent = (event: string) => line({ events: [{ ...valid.events[0], event }] });
    const cases: [string, string, string][] = [
      [withEvent('5'), 'session.events[0].event', 'event: expected a JSON object, got number'],
      [withEvent('null'), 'session.events[0].event', 'event: expected a JSON object, got null'],
      [withEvent('[1,2]'), 'session.events[0].event', 'event: expected a JSON object, got an array'],
      [withEvent('{"id":7}'), 'session.events[0].event', 'event.id: expected a string, got number'],
      [
        withEvent('{"timestamp":"yesterday"}'),
        'session.events[0].event',
        'event.timestamp: expected an RFC 3339 timestamp, got "yesterday"',
      ],
      [line({ state: '5' }), 'session.state', 'sessionState: expected a JSON object, got number'],
      [
        line({ state: '{"state":{"k":5}}' }),
        'session.state',
        'sessionState.state["k"]: expected a base64 string or null, got number',
      ],
      [
        line({ state: '{"state":{"k":"!!notb64"}}' }),
        'session.state',
        'sessionState.state["k"]: expected standard base64, got "!!notb64"',
      ],
      [
        line({ summaries: [{ filterKey: '', summary: '"x"', ...times }] }),
        'session.summaries[0].summary',
        'summary: expected a JSON object, got string',
      ],
      [
        line({ trackEvents: [{ track: 't', event: '7', createdAt: valid.createdAt, ...times }] }),
        'session.trackEvents[0].event',
        'trackEvent: expected a JSON object, got number',
      ],
    ];
    for (const [text, field, reason] of cases) {
      expect(() => parseExportLine(text), text).toThrow(
        `${field} must hold a document the store can read: ${reason}`,
      );
    }
  });

  it('refuse an int field Go could not read back from JSONB (decimal places kept), and take an exponent JSONB writes as an integer', () => {
    const times = { updatedAt: valid.updatedAt, expiresAt: null, deletedAt: null };
    const withEvent = (created: string) =>
      JSON.stringify({
        ...valid,
        events: [{ ...valid.events[0], event: `{"id":"e1","created":${created}}` }],
      });
    // Our reads take these as 1 and 0; JSONB keeps `1.0` and 400 decimal places, which Go refuses.
    for (const [created, shown] of [
      ['1.0', '1.0'],
      ['1.50e1', '15.0'],
      ['1e-400', `0.${'0'.repeat(399)}1`],
    ]) {
      expect(() => parseExportLine(withEvent(created!)), created).toThrow(
        `session.events[0].event must hold a document Go can read: event.created: expected an integer without decimal places, as Go reads an int64, got the number ${shown}`,
      );
    }
    // JSONB writes these as 100 and 2500, which Go reads.
    for (const created of ['1e2', '2.5E+3', '7']) {
      expect(parseExportLine(withEvent(created)).events[0]!.event, created).toBe(
        `{"id":"e1","created":${created}}`,
      );
    }
    // A string that only looks like such a number is no number.
    expect(parseExportLine(withEvent('1, "model": "x: 1.0"')).events).toHaveLength(1);
    const summary = (version: string) =>
      JSON.stringify({
        ...valid,
        summaries: [
          {
            filterKey: '',
            summary: `{"summary":"s","updated_at":"2026-01-02T03:04:05Z","boundary":{"version":${version},"cutoff_at":"2026-01-02T03:04:05Z"}}`,
            ...times,
          },
        ],
      });
    expect(() => parseExportLine(summary('2.0'))).toThrow(
      'session.summaries[0].summary must hold a document Go can read: summary.boundary.version: expected an integer without decimal places',
    );
    expect(parseExportLine(summary('2')).summaries).toHaveLength(1);
  });

  it("refuse a time inside a document that the service would refuse to write (year 0000, past 9999), naming it; Go's zero time passes", () => {
    const times = { updatedAt: valid.updatedAt, expiresAt: null, deletedAt: null };
    const row = { createdAt: valid.createdAt, ...times };
    const withEvent = (event: object) =>
      JSON.stringify({ ...valid, events: [{ ...valid.events[0], event: JSON.stringify(event) }] });
    const rule =
      'must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (UTC), as the service writes';
    const cases: [string, string, string][] = [
      // A minute before Go's zero time: no zone's offset seconds reach back that far.
      [
        withEvent({ id: 'e1', timestamp: '0000-12-31T23:59:00Z' }),
        'session.events[0].event',
        'event.timestamp',
      ],
      // 00:30 at +01:00 on the first day of year 1 is still year 0000 in UTC.
      [
        withEvent({ id: 'e1', timestamp: '0001-01-01T00:30:00+01:00' }),
        'session.events[0].event',
        'event.timestamp',
      ],
      [
        withEvent({ id: 'e1', timestamp: '9999-12-31T23:00:00-02:00' }),
        'session.events[0].event',
        'event.timestamp',
      ],
      [
        withEvent({ id: 'e1', response: { id: 'r', timestamp: '0000-06-01T00:00:00Z' } }),
        'session.events[0].event',
        'event.response.timestamp',
      ],
      [
        JSON.stringify({
          ...valid,
          summaries: [
            { filterKey: '', summary: '{"summary":"s","updated_at":"0000-01-01T00:00:00Z"}', ...times },
          ],
        }),
        'session.summaries[0].summary',
        'summary.updated_at',
      ],
      [
        JSON.stringify({
          ...valid,
          summaries: [
            {
              filterKey: '',
              summary:
                '{"summary":"s","updated_at":"2026-01-02T03:04:05Z","boundary":{"version":1,"cutoff_at":"0000-01-01T00:00:00Z"}}',
              ...times,
            },
          ],
        }),
        'session.summaries[0].summary',
        'summary.boundary.cutoff_at',
      ],
      [
        JSON.stringify({
          ...valid,
          trackEvents: [{ track: 't', event: '{"track":"t","timestamp":"0000-01-01T00:00:00Z"}', ...row }],
        }),
        'session.trackEvents[0].event',
        'trackEvent.timestamp',
      ],
      [
        JSON.stringify({ ...valid, state: '{"id":"s","state":{},"createdAt":"0000-01-01T00:00:00Z"}' }),
        'session.state',
        'sessionState.createdAt',
      ],
    ];
    for (const [text, field, path] of cases) {
      expect(() => parseExportLine(text), text).toThrow(
        `${field} must hold a document the service can write: ${path} ${rule}`,
      );
    }
    // Go writes its zero time for every unset time (an event's response.timestamp most often).
    for (const event of [
      {
        id: 'e1',
        timestamp: '0001-01-01T00:00:00Z',
        response: { id: 'r', timestamp: '0001-01-01T00:00:00Z' },
      },
      { id: 'e1', timestamp: '9999-12-31T23:59:59.999999999Z' },
      { id: 'e1', timestamp: '2026-01-02T03:04:05+09:00' },
      // Go's zero time in a zone west of Greenwich with a local mean time offset
      // (time.Time{}.In(loc)): Go writes the offset to the minute, so it reads back in year 0000.
      {
        id: 'e1',
        timestamp: '2026-01-02T03:04:05Z',
        response: { id: 'r', timestamp: '0000-12-31T19:03:58-04:56' },
      },
    ]) {
      expect(parseExportLine(withEvent(event)).events[0]!.event).toBe(JSON.stringify(event));
    }
    const zeroes = JSON.stringify({
      ...valid,
      state: '{"id":"s","state":{},"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}',
      summaries: [
        { filterKey: '', summary: '{"summary":"s","updated_at":"0001-01-01T00:00:00Z"}', ...times },
      ],
      trackEvents: [{ track: 't', event: '{"track":"t","timestamp":"0001-01-01T00:00:00Z"}', ...row }],
    });
    expect(parseExportLine(zeroes).trackEvents).toHaveLength(1);
    // The shifted zero is taken where no statement casts the time; where one does (an event's
    // timestamp, the state's times), PostgreSQL, which has no year 0000, would fail every later
    // write to the session, so it is refused there.
    const shifted = '0000-12-31T16:07:02-07:52';
    const shiftedZeroes = JSON.stringify({
      ...valid,
      summaries: [
        {
          filterKey: '',
          summary: `{"summary":"s","updated_at":"${shifted}","boundary":{"version":1,"cutoff_at":"${shifted}"}}`,
          ...times,
        },
      ],
      trackEvents: [{ track: 't', event: `{"track":"t","timestamp":"${shifted}"}`, ...row }],
    });
    expect(parseExportLine(shiftedZeroes).trackEvents).toHaveLength(1);
    expect(() => parseExportLine(withEvent({ id: 'e1', timestamp: shifted }))).toThrow(
      `session.events[0].event must hold a document the service can write: event.timestamp ${rule}`,
    );
    for (const name of ['createdAt', 'updatedAt'])
      expect(() =>
        parseExportLine(JSON.stringify({ ...valid, state: `{"id":"s","state":{},"${name}":"${shifted}"}` })),
      ).toThrow(`session.state must hold a document the service can write: sessionState.${name} ${rule}`);
  });

  it("look for times only where the documents hold them, not in the caller's data", () => {
    const line = JSON.stringify({
      ...valid,
      events: [
        {
          ...valid.events[0],
          event: JSON.stringify({
            id: 'e1',
            timestamp: '2026-01-02T03:04:05Z',
            extensions: { when: '0000-01-01T00:00:00Z', nested: [{ timestamp: '0000-01-01T00:00:00Z' }] },
          }),
        },
      ],
    });
    expect(parseExportLine(line).events).toHaveLength(1);
  });

  it('refuse a document nesting deeper than 2,000 levels by field, however deep (no stack overflow)', () => {
    const nested = (depth: number) =>
      `{"id":"e1","extensions":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const withEvent = (event: string) =>
      JSON.stringify({ ...valid, events: [{ ...valid.events[0], event }] });
    // The event object and its extensions object are two levels of the document.
    expect(parseExportLine(withEvent(nested(1998))).events[0]!.event).toBe(nested(1998));
    for (const depth of [1999, 6000, 200_000]) {
      expect(() => parseExportLine(withEvent(nested(depth))), String(depth)).toThrow(
        'session.events[0].event must not nest arrays and objects more than 2000 levels deep',
      );
    }
  });

  it('hold keys and state values to the rules the service holds them to, naming the field', () => {
    const times = { updatedAt: valid.updatedAt, expiresAt: null, deletedAt: null };
    const row = { createdAt: valid.createdAt, ...times };
    const full = {
      ...valid,
      summaries: [{ filterKey: 'f', summary: null, ...times }],
      trackEvents: [{ track: 't', event: '{}', ...row }],
      appState: [{ key: 'k', value: 'v', ...row }],
      userState: [{ key: 'k', value: null, ...row }],
    };
    expect(parseExportLine(JSON.stringify(full))).toEqual(full);
    const bom = '\ufeffx';
    const cases: [string, object][] = [
      ['session.appName', { appName: bom }],
      ['session.userId', { userId: bom }],
      ['session.sessionId', { sessionId: bom }],
      ['session.summaries[0].filterKey', { summaries: [{ ...full.summaries[0], filterKey: bom }] }],
      ['session.trackEvents[0].track', { trackEvents: [{ ...full.trackEvents[0], track: bom }] }],
      ['session.appState[0].key', { appState: [{ ...full.appState[0], key: bom }] }],
      ['session.appState[0].value', { appState: [{ ...full.appState[0], value: bom }] }],
      ['session.userState[0].value', { userState: [{ ...full.userState[0], value: bom }] }],
    ];
    for (const [field, patch] of cases) {
      expect(() => parseExportLine(JSON.stringify({ ...full, ...patch })), field).toThrow(
        `${field} must not start with U+FEFF (a byte order mark)`,
      );
    }
    // Anywhere but first, a byte order mark is an ordinary character; an empty filter key is Go's default.
    const inside = parseExportLine(
      JSON.stringify({ ...full, sessionId: 'x\ufeff', summaries: [{ ...full.summaries[0], filterKey: '' }] }),
    );
    expect([inside.sessionId, inside.summaries[0]!.filterKey]).toEqual(['x\ufeff', '']);

    // VARCHAR(255) counts code points: 255 emoji fit, a 256th does not.
    const emoji = '\u{1F600}'.repeat(255);
    expect(parseExportLine(JSON.stringify({ ...full, userId: emoji })).userId).toBe(emoji);
    for (const [field, patch] of [
      ['session.userId', { userId: `${emoji}a` }],
      ['session.trackEvents[0].track', { trackEvents: [{ ...full.trackEvents[0], track: 'a'.repeat(256) }] }],
      ['session.userState[0].key', { userState: [{ ...full.userState[0], key: 'a'.repeat(256) }] }],
    ] as [string, object][]) {
      expect(() => parseExportLine(JSON.stringify({ ...full, ...patch })), field).toThrow(
        `${field} must be at most 255 characters`,
      );
    }
  });
});

describe('numbers', () => {
  it('format counts and sizes the same in every locale', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatBytes(8192)).toBe('8192 bytes');
    expect(formatBytes(57_344)).toBe('56 kB');
    expect(formatBytes(3_355_443)).toBe('3.2 MB');
  });
});
