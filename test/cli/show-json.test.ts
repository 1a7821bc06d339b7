/**
 * `show --json` prints the stored documents as the database holds them: laid out as
 * JSON.stringify(value, null, 2) lays out a value, every token as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionJson } from '../../src/cli/commands/show.js';
import { indentJson } from '../../src/cli/output/indent-json.js';
import { viewOf } from '../../src/cli/records/view.js';
import { EXPORT_FORMAT, type ExportedSession } from '../../src/postgres/admin/index.js';

describe('indentJson', () => {
  it('lays out any JSON text as JSON.stringify with an indent of two does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = JSON.stringify(value, null, 2);
        expect(indentJson(JSON.stringify(value))).toBe(expected);
        // Spaced out as jsonb prints it, or with tabs and line breaks: the same layout.
        expect(indentJson(JSON.stringify(value, null, '\t'))).toBe(expected);
        expect(indentJson(` ${JSON.stringify(value, null, '\r\n ')}\n`)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every digit and every escape as written', () => {
    const text =
      '{"id": 12345678901234567890, "price": 1.50, "e": 1E+400, "s": "a\\"b\\\\c\\u00e9\\n", "k": [-0, 0.10]}';
    expect(indentJson(text)).toBe(
      [
        '{',
        '  "id": 12345678901234567890,',
        '  "price": 1.50,',
        '  "e": 1E+400,',
        '  "s": "a\\"b\\\\c\\u00e9\\n",',
        '  "k": [',
        '    -0,',
        '    0.10',
        '  ]',
        '}',
      ].join('\n'),
    );
    expect(indentJson('{ "a" : [ ] , "b" : { } }')).toBe('{\n  "a": [],\n  "b": {}\n}');
  });

  it('ends on text cut short rather than scanning past its end', () => {
    expect(indentJson('{"a')).toBe('{\n  "a');
    expect(indentJson('["x\\')).toBe('[\n  "x\\');
  });
});

describe('show --json', () => {
  const times = { updatedAt: '2026-01-02T03:04:05.000001Z', expiresAt: null, deletedAt: null };
  const record: ExportedSession = {
    format: EXPORT_FORMAT,
    appName: 'app',
    userId: 'u',
    sessionId: 's',
    state: null,
    createdAt: '2026-01-02T03:04:05Z',
    ...times,
    events: [
      {
        event: '{"id": "e1", "author": "user", "extensions": {"n": 12345678901234567890123, "f": 1.50}}',
        createdAt: '2026-01-02T03:04:05Z',
        ...times,
      },
    ],
    summaries: [
      { filterKey: '__proto__', summary: '{"summary": "s", "tokens": 9007199254740993}', ...times },
    ],
    trackEvents: [
      { track: 'b', event: '{"payload": {"x": 1.0}}', createdAt: '2026-01-02T03:04:05Z', ...times },
      { track: 'a', event: '{"payload": 2}', createdAt: '2026-01-02T03:04:06Z', ...times },
      { track: 'b', event: '{"payload": 3}', createdAt: '2026-01-02T03:04:07Z', ...times },
    ],
  };

  it("leaves out of the view a summary older than the session, an earlier session's with the same id", () => {
    const view = viewOf({
      ...record,
      summaries: [
        { filterKey: 'old', summary: '{"summary": "old", "updated_at": "2026-01-02T03:04:04Z"}', ...times },
        { filterKey: 'new', summary: '{"summary": "new", "updated_at": "2026-01-02T03:04:05Z"}', ...times },
      ],
    });
    expect(Object.keys(view.session.summaries)).toEqual(['new']);
    expect(view.problems).toEqual([]);
  });

  it('prints a state key named __proto__ like any other', () => {
    const envelope = JSON.stringify({
      id: 's',
      state: Object.fromEntries([
        ['__proto__', Buffer.from('proto').toString('base64')],
        ['k', Buffer.from('v').toString('base64')],
      ]),
      createdAt: '2026-01-02T03:04:05Z',
      updatedAt: '2026-01-02T03:04:05Z',
    });
    const withState = { ...record, state: envelope };
    const parsed = JSON.parse(sessionJson(withState, viewOf(withState))) as { state: Record<string, string> };
    expect(Object.keys(parsed.state).sort()).toEqual(['__proto__', 'k']);
    expect(Object.getOwnPropertyDescriptor(parsed.state, '__proto__')?.value).toBe('proto');
  });

  it('prints the stored numbers exactly, where printing their parse would round them', () => {
    const text = sessionJson(record, viewOf(record));
    expect(text).toContain('"n": 12345678901234567890123,');
    expect(text).toContain('"f": 1.50');
    expect(text).toContain('"tokens": 9007199254740993');
    expect(text).toContain('"x": 1.0');
    // What printing the parse gave: other digits than the table holds.
    const parsedEvent = JSON.stringify(JSON.parse(record.events[0]!.event), null, 2);
    expect(parsedEvent).not.toContain('12345678901234567890123');
    expect(parsedEvent).not.toContain('1.50');
  });

  it('prints what printing the parse printed when every number is exact, tracks in the order of their first events', () => {
    const exact: ExportedSession = {
      ...record,
      events: [{ ...record.events[0]!, event: '{"id": "e1", "extensions": {"n": 12, "f": 1.5}}' }],
      summaries: [{ ...record.summaries[0]!, summary: '{"summary": "s", "tokens": 9}' }],
      trackEvents: record.trackEvents.map((t) => ({ ...t, event: t.event.replace('1.0', '1') })),
    };
    const view = viewOf(exact);
    const tracks = new Map<string, unknown[]>();
    for (const t of exact.trackEvents)
      tracks.set(t.track, [...(tracks.get(t.track) ?? []), JSON.parse(t.event)]);
    const printedParse = {
      appName: 'app',
      userId: 'u',
      sessionId: 's',
      createdAt: exact.createdAt,
      updatedAt: exact.updatedAt,
      expiresAt: null,
      state: {},
      events: exact.events.map((e) => JSON.parse(e.event)),
      summaries: Object.fromEntries(exact.summaries.map((m) => [m.filterKey, JSON.parse(m.summary!)])),
      tracks: Object.fromEntries(tracks),
    };
    expect(sessionJson(exact, view)).toBe(JSON.stringify(printedParse, null, 2));
    const parsed = JSON.parse(sessionJson(exact, view));
    expect(Object.keys(parsed.summaries)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.summaries)).toBe(Object.prototype);
    expect(Object.keys(parsed.tracks)).toEqual(['b', 'a']);
  });
});
