/**
 * The PostgreSQL server restarts under a steady load of appends from several services. Every
 * append that resolved is stored exactly once, in order, with its state update; calls made while
 * the server is down fail fast with STORAGE (or, with asynchronous persistence, are accepted and
 * written once it is back); and the same services work again without being rebuilt.
 *
 * This file restarts the server, so it runs in the `serial` project, after every other test file
 * (npm test). It runs only with AGENT_SESSIONS_TEST_RESTART=1 (set by .ci/run), and needs
 * AGENT_SESSIONS_TEST_DATABASE_URL on this machine and a way to restart the
 * server: AGENT_SESSIONS_TEST_RESTART_COMMAND, or `pg_ctlcluster` (Debian's PostgreSQL). The
 * server is running again when the file ends, whatever happened.
 */
import { exec } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../../src/postgres/options.js';
import type { PostgresSessionService } from '../../../src/postgres/service.js';
import { decodeSessionState } from '../../../src/session/codec/index.js';
import { isAgentSessionsError } from '../../../src/session/errors.js';
import { createEvent, type Event } from '../../../src/session/event.js';
import type { SessionKey } from '../../../src/session/keys.js';
import type { Session } from '../../../src/session/session.js';
import { stateOf } from '../../../src/session/state.js';
import { commandPath } from '../../support/command-path.js';
import { pgbouncerUnavailable, startPgBouncer } from '../../support/pgbouncer.js';
import {
  createTestSchema,
  randomName,
  serverUrl,
  sleep,
  storedEventIds,
  type TestSchema,
  waitUntil,
} from '../support/server.js';

const run = promisify(exec);

/** How to restart the server, or why this file cannot. */
function restartPlan(): { restart: string; start: string } | { skip: string } {
  if (!serverUrl) return { skip: 'AGENT_SESSIONS_TEST_DATABASE_URL is not set' };
  // A developer's `npm test` must never restart their database: only an explicit opt-in does.
  if (process.env.AGENT_SESSIONS_TEST_RESTART !== '1')
    return { skip: 'set AGENT_SESSIONS_TEST_RESTART=1 to let this file restart the server' };
  const own = process.env.AGENT_SESSIONS_TEST_RESTART_COMMAND;
  if (own) return { restart: own, start: process.env.AGENT_SESSIONS_TEST_START_COMMAND ?? own };
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    return { skip: `the test server (${host}) is not on this machine` };
  if (!existsSync('/etc/postgresql')) return { skip: 'pg_ctlcluster is not available' };
  if (!commandPath('pg_ctlcluster')) return { skip: 'pg_ctlcluster is not available' };
  const version = readdirSync('/etc/postgresql')[0];
  const cluster = `pg_ctlcluster --skip-systemctl-redirect ${version} main`;
  return { restart: `${cluster} restart -m fast`, start: `${cluster} start` };
}

const plan = restartPlan();
if ('skip' in plan) console.info(`server restart tests skipped: ${plan.skip}`);
const describeRestart = 'skip' in plan ? describe.skip : describe;

/** One append made under load: its event, when it was made and how it ended. */
interface Attempt {
  id: string;
  ok: boolean;
  code?: string;
  ms: number;
  at: number;
}

