/**
 * The sessions the inspector tests look at: the demo's conversation (a tool call and its result,
 * state in three scopes, a track, a summary), one full of hostile text, a long one, a deleted one
 * and an expired one.
 */

import { APP_NAME, playConversation, USER_ID } from '../../examples/demo/conversation.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { createEvent } from '../../src/session/event.js';
import type { Session } from '../../src/session/session.js';
import { stateOf } from '../../src/session/state.js';
import { ExtractiveSummarizer } from '../../src/summary/extractive-summarizer.js';
import type { TestDatabase } from '../support/database.js';

export { APP_NAME, USER_ID };

/** Text that runs code or changes the page if anything renders it as HTML. */
export const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

export const HOSTILE_USER = 'mallory<b>';
export const LONG_USER = 'long-reader';
export const LONG_EVENTS = 450;

export interface Seeded {
  demo: Session;
  hostile: Session;
  long: Session;
  deletedId: string;
  expiredId: string;
  /** The service that wrote them, still open: tests append through it. */
  service: PostgresSessionService;
}

/** Writes the sessions into `db`; the caller closes `seeded.service`. */
export async function seed(db: TestDatabase): Promise<Seeded> {
  const service = await PostgresSessionService.create({
    ...db.connect,
    summarizer: new ExtractiveSummarizer(),
  });
  const demo = await playConversation(service);

  const hostile = await service.createSession(
    { appName: APP_NAME, userId: HOSTILE_USER, sessionId: 'hostile-<i>session</i>' },
    stateOf({ [`note${HOSTILE}`]: HOSTILE }),
  );
  await service.appendEvent(
    hostile,
    createEvent({ author: `author${HOSTILE}`, message: { role: 'user', content: HOSTILE }, done: true }),
  );
  await service.appendEvent(
    hostile,
    createEvent({
      author: 'agent',
      done: true,
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [
          { type: 'function', id: 'call_x', function: { name: `tool${HOSTILE}`, arguments: HOSTILE } },
        ],
      },
    }),
  );
  await service.appendEvent(
    hostile,
    createEvent({
      author: 'agent',
      done: true,
      message: { role: 'tool', tool_id: 'call_x', tool_name: `tool${HOSTILE}`, content: HOSTILE },
      stateDelta: stateOf({ [`k${HOSTILE}`]: HOSTILE }),
    }),
  );
  await service.appendTrackEvent(hostile, {
    track: `lane${HOSTILE}`,
    payload: { x: HOSTILE },
    timestamp: new Date(),
  });

  const long = await service.createSession({ appName: APP_NAME, userId: LONG_USER, sessionId: 'long' });
  for (let i = 1; i <= LONG_EVENTS; i++) {
    await service.appendEvent(
      long,
      createEvent({
        author: i % 2 ? 'user' : 'agent',
        done: true,
        message: { role: i % 2 ? 'user' : 'assistant', content: `message ${i}` },
      }),
    );
  }

  const deleted = await service.createSession({
    appName: APP_NAME,
    userId: USER_ID,
    sessionId: 'deleted-one',
  });
  await service.appendEvent(
    deleted,
    createEvent({ author: 'user', done: true, message: { role: 'user', content: 'soon gone' } }),
  );
  await service.deleteSession({ appName: APP_NAME, userId: USER_ID, sessionId: 'deleted-one' });

  // Written a year ago with a one-hour TTL: expired, not yet swept.
  const past = await PostgresSessionService.create({
    ...db.connect,
    skipDbInit: true,
    sessionTtlMs: 3_600_000,
    clock: new ManualClock(Date.now() - 365 * 24 * 3_600_000),
  });
  try {
    const expired = await past.createSession({
      appName: APP_NAME,
      userId: USER_ID,
      sessionId: 'expired-one',
    });
    await past.appendEvent(
      expired,
      createEvent({ author: 'user', done: true, message: { role: 'user', content: 'long ago' } }),
    );
  } finally {
    await past.close();
  }
  return { demo, hostile, long, deletedId: 'deleted-one', expiredId: 'expired-one', service };
}

export const HUGE_USER = 'huge-reader';
export const HUGE_EVENTS = 100_000;

