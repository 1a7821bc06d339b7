/**
 * An asynchronous batch that committed but whose answer was lost is retried; by then another
 * writer may have appended to the same sessions. The retry must recognise what its earlier attempt
 * wrote and leave those sessions as they are: every event once, in order, and the session state
 * equal to the stored events' deltas merged in read order (never the batch's older delta merged
 * again over a newer one), updated_at and expires_at untouched. Sessions of the batch whose rows
 * were not stored are written as on a first attempt.
 *
 * End to end through a proxy that cuts the connection right after the batch's ReadyForQuery (on
 * the server), then the batch statement itself (PGlite, and the server when configured).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEventsBatch, type EventBatchItem } from '../../src/postgres/queries/append-batch.js';
import { insertSession } from '../../src/postgres/queries/sessions.js';
import { initSchema, type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import type { PostgresSessionService } from '../../src/postgres/service.js';
import { encodeEvent, encodeSessionState, encodeStateMap } from '../../src/session/codec/index.js';
import { createEvent } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import { readText, stateOf } from '../../src/session/state.js';
import { toSqlTimestamp } from '../../src/session/time.js';
import type { SqlExecutor } from '../../src/sql/client.js';
import { pgClient } from '../../src/sql/pg-client.js';
import { type TestDatabase, testDatabases } from '../support/database.js';
import { useProxiedTestSchema } from './support/fixtures.js';
import { describeServer, randomName, storedEventIds, waitUntil } from './support/server.js';

type Json = Record<string, unknown>;

/** A session row as stored: the state envelope (parsed), updated_at and expires_at as text. */
interface SessionRow {
  envelope: Json;
  updated: string;
  expires: string | null;
}

/** A stored event in read order: its id, state delta (the stored JSON) and created_at as text. */
interface EventRow {
  id: string;
  delta: Json | null;
  created: string;
}

async function sessionRow(sql: SqlExecutor, tables: TableNames, key: SessionKey): Promise<SessionRow> {
  const { rows } = await sql.query<{ envelope: string; updated: string; expires: string | null }>(
    `SELECT state::text AS envelope, updated_at::text AS updated, expires_at::text AS expires
     FROM ${tables.sessionStates.qualified}
     WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL`,
    [key.appName, key.userId, key.sessionId],
  );
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  return { envelope: JSON.parse(row.envelope) as Json, updated: row.updated, expires: row.expires };
}

async function eventRows(sql: SqlExecutor, tables: TableNames, key: SessionKey): Promise<EventRow[]> {
  const { rows } = await sql.query<{ id: string; delta: string | null; created: string }>(
    `SELECT e.event->>'id' AS id, (e.event->'stateDelta')::text AS delta, e.created_at::text AS created
     FROM ${tables.sessionEvents.qualified} e
     WHERE e.app_name = $1 AND e.user_id = $2 AND e.session_id = $3 AND e.deleted_at IS NULL
     ORDER BY e.created_at, e.id`,
    [key.appName, key.userId, key.sessionId],
  );
  return rows.map((r) => ({
    id: r.id,
    delta: r.delta === null ? null : (JSON.parse(r.delta) as Json),
    created: r.created,
  }));
}

/** `initial` with the deltas merged one after the other, later keys winning. */
const merged = (initial: Json, deltas: readonly (Json | null | undefined)[]): Json =>
  Object.assign({}, initial, ...deltas.map((delta) => delta ?? {}));

const inner = (row: SessionRow): Json => row.envelope.state as Json;

