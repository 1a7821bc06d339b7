/**
 * The operator API on every PostgreSQL test database: listings count what a service would return
 * (or everything, with includeInactive), statistics split rows into live, soft-deleted and
 * expired, and missing tables are named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminDatabase,
  adminDatabase,
  browseSessions,
  countExpired,
  countPurgeable,
  countSessions,
  exportSessions,
  findMissingTables,
  findSession,
  lastDeletion,
  listApps,
  listSessions,
  listUsers,
  migrate,
  migrationStatements,
  purge,
  readAppState,
  readTimeline,
  readUserState,
  restore,
  sweepNow,
  tableStats,
} from '../../src/postgres/admin/index.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { type TestDatabase, testDatabases } from '../support/database.js';
import { SEED_APP, SEED_USER, seedOperations } from '../support/operations-seed.js';

/** How a call was refused: it must reject with INVALID_ARGUMENT naming `field`. */
async function refused(call: () => Promise<unknown>, field: string): Promise<void> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAgentSessionsError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
  expect((error as { field?: string }).field).toBe(field);
}

/** The first record of an export (running its checks), or undefined when it yields none. */
async function firstOf(records: AsyncIterable<unknown>): Promise<unknown> {
  for await (const record of records) return record;
  return undefined;
}

describe.each(testDatabases)('operator API on %s', (_name, open) => {
  let test: TestDatabase;
  let db: AdminDatabase;

  beforeAll(async () => {
    test = await open();
    await seedOperations(test.sql, test.schema ?? '');
    db = adminDatabase(test.sql, { schema: test.schema });
  });

  afterAll(async () => {
    await test.close();
  });

  it('lists the sessions a service would return, and all of them with includeInactive', async () => {
    const live = await listSessions(db, { appName: SEED_APP, userId: SEED_USER });
    // s-old has expired; s-del and s-purge are soft-deleted.
    expect(live.rows.map((r) => r.sessionId)).toEqual([]);
    const all = await listSessions(db, { appName: SEED_APP, userId: SEED_USER, includeInactive: true });
    expect(all.total).toBe(3);
    expect(Object.fromEntries(all.rows.map((r) => [r.sessionId, r.status]))).toEqual({
      's-old': 'expired',
      's-del': 'deleted',
      's-purge': 'deleted',
    });
    const old = all.rows.find((r) => r.sessionId === 's-old')!;
    expect(old).toMatchObject({ appName: SEED_APP, userId: SEED_USER, events: 2, turns: 1 });
    expect(old.createdAt).toBeInstanceOf(Date);
    expect(old.expiresAt).toBeInstanceOf(Date);
  });

  it('limits a listing and still counts the total', async () => {
    const page = await listSessions(db, { userId: SEED_USER, includeInactive: true, limit: 1 });
    expect(page.rows).toHaveLength(1);
    expect(page.total).toBe(3);
  });

  it('lists apps and users with their session counts', async () => {
    const apps = await listApps(db, { includeInactive: true });
    expect(apps.rows).toEqual([expect.objectContaining({ appName: SEED_APP, users: 1, sessions: 3 })]);
    expect(apps.total).toBe(1);
    expect((await listApps(db)).total).toBe(0);
    const users = await listUsers(db, { appName: SEED_APP, includeInactive: true });
    expect(users.rows).toEqual([expect.objectContaining({ userId: SEED_USER, sessions: 3 })]);
  });

  it('splits each table into live, soft-deleted and expired rows', async () => {
    const stats = await tableStats(db);
    expect(stats.map((s) => s.table)).toEqual(db.tables.all.map((t) => t.name));
    const sessions = stats.find((s) => s.table === db.tables.sessionStates.name)!;
    expect(sessions).toMatchObject({ rows: 3, live: 0, softDeleted: 2, expired: 1 });
    expect(sessions.bytes).toBeGreaterThan(0);
    const appStates = stats.find((s) => s.table === db.tables.appStates.name)!;
    expect(appStates).toMatchObject({ rows: 2, live: 1, expired: 1 });
  });

  it('names the tables that are missing', async () => {
    expect((await findMissingTables(db)).missing).toEqual([]);
    const other = adminDatabase(test.sql, { schema: test.schema, tablePrefix: 'absent_' });
    const found = await findMissingTables(other);
    expect(found.missing).toEqual(other.tables.all.map((t) => t.name));
    expect(found.schema).toBe(test.schema ?? 'public');
  });

  // The tests below change the data: they run after the read-only ones above, in this order.

  it('shows a stored session, and tells when a missing one was soft-deleted', async () => {
    const key = { appName: SEED_APP, userId: SEED_USER, sessionId: 's-old' };
    const record = await findSession(db, key);
    expect(record?.events).toHaveLength(2);
    expect(record?.expiresAt).not.toBeNull();
    const deleted = { ...key, sessionId: 's-del' };
    expect(await findSession(db, deleted)).toBeUndefined();
    expect(await lastDeletion(db, deleted)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(await lastDeletion(db, { ...key, sessionId: 'never' })).toBeNull();
  });

  it('restores a soft-deleted session with its rows, and refuses one that is not there', async () => {
    const key = { appName: SEED_APP, userId: SEED_USER, sessionId: 's-del' };
    expect(await restore(db, key)).toMatchObject({ sessions: 1, events: 2, trackEvents: 1 });
    expect((await findSession(db, key))?.events).toHaveLength(2);
    const error = await restore(db, { ...key, sessionId: 'never' }).catch((e: unknown) => e);
    expect(isAgentSessionsError(error, 'NOT_FOUND')).toBe(true);
  });

  it('says what the database answered when a restore fails', async () => {
    // Tables looked for under a prefix nothing was created with: the database refuses the read.
    const elsewhere = adminDatabase(test.sql, { schema: test.schema, tablePrefix: 'never_made_' });
    const error = await restore(elsewhere, {
      appName: SEED_APP,
      userId: SEED_USER,
      sessionId: 's-del',
    }).catch((e: unknown) => e);
    expect(isAgentSessionsError(error, 'STORAGE')).toBe(true);
    expect((error as Error).message).toMatch(
      /^restore of session .+\/s-del failed: relation ".*never_made_session_states" does not exist$/,
    );
  });

  it('counts what a purge deletes, then purges exactly that', async () => {
    const olderThan = new Date(Date.now() - 30 * 86_400_000);
    const pending = await countPurgeable(db, olderThan);
    expect(pending).toMatchObject({ sessions: 1, events: 1 });
    const report = await purge(db, { olderThan });
    expect(report).toMatchObject({ ...pending, ran: true });
    expect(await countPurgeable(db, olderThan)).toMatchObject({ sessions: 0, events: 0 });
  });

  it('estimates what a sweep reaches, then sweeps it with a report', async () => {
    const options = { sessionTtlMs: 86_400_000, appStateTtlMs: 86_400_000, userStateTtlMs: 86_400_000 };
    // s-old (its row and two events), the banner app state, the tmp user state.
    expect(await countExpired(db, options)).toBe(5);
    expect(await countExpired(db, {})).toBe(0);
    const report = await sweepNow(db, options);
    expect(report).toMatchObject({ ran: true, sessions: 1, events: 2, appStates: 1, userStates: 1 });
    expect(await countExpired(db, options)).toBe(0);
  });

  it('refuses a time no table holds and text the driver would change, naming the field', async () => {
    const key = { appName: SEED_APP, userId: SEED_USER, sessionId: 's-del' };
    const user = { appName: SEED_APP, userId: SEED_USER };
    const lone = 'a\ud800b';
    const drain = async (records: AsyncIterable<unknown>) => {
      for await (const _ of records);
    };
    for (const bad of [new Date(Date.UTC(10000, 0, 1)), new Date(-62135596800001), new Date(8.64e15)]) {
      await refused(() => listSessions(db, { now: bad }), 'now');
      await refused(() => listApps(db, { now: bad }), 'now');
      await refused(() => listUsers(db, { now: bad }), 'now');
      await refused(() => tableStats(db, { now: bad }), 'now');
      await refused(() => countExpired(db, { sessionTtlMs: 1000 }, bad), 'now');
      await refused(() => countPurgeable(db, bad), 'olderThan');
      await refused(() => purge(db, { olderThan: bad }), 'olderThan');
      await refused(() => restore(db, key, { deletedAt: bad }), 'deletedAt');
      await refused(
        () => drain(exportSessions(db, { updatedSince: bad, includeDeleted: true })),
        'updatedSince',
      );
      await refused(() => browseSessions(db, user, { updatedFrom: bad }), 'updatedFrom');
      await refused(() => browseSessions(db, user, { updatedTo: bad }), 'updatedTo');
      await refused(() => browseSessions(db, user, { now: bad }), 'now');
      await refused(() => readAppState(db, SEED_APP, { now: bad }), 'now');
      await refused(() => readTimeline(db, key, { now: bad }), 'now');
    }
    await refused(() => listSessions(db, { appName: lone }), 'appName');
    await refused(() => listUsers(db, { userId: lone }), 'userId');
    await refused(() => countSessions(db, { sessionId: lone, includeDeleted: false }), 'sessionId');
    await refused(() => findSession(db, { ...key, userId: lone }), 'userId');
    await refused(() => lastDeletion(db, { ...key, sessionId: lone }), 'sessionId');
    await refused(() => restore(db, { ...key, sessionId: lone }), 'sessionId');
    await refused(() => browseSessions(db, user, { idPrefix: lone }), 'idPrefix');
    await refused(() => browseSessions(db, { ...user, appName: lone }), 'appName');
    await refused(() => readAppState(db, lone), 'appName');
    await refused(() => readUserState(db, { ...user, userId: '\udc00' }), 'userId');
    await refused(() => readTimeline(db, { ...key, sessionId: 'x\u0000' }), 'sessionId');
  });

  it('refuses a row count that is not an integer from 1 up, naming the field, and keeps the total', async () => {
    // 0 read as LIMIT 0 made the total 0 and an export empty; the others reached the database.
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31, '10' as unknown as number]) {
      await refused(() => listSessions(db, { includeInactive: true, limit: bad }), 'limit');
      await refused(() => listApps(db, { includeInactive: true, limit: bad }), 'limit');
      await refused(() => listUsers(db, { includeInactive: true, limit: bad }), 'limit');
      await refused(
        () => firstOf(exportSessions(db, { includeDeleted: true }, { pageSize: bad })),
        'pageSize',
      );
    }
    const all = await listSessions(db, { includeInactive: true });
    const one = await listSessions(db, { includeInactive: true, limit: 1 });
    expect(one.rows).toHaveLength(1);
    expect(one.total).toBe(all.total);
    expect((await listApps(db, { includeInactive: true, limit: 2 ** 31 - 1 })).total).toBeGreaterThan(0);
    expect(await firstOf(exportSessions(db, { includeDeleted: true }, { pageSize: 1 }))).toBeDefined();
  });

  it('refuses a filter or options argument that is not an object, or cannot be read, naming it', async () => {
    const throwing = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const key = { appName: SEED_APP, userId: SEED_USER, sessionId: 's-del' };
    for (const bad of [null, 5, 'x', throwing]) {
      await refused(() => listSessions(db, bad as never), 'filter');
      await refused(() => listApps(db, bad as never), 'filter');
      await refused(() => listUsers(db, bad as never), 'filter');
      await refused(() => countSessions(db, bad as never), 'filter');
      await refused(() => firstOf(exportSessions(db, bad as never)), 'filter');
      await refused(() => firstOf(exportSessions(db, { includeDeleted: true }, bad as never)), 'options');
      await refused(
        () => browseSessions(db, { appName: SEED_APP, userId: SEED_USER }, bad as never),
        'options',
      );
      await refused(() => readAppState(db, SEED_APP, bad as never), 'options');
      await refused(() => readTimeline(db, key, bad as never), 'options');
      await refused(() => restore(db, key, bad as never), 'options');
      await refused(() => tableStats(db, bad as never), 'options');
      await refused(() => sweepNow(db, bad as never), 'options');
      await refused(() => purge(db, bad as never), 'options');
      expect(() => adminDatabase(test.sql, bad as never)).toThrow(
        expect.objectContaining({ field: 'options' }),
      );
    }
  });

  it('migrates a fresh schema, and lists the statements it runs', async () => {
    const fresh = adminDatabase(test.sql, { schema: test.schema, tablePrefix: 'fresh_' });
    const report = await migrate(fresh);
    expect(report.created.length).toBeGreaterThanOrEqual(6);
    expect(report.schema).toBe(test.schema ?? 'public');
    expect((await findMissingTables(fresh)).missing).toEqual([]);
    expect((await migrate(fresh)).created).toEqual([]);
    const statements = migrationStatements({ schema: 'x', tablePrefix: 'p_' });
    expect(statements[0]).toBe('CREATE SCHEMA IF NOT EXISTS "x"');
    expect(statements.some((s) => s.includes('"x"."p_session_states"'))).toBe(true);
  });
});
