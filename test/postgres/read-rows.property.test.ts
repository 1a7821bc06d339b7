/**
 * A read returns every row kind packed into one text (see PackedRow in queries/read.ts): a kind
 * letter, tab-separated fields, names as JSON strings, a NULL last field told from an empty one
 * by its missing tab. These write names and values holding the packing's own characters (tabs,
 * the kind letters, digits, quotes, backslashes, a byte order mark, empty values) and the
 * NULLs the tables allow, and read them back through getSession and listSessions, with and
 * without onlyMeta, on each backend.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPackedEvent, unpackRow } from '../../src/postgres/queries/read.js';
import { createEvent } from '../../src/session/event.js';
import type { Session } from '../../src/session/session.js';
import { type StateMap, stateOf } from '../../src/session/state.js';
import { testDatabases } from '../support/database.js';
import { ServiceSuite } from '../support/service-suite.js';

const utf8 = new TextEncoder();

/** Text made of the characters the packing gives a meaning to, and a few it must pass through. */
const packingText = (minLength: number) =>
  fc.oneof(
    fc.constantFrom(
      '\t',
      'a\tb',
      '\t\t',
      's',
      'u',
      'm',
      't',
      '0',
      '-1',
      '"',
      '\\t',
      '{"a":1}',
      '🙂',
      '\ufeffx',
    ),
    fc.string({
      unit: fc.constantFrom('\t', '\n', '\r', '"', '\\', 'a', 's', '1', '🙂', '\u0001', ' ', '\ufeff'),
      minLength,
      maxLength: 10,
    }),
  );

/** Not starting with a byte order mark: refused in keys and text values on every backend. */
const noLeadingBom = (text: string) => text.charCodeAt(0) !== 0xfeff;

const key = packingText(1).filter(noLeadingBom);

/** A state value: text of any kind, the empty one too, or null (a NULL value column). */
const value = fc.option(
  packingText(0)
    .filter(noLeadingBom)
    .map((text) => utf8.encode(text)),
  { nil: null, freq: 4 },
);

const stateMap = fc.dictionary(key, value, { maxKeys: 3 }).map((entries) => stateOf(entries));

const oneRead = fc.record({
  app: stateMap,
  user: stateMap,
  sessions: fc.uniqueArray(fc.record({ id: key, state: stateMap, track: key }), {
    minLength: 1,
    maxLength: 3,
    selector: (s) => s.id,
  }),
});

/** A session's state as a plain object of text (or null), for comparison. */
function plain(state: StateMap): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(state)) out[k] = v === null ? null : Buffer.from(v).toString('hex');
  return out;
}

