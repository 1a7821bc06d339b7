/**
 * The batch statements of asynchronous persistence on real databases (PGlite, and a server when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set): many sessions per statement, deltas merged in order,
 * missing sessions, read order, idempotent retries, track indexes; and the persisters on top.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventPersister, createTrackPersister } from '../../src/postgres/async/writers.js';
import { appendEventsBatch, type EventBatchItem } from '../../src/postgres/queries/append-batch.js';
import {
  appendTrackEventsBatch,
  type TrackBatchItem,
} from '../../src/postgres/queries/append-track-batch.js';
import { combineDeltas } from '../../src/postgres/queries/batch.js';
import { insertSession } from '../../src/postgres/queries/sessions.js';
import { initSchema, type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import {
  decodeSessionState,
  decodeTrackNames,
  encodeEvent,
  encodeSessionState,
  encodeStateMap,
  encodeTrackEvent,
  encodeTrackNames,
} from '../../src/session/codec/index.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import type { ErrorReporter } from '../../src/session/service-options.js';
import { newStateMap, type StateMap, stateOf, TRACKS_STATE_KEY, textValue } from '../../src/session/state.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import type { SqlExecutor } from '../../src/sql/client.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

/** A test database with the tables created; on the server under a prefix, to exercise it. */
async function openWithTables(
  open: () => Promise<TestDatabase>,
): Promise<TestDatabase & { tables: TableNames }> {
  const db = await open();
  const tables = db.schema === undefined ? tableNames('', '') : tableNames(db.schema, 'tp');
  await initSchema(db.sql, tables);
  return { ...db, tables };
}

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 123);
const at = (ms: number) => new Date(T0 + ms);

/** An executor that counts the statements it runs. */
function counting(inner: SqlExecutor): SqlExecutor & { count: number } {
  const c = {
    count: 0,
    query: (text: string, params?: readonly unknown[]) => {
      c.count++;
      return inner.query(text, params);
    },
  };
  return c as SqlExecutor & { count: number };
}

