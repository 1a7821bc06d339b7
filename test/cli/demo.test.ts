/**
 * The demo end to end (`npm start` runs the same built script): it exits 0, prints the
 * conversation, and the session it printed is in the database; a second run lists both sessions.
 * On embedded PGlite always, on server PostgreSQL (a random schema) when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '../../src/postgres/schema/index.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgClient } from '../../src/sql/pg-client.js';
import {
  BUILD_TIMEOUT_MS,
  DEMO,
  ensureBuilt,
  ok,
  runNode,
  STEP_TIMEOUT_MS,
  serverSchema,
  serverUrl,
  tempDir,
  urlWithSearchPath,
  withPglite,
} from './support.js';

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;

/** The session id on the "← this run" row of the demo's session table. */
function printedSessionId(stdout: string): string {
  const row = stdout.split('\n').find((line) => line.includes('← this run'));
  const id = row?.match(UUID)?.[0];
  if (!id) throw new Error(`the demo printed no session id:\n${stdout}`);
  return id;
}

/** The listed sessions: rows of the session table (ids with their turn and event counts). */
function listedSessions(stdout: string): { id: string; turns: number; events: number }[] {
  const table = stdout.slice(stdout.indexOf('Sessions of ada in travel-assistant'));
  return table
    .split('\n')
    .map((line) => line.match(new RegExp(`^(${UUID.source})\\s+(\\d+)\\s+(\\d+)\\s`)))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ id: m[1]!, turns: Number(m[2]), events: Number(m[3]) }));
}

interface StoredSession {
  events: number;
  tracks: number;
  summaries: number;
  firstEvent: string | null;
}

async function stored(db: SqlClient, schema: string, sessionId: string): Promise<StoredSession | undefined> {
  const t = tableNames(schema, '');
  const key = `app_name = 'travel-assistant' AND user_id = 'ada' AND session_id = $1 AND deleted_at IS NULL`;
  const { rows } = await db.query<StoredSession>(
    `SELECT (SELECT count(*)::int FROM ${t.sessionEvents.qualified} WHERE ${key}) AS events,
       (SELECT count(*)::int FROM ${t.sessionTrackEvents.qualified} WHERE ${key}) AS tracks,
       (SELECT count(*)::int FROM ${t.sessionSummaries.qualified} WHERE ${key}) AS summaries,
       (SELECT event->'choices'->0->'message'->>'content' FROM ${t.sessionEvents.qualified} WHERE ${key}
        ORDER BY created_at, id LIMIT 1) AS "firstEvent"
     FROM ${t.sessionStates.qualified} WHERE ${key}`,
    [sessionId],
  );
  return rows[0];
}

function defineDemoSuite(
  name: string,
  open: () => Promise<{
    cwd: string;
    env: Record<string, string | undefined>;
    schema: string;
    sql<T>(fn: (db: SqlClient) => Promise<T>): Promise<T>;
    close(): Promise<void>;
  }>,
  enabled = true,
): void {
  (enabled ? describe : describe.skip)(`the demo on ${name}`, () => {
    let target: Awaited<ReturnType<typeof open>>;
    let firstId: string;

    beforeAll(async () => {
      target = await open();
    }, STEP_TIMEOUT_MS);
    afterAll(async () => {
      await target?.close();
    }, STEP_TIMEOUT_MS);

    it(
      'exits 0, prints the conversation, and stores the session it printed',
      async () => {
        const run = ok(await runNode(DEMO, [], { cwd: target.cwd, env: target.env }));
        const out = run.stdout;
        expect(out).toContain('Transcript');
        expect(out).toMatch(/user\s+Hi! I'm planning a weekend in Lisbon/);
        expect(out).toContain('→ get_weather {"city":"Lisbon","days":2}');
        expect(out).toContain('← get_weather');
        expect(out).toMatch(/user:units\s+= metric/);
        expect(out).toMatch(/app:demo_runs\s+= 1/);
        expect(out).toContain('Summary');
        expect(out).toContain('tool-calls (1 event)');
        firstId = printedSessionId(out);
        expect(out).toContain(`Session travel-assistant / ada / ${firstId}`);
        expect(listedSessions(out)).toEqual([{ id: firstId, turns: 3, events: 8 }]);

        const session = await target.sql((db) => stored(db, target.schema, firstId));
        expect(session).toEqual({
          events: 8,
          tracks: 1,
          summaries: 1,
          firstEvent: "Hi! I'm planning a weekend in Lisbon. What will the weather be like?",
        });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'shows the new session beside the previous one when run again',
      async () => {
        const run = ok(await runNode(DEMO, [], { cwd: target.cwd, env: target.env }));
        const secondId = printedSessionId(run.stdout);
        expect(secondId).not.toBe(firstId);
        expect(run.stdout).toMatch(/app:demo_runs\s+= 2/);
        const listed = listedSessions(run.stdout);
        expect(listed.map((s) => s.id)).toEqual([secondId, firstId]);
        expect(listed.every((s) => s.turns === 3 && s.events === 8)).toBe(true);
        expect(await target.sql((db) => stored(db, target.schema, secondId))).toMatchObject({ events: 8 });
      },
      STEP_TIMEOUT_MS,
    );
  });
}

defineDemoSuite('embedded PGlite', async () => {
  const dir = tempDir('agent-sessions-demo-');
  return {
    cwd: dir.path,
    env: {},
    schema: '',
    sql: (fn) => withPglite(join(dir.path, '.agent-sessions'), fn),
    close: async () => dir.remove(),
  };
});

defineDemoSuite(
  'server PostgreSQL',
  async () => {
    const dir = tempDir('agent-sessions-demo-');
    const schema = await serverSchema();
    const client = pgClient(schema.pool, { owned: false });
    return {
      cwd: dir.path,
      // The demo takes its database from DATABASE_URL only; the search_path puts its tables in the schema.
      env: { DATABASE_URL: urlWithSearchPath(serverUrl!, schema.schema) },
      schema: schema.schema,
      sql: (fn) => fn(client),
      close: async () => {
        dir.remove();
        await schema.drop();
      },
    };
  },
  serverUrl !== undefined,
);