describe.each(testDatabases)('packed read rows, on %s', (_name, open) => {
  const suite = new ServiceSuite(open, { start: Date.UTC(2026, 5, 1) });

  it('return every name and value as written, NULL and empty apart', async () => {
    const service = await suite.service();
    await fc.assert(
      fc.asyncProperty(oneRead, async (run) => {
        const appName = `app-${randomUUID()}`;
        const userId = `user-${randomUUID()}`;
        if (Object.keys(run.app).length > 0) await service.updateAppState(appName, run.app);
        if (Object.keys(run.user).length > 0) await service.updateUserState({ appName, userId }, run.user);
        const expected = new Map<string, { state: Record<string, string | null>; track: string }>();
        for (const s of run.sessions) {
          const session = await service.createSession({ appName, userId, sessionId: s.id }, s.state);
          await service.appendEvent(
            session,
            createEvent({ author: 'user', message: { role: 'user', content: s.track } }),
          );
          await service.appendTrackEvent(session, { track: s.track, payload: s.id, timestamp: new Date() });
          expected.set(s.id, { state: plain(session.state), track: s.track });
        }
        const scoped: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(plain(run.app))) scoped[`app:${k}`] = v;
        for (const [k, v] of Object.entries(plain(run.user))) scoped[`user:${k}`] = v;

        const check = (got: Session, events: boolean) => {
          const want = expected.get(got.id)!;
          expect(plain(got.state)).toEqual({ ...want.state, ...scoped });
          if (!events) return;
          expect(got.events.map((e) => e.choices?.[0]?.message?.content)).toEqual([want.track]);
          expect(Object.keys(got.tracks)).toEqual([want.track]);
          expect(got.tracks[want.track]!.events.map((e) => e.payload)).toEqual([got.id]);
        };
        for (const s of run.sessions) {
          const got = await service.getSession({ appName, userId, sessionId: s.id });
          expect(got?.id).toBe(s.id);
          check(got!, true);
        }
        for (const onlyMeta of [false, true]) {
          const list = await service.listSessions({ appName, userId }, { onlyMeta });
          expect(list.map((s) => s.id).sort()).toEqual([...expected.keys()].sort());
          for (const got of list) check(got, !onlyMeta);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('read NULL columns as their absence: a session without state, a summary without JSON, a NULL value', async () => {
    const service = await suite.service();
    const appName = suite.app;
    const k = { appName, userId: 'u\tv', sessionId: 's\t1' };
    const session = await service.createSession(k, stateOf({ own: utf8.encode('x') }));
    await service.appendEvent(
      session,
      createEvent({ author: 'user', message: { role: 'user', content: 'hello' } }),
    );
    const t = (table: string) => (suite.db.schema === undefined ? table : `"${suite.db.schema}".${table}`);
    await suite.db.sql.query(`UPDATE ${t('session_states')} SET state = NULL WHERE app_name = $1`, [appName]);
    await suite.db.sql.query(
      `INSERT INTO ${t('app_states')} (app_name, key, value) VALUES ($1, 'none', NULL), ($1, 'empty', '')`,
      [appName],
    );
    await suite.db.sql.query(
      `INSERT INTO ${t('session_summaries')} (app_name, user_id, session_id, filter_key, summary, updated_at)
       VALUES ($1, $2, $3, E'f\\t1', NULL, now()), ($1, $2, $3, '', $4, now()),
              ($1, $2, $3, E'f\\t"2\\\\', $4, now())`,
      [
        appName,
        k.userId,
        k.sessionId,
        JSON.stringify({ summary: 'kept', updated_at: new Date(Date.UTC(2026, 5, 2)).toISOString() }),
      ],
    );
    for (const got of [
      await service.getSession(k),
      ...(await service.listSessions(k)),
      ...(await service.listSessions(k, { onlyMeta: true })),
    ]) {
      expect(got?.id).toBe(k.sessionId);
      expect(plain(got!.state)).toEqual({ 'app:none': null, 'app:empty': '' });
    }
    const read = (await service.getSession(k))!;
    expect(read.events).toHaveLength(1);
    // A filter key holding a tab, a quote and a backslash comes back as written.
    expect(Object.keys(read.summaries).sort()).toEqual(['', 'f\t"2\\']);
    expect(read.summaries['f\t"2\\']!.summary).toBe('kept');
    expect(read.summaries['']!.summary).toBe('kept');
    const listed = (await service.listSessions(k))[0]!;
    expect(Object.keys(listed.summaries).sort()).toEqual(['', 'f\t"2\\']);
  });
});

describe('unpackRow', () => {
  it('tells an event (it starts with its id, a negative one too) from the lettered rows', () => {
    expect(isPackedEvent('12\t2026-01-02 03:04:05\t{}')).toBe(true);
    expect(isPackedEvent('-3\t2026-01-02 03:04:05\t{}')).toBe(true);
    for (const kind of 'saumt') expect(isPackedEvent(`${kind}"k"`)).toBe(false);
  });

  it('reads a NULL last field from a missing tab and an empty one from a trailing tab', () => {
    expect(unpackRow(null, 'a"k"').body).toBeNull();
    expect(unpackRow(null, 'a"k"\t').body).toBe('');
    expect(unpackRow(null, 'a"k\\tx"\tv\tw')).toMatchObject({ kind: 'a', name: 'k\tx', body: 'v\tw' });
    expect(unpackRow('s1', 's2026-01-02 03:04:05\t2026-01-02 03:04:06\t7')).toMatchObject({
      kind: 's',
      sid: 's1',
      created_at: '2026-01-02 03:04:05',
      updated_at: '2026-01-02 03:04:06',
      ord: 7,
      body: null,
    });
    expect(unpackRow(null, 't"tr"\t2026-01-02 03:04:05\t42\t{"a":"\t"}')).toMatchObject({
      kind: 't',
      name: 'tr',
      row_id: '42',
      body: '{"a":"\t"}',
    });
  });

  it('refuses a row of a kind no read statement writes', () => {
    expect(() => unpackRow(null, 'x"k"\tv')).toThrow(/unknown kind "x"/);
  });
});