describeRestart('a server restart under steady append load', () => {
  const commands = plan as { restart: string; start: string };
  let db: TestSchema;

  async function isUp(): Promise<boolean> {
    try {
      await db.admin.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async function restart(): Promise<{ downAt: number; upAt: number }> {
    const downAt = Date.now();
    await run(commands.restart);
    await waitUntil('the server accepts connections again', isUp, 60_000);
    return { downAt, upAt: Date.now() };
  }

  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => {
    // Whatever happened above, leave the server running for whoever comes next.
    if (!(await isUp().catch(() => false))) {
      await run(commands.start).catch(() => undefined);
      await waitUntil('the server is back', isUp, 60_000).catch(() => undefined);
    }
    await db?.drop();
  }, 90_000);

  function marked(label: string): Event {
    const event = createEvent({ author: 'user', message: { role: 'user', content: label } });
    event.stateDelta = stateOf({ [`e:${event.id}`]: '1' });
    return event;
  }

  /** The `e:` marks in the session row: the appends whose state update reached it. */
  async function stateMarks(key: SessionKey): Promise<string[]> {
    const { rows } = await db.admin.query<{ state: string }>(
      `SELECT state::text AS state FROM "${db.name}".session_states
       WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND deleted_at IS NULL`,
      [key.appName, key.userId, key.sessionId],
    );
    return Object.keys(decodeSessionState(rows[0]!.state).state)
      .filter((k) => k.startsWith('e:'))
      .map((k) => k.slice(2));
  }

  /**
   * Appends to `session` one call after another until `stop()` says so and at least `after`
   * appends have resolved since the server came back.
   */
  async function load(
    service: PostgresSessionService,
    session: Session,
    state: { upAt?: number; stopped: boolean },
    after: number,
  ): Promise<Attempt[]> {
    const attempts: Attempt[] = [];
    const deadline = Date.now() + 60_000;
    for (let i = 0; Date.now() < deadline; i++) {
      const okSinceUp = attempts.filter((a) => a.ok && state.upAt !== undefined && a.at > state.upAt).length;
      if (state.stopped && okSinceUp >= after) break;
      const event = marked(`${session.id} #${i}`);
      const at = Date.now();
      const start = performance.now();
      try {
        await service.appendEvent(session, event);
        attempts.push({ id: event.id, ok: true, ms: performance.now() - start, at });
      } catch (error) {
        attempts.push({
          id: event.id,
          ok: false,
          code: isAgentSessionsError(error) ? error.code : String(error),
          ms: performance.now() - start,
          at,
        });
        await sleep(20);
      }
    }
    return attempts;
  }

  /**
   * Three services append steadily while the server restarts: failures during the outage are
   * fast STORAGE errors, every resolved append is stored once and in order with its state update,
   * and each service works again by itself. `extra` points the services elsewhere (a pooler).
   */
  async function steadyLoadAcrossRestart(
    extra: PostgresSessionServiceOptions = {},
    { failuresSeen }: { failuresSeen: boolean } = { failuresSeen: true },
  ): Promise<void> {
    const services = await Promise.all(
      [0, 1, 2].map((i) => db.service(randomName(`restart${i}`), { connectTimeoutMs: 3_000, ...extra })),
    );
    try {
      const appName = randomName('restart');
      const sessions = await Promise.all(
        services.flatMap((service, i) =>
          [0, 1].map(async (j) => ({
            service,
            session: await service.createSession({ appName, userId: `u${i}`, sessionId: `s${j}` }),
          })),
        ),
      );
      const state: { upAt?: number; stopped: boolean } = { stopped: false };
      const loads = sessions.map(({ service, session }) => load(service, session, state, 10));
      await sleep(500);
      const before = await db.admin.query<{ t: Date }>('SELECT pg_postmaster_start_time() AS t');
      const { downAt, upAt } = await restart();
      state.upAt = upAt;
      state.stopped = true;
      const results = await Promise.all(loads);
      const after = await db.admin.query<{ t: Date }>('SELECT pg_postmaster_start_time() AS t');
      expect(after.rows[0]!.t.getTime(), 'the server did restart').not.toBe(before.rows[0]!.t.getTime());

      const all = results.flat();
      // Every load appends without pause, so some calls overlap the outage; a direct connection
      // fails them, a pooler may instead hold them until the server is back.
      expect(
        all.filter((a) => a.at <= upAt && a.at + a.ms >= downAt).length,
        'some appends met the outage',
      ).toBeGreaterThan(0);
      if (failuresSeen) expect(all.filter((a) => !a.ok).length, 'and failed').toBeGreaterThan(0);
      for (const [n, attempts] of results.entries()) {
        const { session } = sessions[n]!;
        const key = { appName, userId: session.userId, sessionId: session.id };
        const failed = attempts.filter((a) => !a.ok);
        for (const f of failed) {
          expect(f.code, 'a failure during the outage is a STORAGE error').toBe('STORAGE');
          expect(f.ms, 'and it comes fast, not after a hang').toBeLessThan(5_000);
        }
        const resolved = attempts.filter((a) => a.ok).map((a) => a.id);
        const stored = await storedEventIds(db.admin, db.name, key);
        expect(new Set(stored).size, 'nothing stored twice').toBe(stored.length);
        const resolvedSet = new Set(resolved);
        expect(
          stored.filter((id) => resolvedSet.has(id)),
          'every resolved append, in order',
        ).toEqual(resolved);
        const attempted = new Set(attempts.map((a) => a.id));
        expect(stored.filter((id) => !attempted.has(id))).toEqual([]);
        expect((await stateMarks(key)).sort(), 'events and state updates together').toEqual(
          [...stored].sort(),
        );
        expect(
          attempts.filter((a) => a.ok && a.at > upAt).length,
          'working again after the restart',
        ).toBeGreaterThanOrEqual(10);
      }
    } finally {
      await Promise.all(services.map((s) => s.close()));
    }
  }

  it('fails calls fast while the server is down, stores every resolved append once, and recovers by itself', async () => {
    await steadyLoadAcrossRestart();
  }, 120_000);

  // The same outage seen through PgBouncer in transaction mode: the pooler stays up and its server
  // connections die, so the services see the failures through it and recover without rebuilding.
  // A call that reaches the pooler while the server is down may wait for it instead of failing,
  // so a restart quick enough may fail no call at all.
  it.skipIf(pgbouncerUnavailable !== undefined)(
    'does the same through PgBouncer in transaction mode',
    async () => {
      const bouncer = await startPgBouncer('transaction');
      try {
        await steadyLoadAcrossRestart({ dsn: bouncer.url }, { failuresSeen: false });
      } finally {
        await bouncer.stop();
      }
    },
    120_000,
  );

  it('accepts appends during the outage with asynchronous persistence and writes each once when the server is back', async () => {
    const reports: Error[] = [];
    const service = await db.service(randomName('restartasync'), {
      asyncPersist: true,
      asyncPersisterNum: 2,
      onError: (error, context) => {
        // Idle connections dying with the server are news, not lost writes.
        if (context.operation !== 'pool') reports.push(error);
      },
    });
    try {
      const appName = randomName('async');
      const sessions = await Promise.all(
        [0, 1, 2].map((j) => service.createSession({ appName, userId: 'u', sessionId: `s${j}` })),
      );
      const appended = new Map<string, string[]>(sessions.map((s) => [s.id, []]));
      const acceptedAt: number[] = [];
      let stop = false;
      const writers = sessions.map(async (session) => {
        for (let i = 0; !stop && i < 2_000; i++) {
          const event = marked(`${session.id} #${i}`);
          await service.appendEvent(session, event);
          appended.get(session.id)!.push(event.id);
          acceptedAt.push(Date.now());
          await sleep(10);
        }
      });
      await sleep(300);
      const { downAt, upAt } = await restart();
      await sleep(300);
      stop = true;
      await Promise.all(writers);
      // Callers were not turned away while the server was down: their appends were accepted.
      expect(acceptedAt.filter((t) => t > downAt + 200 && t < upAt).length).toBeGreaterThan(0);
      await service.flush();
      expect(reports).toEqual([]);
      for (const session of sessions) {
        const key = { appName, userId: 'u', sessionId: session.id };
        expect(await storedEventIds(db.admin, db.name, key)).toEqual(appended.get(session.id));
        expect((await stateMarks(key)).sort()).toEqual([...appended.get(session.id)!].sort());
      }
    } finally {
      await service.close();
    }
  }, 120_000);
});
