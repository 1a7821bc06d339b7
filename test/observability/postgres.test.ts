import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { SqlClient, SqlExecutor } from '../../src/sql/client.js';
import { FakeSummarizer } from '../conformance/fakes.js';
import { newPglite } from '../support/database.js';
import {
  callEveryMethod,
  countOf,
  EVERY_SPAN_NAME,
  installOtel,
  ownMeter,
  pointWith,
  recordingLogger,
  type TestOtel,
} from './otel.js';

const message = (content: string) => createEvent({ author: 'user', message: { role: 'user', content } });

let otel: TestOtel;
let db: { client: SqlClient; close(): Promise<void> };
let database: string;
let apps = 0;
/** A fresh app name per test, so tests never see each other's rows. */
const nextUser = () => ({ appName: `obs-pg-${++apps}`, userId: 'u1' });

beforeAll(async () => {
  otel = installOtel();
  db = await newPglite();
  await (await PostgresSessionService.create({ client: db.client, telemetry: false })).close();
  const { rows } = await db.client.query<{ database: string }>('SELECT current_database() AS database');
  database = rows[0]!.database;
});
afterAll(async () => {
  await db.close();
  await otel.uninstall();
});
beforeEach(() => otel.exporter.reset());

/**
 * The PGlite client with a hand on every statement: `before` runs first and may wait (to hold
 * writes back) or throw (to fail them).
 */
function controlledClient(before: (text: string) => Promise<void> | void): SqlClient {
  const inner = db.client;
  const wrap = (exec: SqlExecutor): SqlExecutor => ({
    async query(text, params) {
      await before(text);
      return exec.query(text, params);
    },
  });
  return {
    kind: inner.kind,
    query: (text, params) => wrap(inner).query(text, params),
    transaction: async (fn) => {
      await before('BEGIN');
      return inner.transaction((tx) => fn(wrap(tx)));
    },
    withConnection: (fn) => inner.withConnection((conn) => fn(wrap(conn))),
    close: async () => undefined,
  } as SqlClient;
}

const service = (options: PostgresSessionServiceOptions = {}) =>
  PostgresSessionService.create({ client: db.client, skipDbInit: true, ...options });

