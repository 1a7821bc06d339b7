/**
 * The scenario every database runs through: the built `agent-sessions` command as a subprocess,
 * on data written by the demo and by the library (an expired session, soft-deleted ones, expired
 * state): every subcommand, the export/import round trip, and checks in the database itself.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '../../src/postgres/schema/index.js';
import type { SqlClient } from '../../src/sql/client.js';
import { SEED_APP, SEED_USER, seedOperations } from '../support/operations-seed.js';
import {
  BUILD_TIMEOUT_MS,
  cli,
  DEMO,
  ensureBuilt,
  expectOneLineError,
  lines,
  ok,
  runNode,
  STEP_TIMEOUT_MS,
} from './support.js';

/** One database under test, as the command's flags and as a SQL client for checks. */
export interface Target {
  /** The working directory of the subprocesses. */
  cwd: string;
  /** Flags selecting the first database (the demo's). */
  flags: string[];
  /** Flags selecting a second, empty database (the import target). */
  secondFlags: string[];
  env: Record<string, string | undefined>;
  /** The schema of the first database's tables ('' for the default). */
  schema: string;
  /** The environment that makes the demo write into the first database. */
  demoEnv: Record<string, string | undefined>;
  /** Runs checks on the first database (closed before the next command runs). */
  sql<T>(fn: (db: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Defines the scenario on the database `open` sets up (skipped when not `enabled`). */
export function defineCliSuite(name: string, open: () => Promise<Target>, enabled = true): void {
  (enabled ? describe : describe.skip)(`agent-sessions on ${name}`, () => {
    let target: Target;
    let sessionId: string;
    const run = (args: string[], extra: { flags?: string[]; input?: string } = {}) =>
      cli([...args, ...(extra.flags ?? target.flags)], {
        cwd: target.cwd,
        env: target.env,
        ...(extra.input !== undefined ? { input: extra.input } : {}),
      });
    const t = () => tableNames(target.schema, '');
    const deletedAt = async (sessionIdOf: string) =>
      target.sql(async (db) => {
        const { rows } = await db.query<{ session: Date | null; events: number; live_events: number }>(
          `SELECT (SELECT deleted_at FROM ${t().sessionStates.qualified} WHERE app_name = $1 AND session_id = $2 ORDER BY id DESC LIMIT 1) AS session,
             (SELECT count(*)::int FROM ${t().sessionEvents.qualified} WHERE app_name = $1 AND session_id = $2) AS events,
             (SELECT count(*)::int FROM ${t().sessionEvents.qualified} WHERE app_name = $1 AND session_id = $2 AND deleted_at IS NULL) AS live_events`,
          [SEED_APP, sessionIdOf],
        );
        return rows[0]!;
      });

    beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);
    beforeAll(async () => {
      target = await open();
    }, STEP_TIMEOUT_MS);
    afterAll(async () => {
      await target?.close();
    }, STEP_TIMEOUT_MS);

    it(
      'refuses read commands on a database without the tables',
      async () => {
        const line = expectOneLineError(await run(['ls']));
        expect(line).toMatch(/session_states does not exist .*agent-sessions migrate/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'creates the tables with migrate, and finds them up to date the second time',
      async () => {
        const first = ok(await run(['migrate']));
        expect(first.stdout).toContain('Created 6 tables and 12 indexes');
        const second = ok(await run(['migrate']));
        expect(second.stdout).toContain('up to date');
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'lists apps, users and sessions after the demo',
      async () => {
        const demo = await runNode(DEMO, [], { cwd: target.cwd, env: target.demoEnv });
        ok(demo);
        await target.sql((db) => seedOperations(db, target.schema));

        const apps = ok(await run(['ls']));
        expect(lines(apps.stdout)[0]).toMatch(/^APP\s+USERS\s+SESSIONS\s+EVENTS\s+LAST UPDATE$/);
        expect(apps.stdout).toMatch(/travel-assistant\s+1\s+1\s+8\s/);
        // support has no live session: expired and soft-deleted ones count only with --all.
        expect(apps.stdout).not.toContain('support');
        expect(ok(await run(['ls', '--all'])).stdout).toMatch(/support\s+1\s+3\s+2\s/);
        const users = ok(await run(['ls', '--app', 'travel-assistant']));
        expect(users.stdout).toMatch(/ada\s+1\s+8\s/);
        const sessions = JSON.parse(
          ok(await run(['ls', '--app', 'travel-assistant', '--user', 'ada', '--json'])).stdout,
        );
        expect(sessions).toHaveLength(1);
        expect(sessions[0]).toMatchObject({
          appName: 'travel-assistant',
          userId: 'ada',
          turns: 3,
          events: 8,
          status: 'live',
        });
        sessionId = sessions[0].sessionId;
        const all = JSON.parse(
          ok(await run(['ls', '--app', SEED_APP, '--user', SEED_USER, '--all', '--json'])).stdout,
        );
        expect(
          Object.fromEntries(all.map((s: { sessionId: string; status: string }) => [s.sessionId, s.status])),
        ).toEqual({
          's-old': 'expired',
          's-del': 'deleted',
          's-purge': 'deleted',
        });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'shows a session as a transcript with tool calls, merged state, summary and track',
      async () => {
        const shown = ok(await run(['show', 'travel-assistant', 'ada', sessionId]));
        const out = shown.stdout;
        expect(out).toContain(`Session travel-assistant / ada / ${sessionId}`);
        expect(out).toMatch(/user\s+Hi! I'm planning a weekend in Lisbon/);
        expect(out).toContain('→ get_weather {"city":"Lisbon","days":2}');
        expect(out).toMatch(/tool\s+← get_weather \{"city":"Lisbon"/);
        expect(out).toMatch(/session\s+trip_city\s+= Lisbon/);
        expect(out).toMatch(/user\s+user:units\s+= metric/);
        expect(out).toMatch(/app\s+app:demo_runs\s+= 1/);
        expect(out).toContain('Summary');
        expect(out).toContain('User asked: Suggest one thing to do on Saturday evening.');
        expect(out).toContain('tool-calls (1 event)');
        expect(out).not.toContain('\u001b[');
        const coloured = await cli(['show', 'travel-assistant', 'ada', sessionId, ...target.flags], {
          cwd: target.cwd,
          env: { ...target.env, NO_COLOR: undefined, FORCE_COLOR: '1' },
        });
        expect(ok(coloured).stdout).toContain('\u001b[');

        const json = JSON.parse(
          ok(await run(['show', 'travel-assistant', 'ada', sessionId, '--json'])).stdout,
        );
        expect(json.events).toHaveLength(8);
        expect(json.events[1].choices[0].message.tool_calls[0].function.name).toBe('get_weather');
        expect(json.state).toMatchObject({
          trip_city: 'Lisbon',
          'user:units': 'metric',
          'app:demo_runs': '1',
        });
        expect(json.summaries[''].summary).toContain('Tool get_weather called with');
        expect(json.tracks['tool-calls'][0].payload).toMatchObject({ tool: 'get_weather' });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'explains an unknown or soft-deleted session in one line',
      async () => {
        const unknown = expectOneLineError(await run(['show', 'travel-assistant', 'ada', 'no-such-session']));
        expect(unknown).toContain('unknown session travel-assistant/ada/no-such-session');
        const deleted = expectOneLineError(await run(['show', SEED_APP, SEED_USER, 's-del']));
        // The command to undo it: the table flags in use, then the key.
        expect(deleted).toMatch(
          new RegExp(`\`agent-sessions restore( --[a-z-]+ \\S+)* ${SEED_APP} ${SEED_USER} s-del\``),
        );
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'round-trips export → import → export into another database, and a second import changes nothing',
      async () => {
        const first = ok(await run(['export', '--include-deleted']));
        const exported = lines(first.stdout);
        expect(exported).toHaveLength(4);
        // Piped: the report only, no progress bar drawn into the output.
        expect(first.stderr).toBe('Exported 4 sessions with 13 events.\n');
        const file = join(target.cwd, 'sessions.jsonl');
        writeFileSync(file, first.stdout);

        const imported = ok(await run(['import', file], { flags: target.secondFlags }));
        expect(imported.stdout).toContain('Imported 4 sessions: 4 new, 0 updated, 0 unchanged.');
        expect(imported.stdout).toContain('Events: 13 added, 0 already present.');
        const again = ok(await run(['export', '--include-deleted'], { flags: target.secondFlags }));
        expect(again.stdout).toBe(first.stdout);

        // From stdin this time: nothing new.
        const repeat = ok(
          await run(['import'], { flags: target.secondFlags, input: readFileSync(file, 'utf8') }),
        );
        expect(repeat.stdout).toContain('0 new, 0 updated, 4 unchanged');
        expect(repeat.stdout).toContain('Events: 0 added, 13 already present.');
        expect(repeat.stdout).toContain('State rows written: 0.');
        const third = ok(await run(['export', '--include-deleted'], { flags: target.secondFlags }));
        expect(third.stdout).toBe(first.stdout);

        // A damaged line stops the import with its line number; the sessions before it stay imported.
        writeFileSync(file, `${exported[0]}\n{"format":"agent-sessions/session@1","appName":""}\n`);
        const damaged = expectOneLineError(await run(['import', file], { flags: target.secondFlags }));
        expect(damaged).toContain('sessions.jsonl line 2: session.appName must not be empty');
        expect(damaged).toContain('the 1 session before it was imported');

        // A key the service refuses is refused by field, and nothing of its session is written:
        // on PGlite it would have been read back without its byte order mark, as another key.
        const renamed = { ...JSON.parse(exported[1]!), sessionId: '\ufeffrenamed' };
        writeFileSync(file, `${JSON.stringify(renamed)}\n`);
        const refused = expectOneLineError(await run(['import', file], { flags: target.secondFlags }));
        expect(refused).toContain(
          'sessions.jsonl line 1: session.sessionId must not start with U+FEFF (a byte order mark)',
        );
        const after = ok(await run(['export', '--include-deleted'], { flags: target.secondFlags }));
        expect(after.stdout).toBe(first.stdout);

        // Each line holds the exact stored event JSON, in order, and each app's and user's state once.
        const records = exported.map((l) => JSON.parse(l));
        const demo = records.find((r) => r.appName === 'travel-assistant');
        expect(demo.events).toHaveLength(8);
        expect(JSON.parse(demo.events[0].event).author).toBe('user');
        expect(demo.appState.map((s: { key: string }) => s.key)).toEqual(['demo_runs']);
        expect(records.filter((r) => r.appState !== undefined)).toHaveLength(2);
        expect(records.filter((r) => r.userState !== undefined)).toHaveLength(2);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'filters exports by app, user and update time, and leaves deleted sessions out by default',
      async () => {
        const live = lines(ok(await run(['export'])).stdout).map((l) => JSON.parse(l));
        expect(live.map((r) => r.sessionId).sort()).toEqual([sessionId, 's-old'].sort());
        const byApp = lines(ok(await run(['export', '--app', SEED_APP, '--include-deleted'])).stdout);
        expect(byApp).toHaveLength(3);
        const byUser = lines(ok(await run(['export', '--user', 'ada'])).stdout);
        expect(byUser).toHaveLength(1);
        const future = ok(await run(['export', '--updated-since', '2999-01-01']));
        expect(future.stdout).toBe('');
        expect(future.stderr).toContain('Exported 0 sessions');
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'reports rows per table with stats',
      async () => {
        const stats = JSON.parse(ok(await run(['stats', '--json'])).stdout);
        const byTable = Object.fromEntries(stats.tables.map((r: { table: string }) => [r.table, r]));
        expect(byTable.session_states).toMatchObject({ rows: 4, live: 1, softDeleted: 2, expired: 1 });
        expect(byTable.session_events).toMatchObject({ rows: 13, softDeleted: 3 });
        expect(byTable.app_states).toMatchObject({ rows: 3, expired: 1 });
        expect(byTable.user_states).toMatchObject({ rows: 4, expired: 1 });
        for (const row of stats.tables) expect(row.bytes).toBeGreaterThan(0);
        const table = ok(await run(['stats'])).stdout;
        expect(table).toMatch(/TABLE\s+ROWS\s+LIVE\s+SOFT-DELETED\s+EXPIRED\s+SIZE/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'sweeps expired data with cleanup (soft by default, --hard deletes)',
      async () => {
        const ttls = ['--session-ttl', '24h', '--app-state-ttl', '30d'];
        // --dry-run counts, per table, exactly what the sweep then removes, and removes nothing.
        const preview = JSON.parse(ok(await run(['cleanup', ...ttls, '--dry-run', '--json'])).stdout);
        expect(JSON.parse(ok(await run(['cleanup', ...ttls, '--dry-run', '--json'])).stdout)).toEqual(
          preview,
        );
        const previewTable = ok(await run(['cleanup', ...ttls, '--dry-run'])).stdout;
        expect(previewTable).toMatch(/WOULD SOFT-DELETE/);
        expect(previewTable).toMatch(/session_events\s+2/);
        const soft = JSON.parse(ok(await run(['cleanup', ...ttls, '--json'])).stdout);
        const { ran: _, ...removed } = soft;
        expect({ ...removed, mode: 'soft', dryRun: true }).toEqual(preview);
        expect(soft).toMatchObject({
          ran: true,
          mode: 'soft',
          sessions: 1,
          events: 2,
          appStates: 1,
          userStates: 0,
        });
        const old = await deletedAt('s-old');
        expect(old.session).toBeInstanceOf(Date);
        expect(old.live_events).toBe(0);

        const hard = JSON.parse(
          ok(await run(['cleanup', '--user-state-ttl', '1h', '--hard', '--json'])).stdout,
        );
        expect(hard).toMatchObject({ ran: true, mode: 'hard', userStates: 1, sessions: 0 });
        const remaining = await target.sql(async (db) => {
          const { rows } = await db.query<{ key: string }>(
            `SELECT key FROM ${t().userStates.qualified} ORDER BY key`,
          );
          return rows.map((r) => r.key);
        });
        expect(remaining.sort()).toEqual(['lang', 'seat', 'units']);

        const table = ok(await run(['cleanup', '--session-ttl', '24h']));
        expect(table.stdout).toMatch(/session_states\s+0/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'restores a soft-deleted session with its events, and says so when there is none',
      async () => {
        const restored = ok(await run(['restore', SEED_APP, SEED_USER, 's-del']));
        expect(restored.stdout).toContain(
          `Restored session ${SEED_APP}/${SEED_USER}/s-del: 2 events, 0 summaries, 1 track event.`,
        );
        const row = await deletedAt('s-del');
        expect(row.session).toBeNull();
        expect(row.live_events).toBe(2);
        ok(await run(['show', SEED_APP, SEED_USER, 's-del']));
        const again = expectOneLineError(await run(['restore', SEED_APP, SEED_USER, 's-del']));
        expect(again).toContain('unknown session');
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'purges rows soft-deleted longer ago than --older-than, and nothing else',
      async () => {
        const preview = JSON.parse(
          ok(await run(['purge', '--older-than', '30d', '--dry-run', '--json'])).stdout,
        );
        expect(preview).toMatchObject({ dryRun: true, sessions: 1, events: 1 });
        const purged = JSON.parse(ok(await run(['purge', '--older-than', '30d', '--json'])).stdout);
        expect(purged).toMatchObject({ sessions: 1, events: 1, summaries: 0, trackEvents: 0 });
        const gone = await deletedAt('s-purge');
        expect(gone).toMatchObject({ session: null, events: 0 });
        // s-old was soft-deleted by the cleanup just now: too young to purge.
        const old = await deletedAt('s-old');
        expect(old.session).toBeInstanceOf(Date);
        expect(old.events).toBe(2);
        const nothing = ok(await run(['purge', '--older-than', '30d']));
        expect(nothing.stdout).toMatch(/total\s+0/);
      },
      STEP_TIMEOUT_MS,
    );
  });
}