/** A session of 100,000 events (see {@link seedBulkSession}). */
export function seedHugeSession(db: TestDatabase, service: PostgresSessionService): Promise<string> {
  return seedBulkSession(db, service, HUGE_USER, 'huge', HUGE_EVENTS);
}

/**
 * A session of `count` events, written in one statement (appending them one by one would take
 * minutes): each a user message `message <n>`, a microsecond apart.
 */
export async function seedBulkSession(
  db: TestDatabase,
  service: PostgresSessionService,
  userId: string,
  sessionId: string,
  count: number,
): Promise<string> {
  const session = await service.createSession({ appName: APP_NAME, userId, sessionId });
  const table = db.schema ? `"${db.schema}".session_events` : 'session_events';
  await db.sql.query(
    `INSERT INTO ${table} (app_name, user_id, session_id, event, created_at, updated_at)
     SELECT $1, $2, $4, jsonb_build_object('id', 'e' || i, 'author', 'user', 'invocationId', '',
         'timestamp', to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'object', '',
         'choices', jsonb_build_array(jsonb_build_object('index', 0,
           'message', jsonb_build_object('role', 'user', 'content', 'message ' || i)))), t, t
     FROM generate_series(1, ${count}) i, LATERAL (SELECT $3::timestamp + i * interval '1 microsecond' AS t) x`,
    [APP_NAME, userId, '2026-01-01 00:00:00', sessionId],
  );
  return session.id;
}

export const MALFORMED_USER = 'hand-written';
export const MALFORMED_SESSION = 'malformed';
/** The one well-formed message among the hand-written rows, which must still be shown. */
export const WELL_FORMED_TEXT = 'a well-formed message after the broken ones';

/**
 * A session whose rows were written with plain SQL, shaped as the schema's JSON never is: choices,
 * content_parts and tool_calls that are objects, an event that is a number, a null choice, a text
 * error and a text state delta, a summary whose topics are a string, a track event that is a string.
 */
export async function seedMalformedSession(db: TestDatabase, service: PostgresSessionService): Promise<void> {
  await service.createSession({ appName: APP_NAME, userId: MALFORMED_USER, sessionId: MALFORMED_SESSION });
  const table = (name: string) => (db.schema ? `"${db.schema}".${name}` : name);
  const events = [
    { id: 'm1', author: 'a', choices: { 0: { message: { role: 'user', content: 'choices as an object' } } } },
    {
      id: 'm2',
      author: 'a',
      choices: [{ message: { role: 'user', content: 'parts as an object', content_parts: { a: 1 } } }],
    },
    { id: 'm3', author: 'a', choices: [{ message: { role: 'assistant', tool_calls: { id: 'x' } } }] },
    42,
    {
      id: 'm5',
      author: 'a',
      choices: [null, 5, { message: null, delta: { role: 'assistant', content: 'from a delta' } }],
      stateDelta: 'not an object',
      error: 'an error written as text',
    },
    { id: 'm6', author: 'a', choices: [{ message: { role: 'user', content: WELL_FORMED_TEXT } }] },
  ];
  // A millisecond apart, in the order above.
  await db.sql.query(
    `INSERT INTO ${table('session_events')} (app_name, user_id, session_id, event, created_at, updated_at)
     SELECT $1, $2, $3, e.value, t, t
     FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY e(value, i),
       LATERAL (SELECT now()::timestamp + e.i * interval '1 millisecond' AS t) x`,
    [APP_NAME, MALFORMED_USER, MALFORMED_SESSION, JSON.stringify(events)],
  );
  await db.sql.query(
    `INSERT INTO ${table('session_summaries')} (app_name, user_id, session_id, filter_key, summary)
     VALUES ($1, $2, $3, '', $4::jsonb)`,
    [
      APP_NAME,
      MALFORMED_USER,
      MALFORMED_SESSION,
      JSON.stringify({
        summary: 'what happened',
        topics: 'not a list',
        boundary: { cutoff_at: '2030-01-01T00:00:00Z' },
      }),
    ],
  );
  await db.sql.query(
    `INSERT INTO ${table('session_track_events')} (app_name, user_id, session_id, track, event)
     VALUES ($1, $2, $3, 'lane', '"a string"'::jsonb)`,
    [APP_NAME, MALFORMED_USER, MALFORMED_SESSION],
  );
}
