/**
 * The data the workloads write and read: events of about 1 KB in the shape an agent produces
 * (a user message, an assistant tool call, the tool's result, the assistant's answer, repeated),
 * and bulk seeding of long sessions straight into the tables, so that building a 10,000-event
 * session costs one statement per thousand events rather than ten thousand appends.
 */
import { randomUUID } from 'node:crypto';
import type { TableNames } from '../src/postgres/schema/index.js';
import { encodeEvent, encodeSessionState } from '../src/session/codec/index.js';
import { createEvent, type Event } from '../src/session/event.js';
import type { SessionKey, UserKey } from '../src/session/keys.js';
import { textValue } from '../src/session/state.js';
import { toSqlTimestamp } from '../src/session/time.js';
import type { Backend, RawDb } from './backends.js';

/** The app every workload writes under; user and session ids make the keys unique per run. */
export const APP = 'bench';

// Printable text of fixed length, varied enough that nothing compresses it to nothing.
const WORDS =
  'the agent looked up the order, checked the refund policy, and drafted a reply for the customer who asked about a late parcel and a damaged box'.split(
    ' ',
  );

function filler(length: number, seed: number): string {
  let out = '';
  for (let i = seed; out.length < length; i++) out += `${WORDS[i % WORDS.length]} `;
  return out.slice(0, length);
}

/**
 * The `i`-th event of a conversation: position `i % 4` picks the user message, the tool call,
 * the tool result or the answer. Each encodes to about 1 KB of Go-compatible JSON.
 */
export function makeEvent(i: number, now = new Date()): Event {
  const invocationId = `inv-${Math.floor(i / 4)}`;
  switch (i % 4) {
    case 0:
      return createEvent({
        author: 'user',
        invocationId,
        now,
        message: { role: 'user', content: filler(820, i) },
      });
    case 1:
      return createEvent({
        author: 'assistant',
        invocationId,
        now,
        model: 'gpt-4o-mini',
        done: true,
        message: {
          role: 'assistant',
          tool_calls: [
            {
              type: 'function',
              id: `call_${i}`,
              function: {
                name: 'lookup_order',
                arguments: JSON.stringify({ order: `A-${i}`, note: filler(560, i) }),
              },
            },
          ],
        },
        usage: { prompt_tokens: 812, completion_tokens: 41, total_tokens: 853 },
      });
    case 2:
      return createEvent({
        author: 'lookup_order',
        invocationId,
        now,
        done: true,
        message: {
          role: 'tool',
          tool_id: `call_${i - 1}`,
          tool_name: 'lookup_order',
          content: filler(700, i),
        },
      });
    default:
      return createEvent({
        author: 'assistant',
        invocationId,
        now,
        model: 'gpt-4o-mini',
        done: true,
        message: { role: 'assistant', content: filler(690, i) },
        usage: { prompt_tokens: 1490, completion_tokens: 160, total_tokens: 1650 },
      });
  }
}

/** `count` fresh events (new ids), the first at conversation position `from`. */
export function makeEvents(count: number, from = 0): Event[] {
  return Array.from({ length: count }, (_, k) => makeEvent(from + k));
}

/** A session key no other run or workload uses. */
export function freshKey(label: string): SessionKey {
  return { appName: APP, userId: `u-${label}-${randomUUID().slice(0, 8)}`, sessionId: randomUUID() };
}

/**
 * Inserts `count` stored events for `key` (which needs no session row for this), oldest first,
 * their created_at one millisecond apart and ending a second ago, in statements of 1,000 rows.
 */
export async function seedEvents(db: RawDb, t: TableNames, key: SessionKey, count: number): Promise<void> {
  const end = Date.now() - 1000;
  const chunk = 1000;
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    const bodies: string[] = [];
    const times: string[] = [];
    for (let k = 0; k < n; k++) {
      const at = new Date(end - (count - (from + k)));
      bodies.push(encodeEvent(makeEvent(from + k, at)));
      times.push(toSqlTimestamp(at));
    }
    await db.query(
      `INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
SELECT $1, $2, $3, e, c, c FROM unnest($4::jsonb[], $5::timestamp[]) AS u(e, c)`,
      [key.appName, key.userId, key.sessionId, bodies, times],
    );
  }
}

/**
 * Refreshes the planner's statistics of the tables seeded in bulk, as autovacuum would soon do on
 * its own: without them the planner guesses that a session has a handful of events and may sort
 * all 10,000 of them instead of walking the index backwards.
 */
export async function analyze(db: RawDb, t: TableNames): Promise<void> {
  await db.query(`ANALYZE ${t.sessionStates.qualified}, ${t.sessionEvents.qualified}`);
}

/** A session of `events` stored events, created by our service and filled in bulk, analyzed. */
export async function seededSession(
  backend: Pick<Backend, 'service' | 'floor' | 'tables'>,
  events: number,
  label: string,
): Promise<SessionKey> {
  const service = await backend.service('sync');
  const session = await service.createSession(freshKey(label));
  const key = { appName: session.appName, userId: session.userId, sessionId: session.id };
  await seedEvents(backend.floor, backend.tables, key, events);
  await analyze(backend.floor, backend.tables);
  return key;
}

/**
 * Inserts `sessions` session rows for one user, each with a small state, their updated_at one
 * millisecond apart, and `eventsEach` stored events per session. Returns the session ids.
 */
export async function seedUser(
  db: RawDb,
  t: TableNames,
  user: UserKey,
  sessions: number,
  eventsEach: number,
): Promise<string[]> {
  const end = Date.now() - 1000;
  const ids: string[] = [];
  const envelopes: string[] = [];
  const times: string[] = [];
  for (let s = 0; s < sessions; s++) {
    const id = randomUUID();
    const at = new Date(end - (sessions - s));
    ids.push(id);
    times.push(toSqlTimestamp(at));
    envelopes.push(
      encodeSessionState({
        id,
        state: {
          topic: textValue(`order A-${s}`),
          step: textValue(String(s % 7)),
          locale: textValue('en-GB'),
        },
        createdAt: at,
        updatedAt: at,
      }),
    );
  }
  await db.query(
    `INSERT INTO ${t.sessionStates.qualified} (app_name, user_id, session_id, state, created_at, updated_at)
SELECT $1, $2, s, e, c, c FROM unnest($3::text[], $4::jsonb[], $5::timestamp[]) AS u(s, e, c)`,
    [user.appName, user.userId, ids, envelopes, times],
  );
  if (eventsEach > 0) {
    // Every session's events in one stream of 1,000-row statements.
    const perChunk = Math.max(1, Math.floor(1000 / eventsEach));
    for (let from = 0; from < ids.length; from += perChunk) {
      const sids: string[] = [];
      const bodies: string[] = [];
      const stamps: string[] = [];
      for (const id of ids.slice(from, from + perChunk)) {
        for (let k = 0; k < eventsEach; k++) {
          const at = new Date(end - 10_000 + k);
          sids.push(id);
          bodies.push(encodeEvent(makeEvent(k, at)));
          stamps.push(toSqlTimestamp(at));
        }
      }
      await db.query(
        `INSERT INTO ${t.sessionEvents.qualified} (app_name, user_id, session_id, event, created_at, updated_at)
SELECT $1, $2, s, e, c, c FROM unnest($3::text[], $4::jsonb[], $5::timestamp[]) AS u(s, e, c)`,
        [user.appName, user.userId, sids, bodies, stamps],
      );
    }
  }
  return ids;
}