describe.each(testDatabases)('batch appends on %s', (_name, open) => {
  let db: TestDatabase & { tables: TableNames };
  beforeAll(async () => {
    db = await openWithTables(open);
  });
  afterAll(async () => {
    await db?.close();
  });

  const newKey = (): SessionKey => ({ appName: 'batch', userId: 'u1', sessionId: randomUUID() });

  async function createSession(key: SessionKey, state: StateMap = newStateMap(), now = at(0)): Promise<void> {
    const q = insertSession(db.tables, {
      key,
      envelope: encodeSessionState({ id: key.sessionId, state, createdAt: now, updatedAt: now }),
      now: toSqlTimestamp(now),
      expiresAt: null,
    });
    await db.sql.query(q.text, q.params);
  }

  function eventItem(key: SessionKey, label: string, opts: Partial<EventBatchItem> = {}): EventBatchItem {
    const event = createEvent({ author: 'user', message: { role: 'user', content: label }, now: at(0) });
    return { key, eventJson: encodeEvent(event), delta: undefined, now: at(1000), ttlMs: 0, ...opts };
  }

  /** The stored events of a session in read order, as their message content. */
  async function storedLabels(key: SessionKey): Promise<string[]> {
    const { rows } = await db.sql.query<{ label: string }>(
      `SELECT event->'choices'->0->'message'->>'content' AS label FROM ${db.tables.sessionEvents.qualified}
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 ORDER BY created_at, id`,
      [key.appName, key.userId, key.sessionId],
    );
    return rows.map((r) => r.label);
  }

  async function sessionRow(key: SessionKey) {
    const { rows } = await db.sql.query<{ state: string; updated_at: Date; expires_at: Date | null }>(
      `SELECT state::text AS state, updated_at, expires_at FROM ${db.tables.sessionStates.qualified}
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL`,
      [key.appName, key.userId, key.sessionId],
    );
    return rows[0]!;
  }

  it('appends events of many sessions in one statement, each session in item order', async () => {
    const keys = [newKey(), newKey(), newKey()];
    for (const k of keys) await createSession(k);
    const items: EventBatchItem[] = [];
    for (let n = 0; n < 30; n++) items.push(eventItem(keys[n % 3]!, `e${n}`));
    const exec = counting(db.sql);
    const outcomes = await appendEventsBatch(exec, db.tables, items);
    expect(exec.count).toBe(1);
    expect(outcomes).toEqual(Array(30).fill('stored'));
    for (const [i, k] of keys.entries()) {
      expect(await storedLabels(k)).toEqual(
        items.filter((_, n) => n % 3 === i).map((it) => JSON.parse(it.eventJson!).choices[0].message.content),
      );
    }
    // The sequence hands out ids in append order across the sessions too.
    const { rows } = await db.sql.query<{ label: string }>(
      `SELECT event->'choices'->0->'message'->>'content' AS label FROM ${db.tables.sessionEvents.qualified}
       WHERE session_id = ANY($1) ORDER BY id`,
      [keys.map((k) => k.sessionId)],
    );
    expect(rows.map((r) => r.label)).toEqual(items.map((_, n) => `e${n}`));
  });

  it('stores the same rows whether a batch goes as one JSON array or, past the size bound, as a jsonb[] literal', async () => {
    const [viaArray, viaLiteral] = [newKey(), newKey()];
    for (const k of [viaArray, viaLiteral]) await createSession(k);
    // Text the array literal has to escape, and text JSON escapes.
    const labels = ['plain', 'quote " and \\ backslash', '{"a":[1,2]}', 'emoji 😀 \u2028 line', "it's"];
    const items = (key: SessionKey) => labels.map((label) => eventItem(key, label));
    expect(await appendEventsBatch(db.sql, db.tables, items(viaArray))).toEqual(labels.map(() => 'stored'));
    expect(await appendEventsBatch(db.sql, db.tables, items(viaLiteral), { jsonArrayMaxChars: 0 })).toEqual(
      labels.map(() => 'stored'),
    );
    expect(await storedLabels(viaArray)).toEqual(labels);
    expect(await storedLabels(viaLiteral)).toEqual(labels);
    const bodies = async (key: SessionKey) =>
      (
        await db.sql.query<{ body: string }>(
          `SELECT (event - 'id')::text AS body FROM ${db.tables.sessionEvents.qualified} WHERE session_id = $1 ORDER BY id`,
          [key.sessionId],
        )
      ).rows.map((r) => r.body);
    expect(await bodies(viaLiteral)).toEqual(await bodies(viaArray));
  });

  it('merges the deltas of one session in order, later keys winning, and moves updated_at and expires_at', async () => {
    const key = newKey();
    await createSession(key, stateOf({ kept: 'yes', a: 'old' }));
    // Entries, not an object literal: `{ __proto__: ... }` would set a prototype, not a key.
    const delta = (entries: [string, string | null][]) =>
      encodeStateMap(Object.fromEntries(entries.map(([k, v]) => [k, v === null ? null : textValue(v)])));
    const items = [
      eventItem(key, 'one', {
        delta: delta([
          ['a', '1'],
          ['b', '1'],
        ]),
        now: at(1000),
      }),
      eventItem(key, 'two', {
        eventJson: null,
        delta: delta([
          ['a', '2'],
          ['__proto__', 'p'],
        ]),
        now: at(2000),
      }),
      eventItem(key, 'three', { delta: delta([['c', null]]), now: at(3000), ttlMs: 60_000 }),
    ];
    expect(await appendEventsBatch(db.sql, db.tables, items)).toEqual(['stored', 'stored', 'stored']);
    const row = await sessionRow(key);
    const envelope = decodeSessionState(row.state);
    const text = (k: string) => {
      const v = envelope.state[k];
      return v == null ? v : Buffer.from(v).toString();
    };
    expect(text('kept')).toBe('yes');
    expect(text('a')).toBe('2');
    expect(text('b')).toBe('1');
    expect(text('__proto__')).toBe('p');
    expect(envelope.state.c).toBeNull();
    expect(envelope.updatedAt.getTime()).toBe(at(3000).getTime());
    expect(row.updated_at.getTime()).toBe(at(3000).getTime());
    expect(row.expires_at?.getTime()).toBe(at(63_000).getTime());
    // The event without JSON (not persistable) only carried its delta.
    expect(await storedLabels(key)).toEqual(['one', 'three']);
  });

  it('reports a missing or deleted session and writes nothing for it, while the others are stored', async () => {
    const live = newKey();
    const missing = newKey();
    const deleted = newKey();
    await createSession(live);
    await createSession(deleted);
    await db.sql.query(
      `UPDATE ${db.tables.sessionStates.qualified} SET deleted_at = $2::timestamp WHERE session_id = $1`,
      [deleted.sessionId, toSqlTimestamp(at(0))],
    );
    const items = [
      eventItem(live, 'a'),
      eventItem(missing, 'b'),
      eventItem(deleted, 'c'),
      eventItem(live, 'd'),
    ];
    expect(await appendEventsBatch(db.sql, db.tables, items)).toEqual([
      'stored',
      'missing',
      'missing',
      'stored',
    ]);
    expect(await storedLabels(live)).toEqual(['a', 'd']);
    expect(await storedLabels(missing)).toEqual([]);
    expect(await storedLabels(deleted)).toEqual([]);
  });

  it('stamps events with the session updated_at, never earlier than what is stored, so later batches sort after', async () => {
    const key = newKey();
    // Another writer whose clock runs ahead left updated_at in our future.
    await createSession(key, newStateMap(), at(600_000));
    await appendEventsBatch(db.sql, db.tables, [eventItem(key, 'x', { now: at(1000) })]);
    await appendEventsBatch(db.sql, db.tables, [eventItem(key, 'y', { now: at(2000) })]);
    const { rows } = await db.sql.query<{ created_at: Date }>(
      `SELECT created_at FROM ${db.tables.sessionEvents.qualified} WHERE session_id = $1 ORDER BY created_at, id`,
      [key.sessionId],
    );
    expect(rows.map((r) => r.created_at.getTime())).toEqual([at(600_000).getTime(), at(600_000).getTime()]);
    expect(await storedLabels(key)).toEqual(['x', 'y']);
  });

  it('gives every event of a batch its own increasing created_at, the last at the session updated_at', async () => {
    const key = newKey();
    await createSession(key, newStateMap(), at(0));
    // Same millisecond for most, one clock step back, one event that is not stored (delta only).
    const items = [
      eventItem(key, 'a', { now: at(5000) }),
      eventItem(key, 'b', { now: at(5000) }),
      eventItem(key, 'c', { now: at(4000) }),
      { ...eventItem(key, 'skip', { now: at(5000) }), eventJson: null },
      eventItem(key, 'd', { now: at(6000) }),
      eventItem(key, 'e', { now: at(6000) }),
    ];
    await appendEventsBatch(db.sql, db.tables, items);
    const { rows } = await db.sql.query<{ label: string; created: string }>(
      `SELECT event->'choices'->0->'message'->>'content' AS label, created_at::text AS created
       FROM ${db.tables.sessionEvents.qualified} WHERE session_id = $1 ORDER BY created_at, id`,
      [key.sessionId],
    );
    expect(rows.map((r) => r.label)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const micros = (text: string) =>
      BigInt(Date.parse(`${text.slice(0, 19)}Z`)) * 1000n + BigInt(text.slice(20).padEnd(6, '0') || '0');
    const stamps = rows.map((r) => micros(r.created));
    // As one by one: the latest append time so far (the clock step back does not go back), plus a
    // microsecond per event stored before it in the batch.
    const base = BigInt(T0) * 1000n;
    expect(stamps).toEqual([
      base + 5_000_000n,
      base + 5_000_001n,
      base + 5_000_002n,
      base + 6_000_003n,
      base + 6_000_004n,
    ]);
    const session = await db.sql.query<{ updated: string }>(
      `SELECT updated_at::text AS updated FROM ${db.tables.sessionStates.qualified} WHERE session_id = $1`,
      [key.sessionId],
    );
    expect(micros(session.rows[0]!.updated)).toBe(stamps[stamps.length - 1]);
    // A later batch sorts after, even at an earlier clock.
    await appendEventsBatch(db.sql, db.tables, [
      eventItem(key, 'f', { now: at(1000) }),
      eventItem(key, 'g', { now: at(1000) }),
    ]);
    expect(await storedLabels(key)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const after = await db.sql.query<{ created: string }>(
      `SELECT created_at::text AS created FROM ${db.tables.sessionEvents.qualified} WHERE session_id = $1 ORDER BY created_at, id`,
      [key.sessionId],
    );
    // Its first event takes the stored updated_at (a tie with 'e' that the id breaks, as a
    // synchronous append at that clock would), the next one a microsecond more.
    const all = after.rows.map((r) => micros(r.created));
    expect(all.slice(4)).toEqual([base + 6_000_004n, base + 6_000_004n, base + 6_000_005n]);
  });

  it('stores a retried batch once whatever created_at its rows were given', async () => {
    const key = newKey();
    await createSession(key, newStateMap(), at(0));
    const items = [
      eventItem(key, 'x', { now: at(2000) }),
      eventItem(key, 'y', { now: at(3000) }),
      eventItem(key, 'z', { now: at(3000) }),
    ];
    await appendEventsBatch(db.sql, db.tables, items);
    // The answer was lost; the writer tries the same items again.
    expect(await appendEventsBatch(db.sql, db.tables, items, { retried: true })).toEqual([
      'stored',
      'stored',
      'stored',
    ]);
    expect(await storedLabels(key)).toEqual(['x', 'y', 'z']);
  });

  it('leaves updated_at at the latest append time even when the clock stepped back within a batch', async () => {
    const key = newKey();
    await createSession(key);
    await appendEventsBatch(db.sql, db.tables, [
      eventItem(key, 'late', { now: at(3000) }),
      eventItem(key, 'early', { now: at(2000) }),
    ]);
    const row = await sessionRow(key);
    expect(row.updated_at.getTime()).toBe(at(3000).getTime());
    // The envelope's updatedAt is the row's updated_at (the latest append, moved a microsecond
    // for the batch's second row), so Go's reader (the column) and ours (the envelope) agree.
    const envelope = decodeSessionState(row.state).updatedAt;
    expect(toSqlTimestamp(envelope)).toBe(toSqlTimestamp(row.updated_at));
    expect(toSqlTimestamp(envelope)).toBe(`${toSqlTimestamp(at(3000)).slice(0, -3)}001`);
    expect(await storedLabels(key)).toEqual(['late', 'early']);
  });

  it.each([
    ['one JSON array', {}],
    ['a jsonb[] literal', { jsonArrayMaxChars: 0 }],
  ])('does not store an event twice when a batch that committed is retried (%s)', async (_form, form) => {
    const a = newKey();
    const b = newKey();
    await createSession(a);
    await createSession(b);
    const same = eventItem(a, 'twice');
    const items = [same, eventItem(b, 'b1'), same, eventItem(a, 'a2'), eventItem(b, 'b2')];
    await appendEventsBatch(db.sql, db.tables, items, form);
    // The connection died after COMMIT: the same batch comes again, marked as a retry.
    expect(await appendEventsBatch(db.sql, db.tables, items, { ...form, retried: true })).toEqual(
      Array(5).fill('stored'),
    );
    expect(await storedLabels(a)).toEqual(['twice', 'twice', 'a2']);
    expect(await storedLabels(b)).toEqual(['b1', 'b2']);
    // A retry whose first attempt never committed stores everything.
    const fresh = [eventItem(a, 'a3'), eventItem(b, 'b3')];
    await appendEventsBatch(db.sql, db.tables, fresh, { ...form, retried: true });
    expect(await storedLabels(a)).toEqual(['twice', 'twice', 'a2', 'a3']);
    expect(await storedLabels(b)).toEqual(['b1', 'b2', 'b3']);
  });

  it('combines deltas as JSON objects and rejects anything else', () => {
    expect(combineDeltas([undefined, '{}', '{"a":"MQ==","b":null}', '{"a":"Mg=="}'])).toBe(
      '{"a":"Mg==","b":null}',
    );
    expect(() => combineDeltas(['[1]'])).toThrow(TypeError);
  });

  function trackItem(key: SessionKey, track: string, label: string, ms: number): TrackBatchItem {
    const eventJson = encodeTrackEvent({ track, payload: { label }, timestamp: at(ms) });
    return { key, track, eventJson, timestamp: at(ms), now: at(5000), sessionTtlMs: 0, trackTtlMs: 120_000 };
  }

  async function trackRows(key: SessionKey) {
    const { rows } = await db.sql.query<{
      track: string;
      label: string;
      created_at: Date;
      expires_at: Date;
    }>(
      `SELECT track, event->'payload'->>'label' AS label, created_at, expires_at
       FROM ${db.tables.sessionTrackEvents.qualified} WHERE session_id = $1 ORDER BY created_at, id`,
      [key.sessionId],
    );
    return rows;
  }

  async function storedTracks(key: SessionKey): Promise<string[]> {
    return decodeTrackNames(decodeSessionState((await sessionRow(key)).state).state[TRACKS_STATE_KEY]);
  }

  it('appends track events of many sessions in one transaction, extending each stored tracks index', async () => {
    const a = newKey();
    const b = newKey();
    const missing = newKey();
    await createSession(a, { [TRACKS_STATE_KEY]: encodeTrackNames(['old']) });
    await createSession(b);
    const items = [
      trackItem(a, 'agui', 'a1', 10),
      trackItem(b, 'x', 'b1', 20),
      trackItem(missing, 'agui', 'm1', 30),
      trackItem(a, 'old', 'a2', 40),
      trackItem(a, 'custom', 'a3', 50),
      trackItem(a, 'agui', 'a4', 60),
    ];
    expect(await appendTrackEventsBatch(db.sql, db.tables, items)).toEqual([
      'stored',
      'stored',
      'missing',
      'stored',
      'stored',
      'stored',
    ]);
    expect(await storedTracks(a)).toEqual(['old', 'agui', 'custom']);
    expect(await storedTracks(b)).toEqual(['x']);
    const rows = await trackRows(a);
    expect(rows.map((r) => `${r.track}:${r.label}`)).toEqual(['agui:a1', 'old:a2', 'custom:a3', 'agui:a4']);
    // Rows carry the track event's own timestamp; their TTL counts from the append.
    expect(rows[0]!.created_at.getTime()).toBe(at(10).getTime());
    expect(rows[0]!.expires_at.getTime()).toBe(at(125_000).getTime());
    expect((await sessionRow(a)).updated_at.getTime()).toBe(at(5000).getTime());
    expect(await trackRows(missing)).toEqual([]);
    // A retry after an unknown outcome stores nothing twice and leaves the index as it is.
    await appendTrackEventsBatch(db.sql, db.tables, items, { retried: true });
    expect((await trackRows(a)).map((r) => r.label)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(await storedTracks(a)).toEqual(['old', 'agui', 'custom']);
  });

  it('writes through the persisters: order kept per session, missing sessions reported, nothing lost', async () => {
    const keys = Array.from({ length: 20 }, newKey);
    for (const k of keys) await createSession(k);
    const gone = newKey();
    const failures: string[] = [];
    // A service's ErrorReporter is accepted as it is.
    const reporter: ErrorReporter = (error, context) =>
      failures.push(`${(context.key as SessionKey).sessionId}:${error.name}`);
    const events = createEventPersister({
      client: db.sql,
      tables: db.tables,
      workers: 4,
      onError: reporter,
    });
    const tracks = createTrackPersister({
      client: async () => db.sql,
      tables: db.tables,
      workers: 4,
      onError: (error, { key }) => failures.push(`${key.sessionId}:${error.name}`),
    });
    await Promise.all(
      keys.map(async (k, s) => {
        for (let n = 0; n < 25; n++) {
          await events.enqueue(eventItem(k, `${s}-${n}`));
          if (n % 5 === 0) await tracks.enqueue(trackItem(k, `t${n % 2}`, `${s}-${n}`, n));
        }
      }),
    );
    await events.enqueue(eventItem(gone, 'lost'));
    const error = await events.flush().catch((e: unknown) => e);
    expect(isAgentSessionsError(error, 'STORAGE')).toBe(true);
    expect(failures).toEqual([`${gone.sessionId}:NotFoundError`]);
    await events.close();
    await tracks.close();
    await tracks.flush();
    for (const [s, k] of keys.entries()) {
      expect(await storedLabels(k)).toEqual(Array.from({ length: 25 }, (_, n) => `${s}-${n}`));
      expect((await trackRows(k)).map((r) => r.label)).toEqual([0, 5, 10, 15, 20].map((n) => `${s}-${n}`));
    }
  });
});