describeServer('an asynchronous batch retried after its answer was lost, another writer in between', () => {
  const fixture = useProxiedTestSchema();

  it('keeps the newer write: state is the deltas merged in read order, the session row untouched by the retry', async () => {
    const name = randomName('remerge');
    const tables = tableNames(fixture.db.name, '');
    const sql = pgClient(fixture.db.admin, { owned: false });
    const ttl = { sessionTtlMs: 3_600_000 };
    // Service B writes directly; service A asynchronously, through the fixture.proxy.
    const direct: PostgresSessionService = await fixture.db.service(`${name}_b`, ttl);
    const failures: Error[] = [];
    const viaProxy = await fixture.db.service(`${name}_a`, {
      ...ttl,
      dsn: fixture.proxy.dsn,
      asyncPersist: true,
      asyncPersisterNum: 1,
      extraOptions: { max: 1 },
      onError: (error, context) => {
        if (context.operation !== 'pool') failures.push(error);
      },
    });
    try {
      const key: SessionKey = { appName: name, userId: 'u', sessionId: 's' };
      const session = await direct.createSession(key, stateOf({ init: 'x', last: 'none' }));
      const initial = inner(await sessionRow(sql, tables, key));
      const e1 = createEvent({
        author: 'A',
        message: { role: 'user', content: 'one' },
        stateDelta: stateOf({ last: 'e1', fromA: 'a' }),
      });
      const e2 = createEvent({
        author: 'B',
        message: { role: 'assistant', content: 'two' },
        stateDelta: stateOf({ last: 'e2', fromB: 'b' }),
      });
      // The batch carrying e1 commits; its answer is dropped and the connection cut. The proxy then
      // holds every byte, so A's retry cannot reach the server before B has appended.
      const lost = fixture.proxy.loseNextAnswer().then(() => fixture.proxy.freeze());
      await viaProxy.appendEvent(session, e1);
      await lost;
      expect(
        (await eventRows(sql, tables, key)).map((e) => e.id),
        'the lost batch committed',
      ).toEqual([e1.id]);
      const seenByB = await direct.getSession(key);
      await direct.appendEvent(seenByB!, e2);
      const afterB = await sessionRow(sql, tables, key);
      fixture.proxy.thaw();
      await viaProxy.flush();
      expect(failures).toEqual([]);

      const events = await eventRows(sql, tables, key);
      expect(
        events.map((e) => e.id),
        'every event once, in the order written',
      ).toEqual([e1.id, e2.id]);
      const row = await sessionRow(sql, tables, key);
      expect(inner(row), 'state = the deltas merged in read order').toEqual(
        merged(
          initial,
          events.map((e) => e.delta),
        ),
      );
      expect(readText((await direct.getSession(key))!.state, 'last')).toBe('e2');
      // Nothing of the session row moved: not the envelope's updatedAt, not updated_at (still the
      // last event's created_at), not expires_at.
      expect(row).toEqual(afterB);
      expect(row.updated).toBe(events.at(-1)!.created);
    } finally {
      fixture.proxy.thaw();
      await viaProxy.close();
      await direct.close();
    }
  });
});