describe('spans on PGlite', () => {
  it('makes one CLIENT span per call with db.system postgresql and the database as db.namespace', async () => {
    const user = nextUser();
    const svc = await service({ summarizer: new FakeSummarizer(), sessionTtlMs: 60_000 });
    await callEveryMethod(svc, user);

    const names = otel.spans().map((s) => s.name);
    for (const name of EVERY_SPAN_NAME) expect(names).toContain(name);
    const get = otel.span('agent_sessions.get_session');
    expect(get.kind).toBe(SpanKind.CLIENT);
    expect(get.attributes).toMatchObject({
      'db.system': 'postgresql',
      'db.namespace': database,
      'db.operation.name': 'get_session',
      'app.name': user.appName,
      'agent_sessions.session.found': true,
      'agent_sessions.events.returned': 1,
    });
    expect(get.attributes['session.id']).toBeUndefined();
    expect(otel.span('agent_sessions.append_event').attributes).toMatchObject({
      'agent_sessions.async': false,
      'agent_sessions.events.appended': 1,
    });
  });

  it('puts session.id on spans only when recordSessionIds is on', async () => {
    const user = nextUser();
    const plain = await service();
    await plain.createSession({ ...user, sessionId: 'hidden' });
    await plain.close();
    expect(otel.span('agent_sessions.create_session').attributes['session.id']).toBeUndefined();

    const recording = await service({ telemetry: { recordSessionIds: true } });
    const session = await recording.createSession({ ...user, sessionId: 'shown' });
    await recording.appendEvent(session, message('hi'));
    await recording.close();
    expect(otel.span('agent_sessions.create_session').attributes['session.id']).toBe('shown');
    expect(otel.span('agent_sessions.append_event').attributes['session.id']).toBe('shown');
  });

  it('marks a failed call with status ERROR and the error code', async () => {
    const user = nextUser();
    const svc = await service();
    await svc.createSession({ ...user, sessionId: 'dup' });
    await expect(svc.createSession({ ...user, sessionId: 'dup' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await svc.close();
    const conflict = otel.spans().filter((s) => s.name === 'agent_sessions.create_session')[1]!;
    expect(conflict.status.code).toBe(SpanStatusCode.ERROR);
    expect(conflict.attributes['error.type']).toBe('CONFLICT');
    expect(JSON.stringify(conflict.events)).not.toContain('"dup"');
  });

  it('tags appends that went to the async queue', async () => {
    const user = nextUser();
    const svc = await service({ asyncPersist: true });
    const session = await svc.createSession(user);
    await svc.appendEvent(session, message('queued'));
    await svc.flush();
    await svc.close();
    expect(otel.span('agent_sessions.append_event').attributes['agent_sessions.async']).toBe(true);
  });
});

describe('metrics on PGlite', () => {
  it('reports the async queue depth, enqueue waits and batch sizes', async () => {
    const user = nextUser();
    let gate: Promise<void> | undefined;
    let open = () => {};
    const meter = ownMeter();
    const svc = await service({
      client: controlledClient(() => gate),
      asyncPersist: true,
      asyncPersisterNum: 1,
      telemetry: { meterProvider: meter.meterProvider },
    });
    const session = await svc.createSession(user);
    gate = new Promise((resolve) => {
      open = resolve;
    });
    // The first append leaves in a batch of its own and is held at the gate; the next two queue behind it.
    await svc.appendEvent(session, message('one'));
    await new Promise((resolve) => setImmediate(resolve));
    await svc.appendEvent(session, message('two'));
    await svc.appendEvent(session, message('three'));
    const depth = await meter.points('agent_sessions.async.queue.depth');
    expect(pointWith(depth, { 'db.system': 'postgresql', 'db.namespace': database })?.value).toBe(2);
    const waiting = await meter.points('agent_sessions.async.queue.waiting');
    expect(pointWith(waiting, { 'db.system': 'postgresql' })?.value).toBe(0);
    gate = undefined;
    open();
    await svc.flush();
    expect(pointWith(await meter.points('agent_sessions.async.queue.depth'), {})?.value).toBe(0);
    const waits = await meter.points('agent_sessions.async.enqueue.wait');
    expect(countOf(pointWith(waits, { operation: 'append_event' }))).toBe(3);
    const batches = await meter.points('agent_sessions.async.batch.size');
    expect(pointWith(batches, { operation: 'append_event' })?.value).toMatchObject({ sum: 3 });
    await svc.close();
    // A closed service leaves the gauges (the SDK may keep exporting the last value, 0 here).
    for (const point of await meter.points('agent_sessions.async.queue.depth')) expect(point.value).toBe(0);
    await meter.shutdown();
  });

  it('counts failed async writes and retries, and logs them when no onError is given', async () => {
    const user = nextUser();
    const meter = ownMeter();
    const logger = recordingLogger();
    let failNext = 0;
    const svc = await service({
      client: controlledClient((text) => {
        if (failNext > 0 && /INSERT/i.test(text)) {
          failNext--;
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        }
      }),
      asyncPersist: true,
      logger,
      telemetry: { meterProvider: meter.meterProvider },
    });
    const session = await svc.createSession(user);
    // A transient failure: the batch is retried and then stored.
    failNext = 1;
    await svc.appendEvent(session, message('retried'));
    await svc.flush();
    expect(
      pointWith(await meter.points('agent_sessions.async.persist.retries'), { operation: 'append_event' })
        ?.value,
    ).toBe(1);
    expect(logger.records.find((r) => r.level === 'warn')).toMatchObject({
      fields: { operation: 'appendEvent', attempt: 1 },
    });

    // A permanent failure: the session is gone by the time the write runs.
    await svc.deleteSession({ ...user, sessionId: session.id });
    await svc.appendEvent(session, message('lost'));
    await expect(svc.flush()).rejects.toMatchObject({ code: 'STORAGE' });
    const failures = await meter.points('agent_sessions.async.persist.failures');
    expect(pointWith(failures, { operation: 'append_event', 'error.type': 'NOT_FOUND' })?.value).toBe(1);
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ operation: 'appendEvent' });
    expect(errors[0]!.fields.err).toMatchObject({ code: 'NOT_FOUND' });
    await svc.close();
    await meter.shutdown();
  });

  it('counts sweeper runs and the rows it removed, by table', async () => {
    const user = nextUser();
    const meter = ownMeter();
    const logger = recordingLogger();
    const clock = new ManualClock(Date.now());
    const svc = await service({
      clock,
      sessionTtlMs: 1_000,
      softDelete: false,
      logger,
      telemetry: { meterProvider: meter.meterProvider },
      tablePrefix: 'sweep',
      skipDbInit: false,
    });
    const session = await svc.createSession(user);
    await svc.appendEvent(session, message('old'));
    await svc.appendEvent(session, message('older'));
    clock.advance(5_000);
    const report = await svc.sweepNow();
    expect(report).toMatchObject({ ran: true, sessions: 1, events: 2 });
    await svc.close();

    const runs = await meter.points('agent_sessions.sweeper.runs');
    expect(pointWith(runs, { outcome: 'ok', 'db.system': 'postgresql' })?.value).toBe(1);
    const rows = await meter.points('agent_sessions.sweeper.rows');
    expect(pointWith(rows, { table: 'session_states' })?.value).toBe(1);
    expect(pointWith(rows, { table: 'session_events' })?.value).toBe(2);
    expect(pointWith(rows, { table: 'app_states' })).toBeUndefined();
    expect(countOf(pointWith(await meter.points('agent_sessions.sweeper.duration'), { outcome: 'ok' }))).toBe(
      1,
    );
    expect(logger.records.find((r) => r.level === 'info')).toMatchObject({
      message: 'agent-sessions: sweep removed 3 expired rows',
      fields: { sessions: 1, events: 2 },
    });
    await meter.shutdown();
  });

  it('records latency by operation and outcome', async () => {
    const user = nextUser();
    const meter = ownMeter();
    const svc = await service({ telemetry: { meterProvider: meter.meterProvider } });
    await svc.listSessions(user);
    await expect(
      svc.getEventWindow({ ...user, sessionId: 'x' }, 'none', { before: 0, after: 0 }),
    ).rejects.toThrow();
    await svc.close();
    const points = await meter.points('agent_sessions.operation.duration');
    expect(
      countOf(pointWith(points, { operation: 'list_sessions', outcome: 'ok', 'db.system': 'postgresql' })),
    ).toBe(1);
    expect(
      countOf(
        pointWith(points, { operation: 'get_event_window', outcome: 'error', 'error.type': 'NOT_FOUND' }),
      ),
    ).toBe(1);
    await meter.shutdown();
  });
});
