/**
 * A Go → TypeScript → Go round trip keeps the stored JSON byte for byte: rows trpc-agent-go wrote
 * (inserted here by raw SQL as Go writes them) holding int64 values beyond 2^53 and raw JSON
 * numbers a float64 cannot hold are read, appended to another session, and the new rows' JSONB
 * equals the original's exactly. Runs on PGlite and, when configured, on server PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { isExactNumber } from '../../src/session/codec/exact.js';
import { encodeTrackEvent, parseExactJson, RawJson } from '../../src/session/codec/index.js';
import { readJson } from '../../src/session/state.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../golden/fixtures/${name}`, import.meta.url), 'utf8').replace(/\n$/, '');

// A session's history is read from its first user message on, as Go reads it.
const USER_EVENT =
  '{"object":"","created":0,"model":"","choices":[{"index":0,"message":{"role":"user","content":"total?"},"delta":{"role":""}}],"done":false,"is_partial":false,"invocationId":"inv-big","author":"user","id":"e-user","timestamp":"2026-01-02T03:04:04.5Z","version":1,"response":{"timestamp":"0001-01-01T00:00:00Z"}}';
const BIG_EVENT = fixture('event-big-numbers.json');
// Raw JSON another writer spelled its own way; Go keeps it verbatim, JSONB stores the numbers.
const SPELLED_EVENT =
  '{"object":"chat.completion","created":1767323046,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"spelled"},"delta":{"role":""}}],"done":true,"is_partial":false,"invocationId":"inv-big","author":"assistant","id":"e-big-2","timestamp":"2026-01-02T03:04:06Z","extensions":{"spelled":[2.5E+3,0.0000001,1E21,-0.0,1.0,1e-7,-0,100.000,12345678901234567890123456789e-30,1e400]},"version":1,"response":{"timestamp":"0001-01-01T00:00:00Z"}}';
const TRACK_EVENT = fixture('track-event-big-numbers.json');
const BLOB = '{"id":9223372036854775807,"price":1.50}';
const ENVELOPE = JSON.stringify({
  id: 'go',
  state: { blob: Buffer.from(BLOB).toString('base64'), tracks: Buffer.from('["ledger"]').toString('base64') },
  createdAt: '2026-01-02T03:04:04Z',
  updatedAt: '2026-01-02T03:04:06Z',
});

// Number tokens of many lengths and spellings, a float64's range and far beyond.
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const numberToken = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 30)).map(([a, b]) => a + b),
    ),
    fc.option(digits(1, 30), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E+', 'e-'), fc.integer({ min: 0, max: 450 })), {
      nil: undefined,
    }),
  )
  .map(
    ([sign, whole, fraction, e]) => `${sign}${whole}${fraction ? `.${fraction}` : ''}${e ? e.join('') : ''}`,
  );

describe.each(testDatabases)('a Go → TypeScript → Go round trip of exact numbers, on %s', (_name, open) => {
  let db: TestDatabase;
  let svc: PostgresSessionService;
  const app = `app-${randomUUID()}`;
  const goKey = { appName: app, userId: 'u', sessionId: 'go' };
  const copyKey = { appName: app, userId: 'u', sessionId: 'copy' };

  beforeAll(async () => {
    db = await open();
    svc = await PostgresSessionService.create({
      ...db.connect,
      clock: new ManualClock(Date.UTC(2026, 0, 2, 4, 0, 0)),
    });
    const t = svc.tables;
    await db.sql.query(
      `INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at)
       VALUES ($1, 'u', 'go', $2, '2026-01-02 03:04:04', '2026-01-02 03:04:06')`,
      [app, ENVELOPE],
    );
    for (const [event, at] of [
      [USER_EVENT, '2026-01-02 03:04:04.5'],
      [BIG_EVENT, '2026-01-02 03:04:05'],
      [SPELLED_EVENT, '2026-01-02 03:04:06'],
    ]) {
      await db.sql.query(
        `INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
         VALUES ($1, 'u', 'go', $2, $3, $3)`,
        [app, event, at],
      );
    }
    await db.sql.query(
      `INSERT INTO ${t.sessionTrackEvents.qualified} (app_name, user_id, session_id, track, event, created_at, updated_at)
       VALUES ($1, 'u', 'go', 'ledger', $2, '2026-01-02 03:04:05', '2026-01-02 03:04:05')`,
      [app, TRACK_EVENT],
    );
  });
  afterAll(async () => {
    await svc.close();
    await db.close();
  });

  const column = async (table: 'sessionEvents' | 'sessionTrackEvents', sessionId: string) => {
    const { rows } = await db.sql.query<{ event: string }>(
      `SELECT event::text AS event FROM ${svc.tables[table].qualified}
       WHERE app_name = $1 AND session_id = $2 ORDER BY id`,
      [app, sessionId],
    );
    return rows.map((row) => row.event);
  };

  it('reads the Go rows with every digit', async () => {
    const session = (await svc.getSession(goKey))!;
    expect(session.events.map((e) => e.id)).toEqual(['e-user', 'e-big-1', 'e-big-2']);
    const big = session.events[1];
    expect(big!.created).toBe(9223372036854775807n);
    expect(big!.usage?.prompt_tokens).toBe(9223372036854775807n);
    const ledger = big!.extensions?.ledger as Record<string, unknown>;
    expect(ledger.uid).toBe(18446744073709551615n);
    expect(ledger.amount).toEqual(new RawJson('0.1000000000000000055511151231257827'));
    expect(ledger.scaled).toEqual(new RawJson('15.0'));
    // As JSONB spells them: 1e400 is written out in full, and -0.0 loses its sign.
    expect(session.events[2]!.extensions?.spelled).toEqual([
      2500,
      1e-7,
      1e21,
      new RawJson('0.0'),
      new RawJson('1.0'),
      1e-7,
      0,
      new RawJson('100.000'),
      new RawJson('0.012345678901234567890123456789'),
      10n ** 400n,
    ]);
    expect(ledger.price).toEqual(new RawJson('1.50'));
    expect(session.tracks.ledger?.events[0]?.payload).toMatchObject({ id: 9223372036854775807n });
    expect(readJson(session.state, 'blob')).toEqual({ id: 9223372036854775807n, price: new RawJson('1.50') });
  });

  it('appends what it read to another session as the same JSONB, byte for byte', async () => {
    const read = (await svc.getSession(goKey))!;
    const copy = await svc.createSession(copyKey, { blob: read.state.blob! });
    for (const event of read.events) await svc.appendEvent(copy, event);
    await svc.appendTrackEvent(copy, read.tracks.ledger!.events[0]!);
    await svc.flush();

    const original = await column('sessionEvents', 'go');
    expect(original).toHaveLength(3);
    expect(original[1]).toContain('"created": 9223372036854775807');
    expect(await column('sessionEvents', 'copy')).toEqual(original);
    expect(await column('sessionTrackEvents', 'copy')).toEqual(await column('sessionTrackEvents', 'go'));

    const { rows } = await db.sql.query<{ session_id: string; blob: string }>(
      `SELECT session_id, state->'state'->>'blob' AS blob FROM ${svc.tables.sessionStates.qualified}
       WHERE app_name = $1 ORDER BY session_id`,
      [app],
    );
    expect(rows.map((r) => Buffer.from(r.blob, 'base64').toString())).toEqual([BLOB, BLOB]);
  });

  it('writes every number as the same numeric, and spells those a float64 cannot hold as JSONB does', async () => {
    const tokens = [
      ...fc.sample(numberToken, { numRuns: 400, seed: 7 }),
      '1e400',
      '1e-400',
      '1.50e1',
      '-0.0',
    ];
    const stored = async (texts: string[]) =>
      (
        await db.sql.query<{ stored: string }>(
          'SELECT x::jsonb::text AS stored FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n',
          [texts],
        )
      ).rows.map((row) => row.stored);
    const written = tokens.map((token) => {
      const json = encodeTrackEvent({ track: 't', payload: parseExactJson(token), timestamp: new Date(0) });
      return /"payload":(.*),"timestamp"/.exec(json)![1]!;
    });
    const original = await stored(tokens);
    expect(await stored(written)).toEqual(original);
    tokens.forEach((token, i) => {
      if (!isExactNumber(token)) expect(written[i], token).toBe(original[i]);
    });
  });

  it('reads the copy as it read the original', async () => {
    const original = (await svc.getSession(goKey))!;
    const copy = (await svc.getSession(copyKey))!;
    expect(copy.events).toEqual(original.events);
    expect(copy.tracks.ledger?.events).toEqual(original.tracks.ledger?.events);
  });
});