describeServer('an asynchronous batch retried while its earlier attempt still waits on the server', () => {
  const fixture = useProxiedTestSchema();

  it('stores every event once: the retry sees the rows the earlier attempt committed while it waited', async () => {
    const name = randomName('waiting');
    const failures: Error[] = [];
    const service = await fixture.db.service(name, {
      dsn: fixture.proxy.dsn,
      asyncPersist: true,
      asyncPersisterNum: 1,
      extraOptions: { max: 2 },
      onError: (error, context) => {
        if (context.operation !== 'pool') failures.push(error);
      },
    });
    // Backends of the service waiting for a row lock (the holder below is not one of them).
    const waiting = async () => {
      const { rows } = await fixture.db.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [name],
      );
      return rows[0]!.n;
    };
    const holder = await fixture.db.admin.connect();
    try {
      const key: SessionKey = { appName: name, userId: 'u', sessionId: 's' };
      const session = await service.createSession(key);
      // Another writer holds the session's row lock, so the batch waits for it on the server.
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM "${fixture.db.name}".session_states WHERE app_name = $1 AND user_id = $2 AND session_id = $3 FOR UPDATE`,
        [key.appName, key.userId, key.sessionId],
      );
      const events = ['one', 'two', 'three'].map((content) =>
        createEvent({ author: 'user', message: { role: 'user', content } }),
      );
      for (const event of events) await service.appendEvent(session, event);
      await waitUntil('the batch waits for the lock', async () => (await waiting()) === 1);
      // The connection is cut on our side: the batch goes on waiting on the server, and the
      // persister retries it on a new connection, which waits behind it.
      fixture.proxy.cutAll();
      await waitUntil('the retry waits too', async () => (await waiting()) === 2);
      await holder.query('COMMIT');
      await service.flush();
      expect(failures).toEqual([]);
      expect(
        await storedEventIds(fixture.db.admin, fixture.db.name, key),
        'each event once, in order',
      ).toEqual(events.map((e) => e.id));
      expect((await service.getSession(key))!.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await service.close();
    }
  });
});

describe.each(testDatabases)('the retried event batch statement on %s', (_name, open) => {
  let db: TestDatabase;
  let tables: TableNames;
  beforeAll(async () => {
    db = await open();
    tables = db.schema === undefined ? tableNames('', '') : tableNames(db.schema, '');
    await initSchema(db.sql, tables);
  });
  afterAll(async () => {
    await db?.close();
  });

  const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 123);
  const at = (ms: number) => new Date(T0 + ms);
  const TTL = 60_000;
  const newKey = (): SessionKey => ({ appName: 'retry', userId: 'u', sessionId: randomUUID() });

  async function createSession(key: SessionKey): Promise<void> {
    const q = insertSession(tables, {
      key,
      envelope: encodeSessionState({
        id: key.sessionId,
        state: stateOf({ init: 'x' }),
        createdAt: at(0),
        updatedAt: at(0),
      }),
      now: toSqlTimestamp(at(0)),
      expiresAt: null,
    });
    await db.sql.query(q.text, q.params);
  }

  /** An append of `label` made at `ms` whose delta sets `last` (and a key of its own). */
  function item(key: SessionKey, label: string, ms: number, { stored = true } = {}): EventBatchItem {
    const delta = stateOf({ last: label, [`k:${label}`]: label });
    const event = createEvent({
      author: 'user',
      id: label,
      message: { role: 'user', content: label },
      now: at(ms),
    });
    event.stateDelta = delta;
    return {
      key,
      eventJson: stored ? encodeEvent(event) : null,
      delta: encodeStateMap(delta),
      now: at(ms),
      ttlMs: TTL,
    };
  }

  const row = (key: SessionKey) => sessionRow(db.sql, tables, key);
  const events = (key: SessionKey) => eventRows(db.sql, tables, key);
  const ids = async (key: SessionKey) => (await events(key)).map((e) => e.id);
  const deltaOf = (i: EventBatchItem) => JSON.parse(i.delta!) as Json;

  it('leaves every session of a batch that committed as it is, though another writer appended since', async () => {
    const [a, b, c] = [newKey(), newKey(), newKey()];
    for (const k of [a, b, c]) await createSession(k);
    const initial = inner(await row(a));
    // a: two events; b: three (its updated_at moved two microseconds past its last append time);
    // c: only the delta of an event that is not stored.
    const batch = [
      item(a, 'a1', 1000),
      item(b, 'b1', 1000),
      item(a, 'a2', 1001),
      item(c, 'c1', 1001, { stored: false }),
      item(b, 'b2', 1002),
      item(b, 'b3', 1002),
    ];
    expect(await appendEventsBatch(db.sql, tables, batch)).toEqual(Array(6).fill('stored'));
    // The answer was lost. Another writer appends to a and c before the retry.
    const between = [item(a, 'x', 2000), item(c, 'cx', 2000, { stored: false })];
    await appendEventsBatch(db.sql, tables, between);
    const before = { a: await row(a), b: await row(b), c: await row(c) };

    expect(await appendEventsBatch(db.sql, tables, batch, { retried: true })).toEqual(
      Array(6).fill('stored'),
    );

    expect(await ids(a)).toEqual(['a1', 'a2', 'x']);
    expect(await ids(b)).toEqual(['b1', 'b2', 'b3']);
    expect(await ids(c)).toEqual([]);
    expect({ a: await row(a), b: await row(b), c: await row(c) }).toEqual(before);
    expect(inner(await row(a))).toEqual(
      merged(
        initial,
        (await events(a)).map((e) => e.delta),
      ),
    );
    expect(inner(await row(a)).last).toEqual(deltaOf(between[0]!).last);
    expect(inner(await row(c))).toEqual(merged(initial, [deltaOf(batch[3]!), deltaOf(between[1]!)]));
    expect((await row(b)).updated).toBe((await events(b)).at(-1)!.created);
  });

  it('writes the sessions whose rows are not stored as a first attempt would', async () => {
    const [a, b] = [newKey(), newKey()];
    for (const k of [a, b]) await createSession(k);
    const initial = inner(await row(a));
    // a's event is already there (written by the earlier attempt, say); b's is not.
    await appendEventsBatch(db.sql, tables, [item(a, 'a1', 1000)]);
    const aBefore = await row(a);
    const retry = [item(a, 'a1', 1000), item(b, 'b1', 1000), item(b, 'b2', 1000)];
    expect(await appendEventsBatch(db.sql, tables, retry, { retried: true })).toEqual(
      Array(3).fill('stored'),
    );
    expect(await row(a)).toEqual(aBefore);
    expect(await ids(a)).toEqual(['a1']);
    expect(await ids(b)).toEqual(['b1', 'b2']);
    const bRow = await row(b);
    expect(inner(bRow)).toEqual(
      merged(
        initial,
        (await events(b)).map((e) => e.delta),
      ),
    );
    expect(bRow.updated).toBe((await events(b)).at(-1)!.created);
    expect(bRow.expires).not.toBeNull();

    // A retry whose earlier attempt never committed writes everything, delta-only sessions too.
    const [d, e] = [newKey(), newKey()];
    for (const k of [d, e]) await createSession(k);
    const fresh = [item(d, 'd1', 3000), item(e, 'e1', 3000, { stored: false })];
    expect(await appendEventsBatch(db.sql, tables, fresh, { retried: true })).toEqual(['stored', 'stored']);
    expect(await ids(d)).toEqual(['d1']);
    expect(inner(await row(d))).toEqual(merged(initial, [deltaOf(fresh[0]!)]));
    expect(inner(await row(e))).toEqual(merged(initial, [deltaOf(fresh[1]!)]));
    // A session that does not exist is reported missing on a retry as on a first attempt.
    expect(await appendEventsBatch(db.sql, tables, [item(newKey(), 'm1', 3000)], { retried: true })).toEqual([
      'missing',
    ]);
  });
});
