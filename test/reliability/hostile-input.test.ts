/**
 * Hostile input, as properties over generated keys, state maps, events and track payloads:
 * unicode of every kind, emoji, NUL, unpaired surrogates, byte-order marks, keys of 255 and 256
 * characters, `__proto__` and friends, SQL and LIKE syntax. Each input is either stored and read
 * back identically, or refused with INVALID_ARGUMENT before anything is written (every table's
 * content is compared before and after), and no input ever changes another row. An oracle states
 * which inputs are valid, so "refused" cannot hide a bug either.
 *
 * Runs on embedded PGlite always, and on the server when one is configured. Seeds are fixed (set
 * FC_SEED to explore others); fast-check prints the seed and the shrunk input of a failure.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { cloneEvent, encodeEvent } from '../../src/session/codec/index.js';
import { MAX_JSON_DEPTH } from '../../src/session/codec/value.js';
import { createEvent, type Event } from '../../src/session/event.js';
import type { SessionKey } from '../../src/session/keys.js';
import { newStateMap, type StateMap, stateOf } from '../../src/session/state.js';
import type { SqlClient } from '../../src/sql/client.js';
import { pgClient } from '../../src/sql/pg-client.js';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import { describeServer, expectCode, randomName, rejectionOf, serverUrl } from './support/server.js';

const SEED = Number(process.env.FC_SEED ?? 20_261_126);
const RUNS = Number(process.env.FC_RUNS ?? 40);

// ---- generators ----

/** Characters chosen to break things: quoting, escaping, LIKE, encodings, normalization, surrogates. */
const NASTY = [
  'a',
  'Z',
  '0',
  ' ',
  "'",
  '"',
  ';',
  '-',
  '%',
  '_',
  '\\',
  '$',
  '*',
  '/',
  ':',
  '\u0000',
  '\uD800',
  '\uDC00',
  '\uFEFF',
  '\u200B',
  '\u2028',
  '\n',
  '\t',
  'é',
  'e\u0301',
  'ß',
  'İ',
  '中',
  '😀',
  '👩‍👩‍👧',
  '\u{10FFFF}',
  '\uFFFD',
];

const nastyChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

const SPECIAL_TEXT = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  "'; DROP TABLE session_states; --",
  '" OR 1=1 --',
  "x' || (SELECT current_user) || '",
  '$1',
  '$$ $$',
  '%',
  '_',
  '\\',
  "E'\\x00'",
  '*/ SELECT 1 /*',
  'app:',
  'user:',
  'temp:x',
  '\uFEFFbom',
  'tracks',
];

const text = (maxLength: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: nastyChar, maxLength }) },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_TEXT) },
  );

/** Key parts: mostly short, sometimes right at (or just past) the 255-character limit. */
const keyPart = fc.oneof(
  { weight: 6, arbitrary: text(12) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 254, max: 257 }), fc.constantFrom('k', 'é', '😀', '\u{10FFFF}', "'"))
      .map(([n, c]) => c.repeat(n)),
  },
);

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  // Encoded without a check (a lone surrogate becomes U+FFFD's bytes): hostile bytes, not text.
  text(12).map((t) => new TextEncoder().encode(t)),
  fc.constant(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)),
  fc.constant(Uint8Array.of(0xff, 0xfe, 0x00)),
);

/** A state map built as an attacker would, with own `__proto__` keys and the like. */
const stateMapArb = (keys: fc.Arbitrary<string>, values: fc.Arbitrary<Uint8Array | null>) =>
  fc.array(fc.tuple(keys, values), { maxLength: 6 }).map((entries) => {
    const map: StateMap = newStateMap();
    for (const [k, v] of entries) map[k] = v;
    return map;
  });

/** Arbitrary JSON with hostile keys and strings. */
const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    text(8),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(text(6), tie('value')), { maxLength: 4 }).map((entries) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of entries)
        Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    }),
  ),
})).value;

// ---- oracles ----

const cleanText = (s: string) => !s.includes('\u0000') && s.isWellFormed();
// A key column's text must not start with a byte order mark (PGlite would read it back without).
const validKeyPart = (s: string) =>
  s.length > 0 && cleanText(s) && !s.startsWith('\uFEFF') && [...s].length <= 255;

/** Every string (keys and values) in a JSON-ish value is storable. */
function cleanJson(value: unknown): boolean {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.every(cleanJson);
  if (value !== null && typeof value === 'object')
    return Object.keys(value).every((k) => cleanText(k) && cleanJson((value as Record<string, unknown>)[k]));
  return true;
}

function utf8Text(value: Uint8Array | null): boolean {
  if (value === null) return true;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(value);
    return !text.includes('\u0000') && !text.startsWith('\uFEFF');
  } catch {
    return false;
  }
}

/** JSON with object keys sorted, so values compare whatever order JSONB keeps keys in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameState(actual: StateMap, expected: StateMap): void {
  const view = (s: StateMap) =>
    Object.keys(s)
      .sort()
      .map((k) => [k, s[k] === null ? null : Buffer.from(s[k]!).toString('hex')]);
  expect(view(actual)).toEqual(view(expected));
}

// ---- backends ----

interface Backend {
  service: PostgresSessionService;
  /** The content of all six tables, for "nothing was written". */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

async function snapshotOf(client: SqlClient, schema: string | undefined): Promise<string> {
  const q = (t: string) => (schema ? `"${schema}".${t}` : t);
  const tables = [
    'session_states',
    'session_events',
    'session_track_events',
    'session_summaries',
    'app_states',
    'user_states',
  ];
  const { rows } = await client.query<{ d: string }>(
    tables
      .map((t) => `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) AS d FROM ${q(t)} x`)
      .join(' UNION ALL '),
  );
  return rows.map((r) => r.d).join(',');
}

async function pgliteBackend(): Promise<Backend> {
  const client = await pgliteClient();
  const service = await PostgresSessionService.create({ client });
  return {
    service,
    snapshot: () => snapshotOf(client, undefined),
    async close() {
      await service.close();
      await client.close();
    },
  };
}

async function serverBackend(): Promise<Backend> {
  const schema = randomName('hostile');
  const pool = new pg.Pool({ connectionString: serverUrl, max: 4 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA "${schema}"`);
  const client = pgClient(pool, { owned: false });
  const service = await PostgresSessionService.create({ client, schema });
  return {
    service,
    snapshot: () => snapshotOf(client, schema),
    async close() {
      await service.close();
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}

// ---- the properties ----

function hostileSuite(make: () => Promise<Backend>) {
  let b: Backend;
  /** A session made first; no hostile call may change it. */
  const canaryKey: SessionKey = { appName: 'canary', userId: 'u', sessionId: 's' };
  let canaryBefore: string;
  const created = new Set<string>();

  beforeAll(async () => {
    b = await make();
    const canary = await b.service.createSession(canaryKey, stateOf({ keep: 'me' }));
    await b.service.appendEvent(canary, say('canary'));
    await b.service.updateAppState('canary', stateOf({ shared: 'x' }));
    canaryBefore = JSON.stringify(await b.service.getSession(canaryKey));
  });
  afterAll(async () => {
    if (!b) return;
    const canaryAfter = JSON.stringify(await b.service.getSession(canaryKey));
    await b.close();
    expect(canaryAfter, 'the canary session is unchanged').toBe(canaryBefore);
    expect(Object.keys(Object.prototype), 'Object.prototype is not polluted').toEqual([]);
  });

  it('stores every valid key and reads it back exactly; refuses the rest before writing', async () => {
    await fc.assert(
      fc.asyncProperty(keyPart, keyPart, keyPart, async (...parts) => {
        const [appName, userId, sessionId] = parts as [string, string, string];
        const key = { appName, userId, sessionId };
        // An empty sessionId asks for a generated one.
        const valid =
          validKeyPart(appName) && validKeyPart(userId) && (sessionId === '' || validKeyPart(sessionId));
        const before = await b.snapshot();
        const outcome = b.service.createSession(key, stateOf({ k: 'v' }));
        if (!valid) {
          const error = await rejectionOf(outcome);
          expectCode(error, 'INVALID_ARGUMENT');
          const firstBad = !validKeyPart(appName)
            ? 'appName'
            : !validKeyPart(userId)
              ? 'userId'
              : 'sessionId';
          expect(error.field).toBe(firstBad);
          expect(await b.snapshot()).toBe(before);
          return;
        }
        const id = JSON.stringify(key);
        if (sessionId !== '' && created.has(id)) {
          expectCode(await rejectionOf(outcome), 'CONFLICT');
          return;
        }
        const session = await outcome;
        created.add(id);
        if (sessionId === '')
          expect(session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        else expect(session.id).toBe(sessionId);
        key.sessionId = session.id;
        const event = say(`hello ${sessionId}`);
        await b.service.appendEvent(session, event);
        const read = await b.service.getSession(key);
        expect(read).not.toBeNull();
        expect([read!.appName, read!.userId, read!.id]).toEqual([appName, userId, session.id]);
        expect(read!.events.map((e) => e.id)).toEqual([event.id]);
        const listed = await b.service.listSessions({ appName, userId });
        // LIKE characters, quotes and lookalike spellings never pull in another key's sessions.
        for (const s of listed) expect([s.appName, s.userId]).toEqual([appName, userId]);
        expect(listed.map((s) => s.id)).toContain(session.id);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('round-trips session state maps byte for byte, with any key that is storable', async () => {
    const session = await b.service.createSession({ appName: randomName('state'), userId: 'u' });
    const key = { appName: session.appName, userId: session.userId, sessionId: session.id };
    const model: StateMap = newStateMap();
    const stateKey = text(10).filter((k) => !k.startsWith('app:') && !k.startsWith('user:'));
    await fc.assert(
      fc.asyncProperty(stateMapArb(stateKey, fc.option(bytes, { nil: null })), async (generated) => {
        const delta = generated;
        const valid = Object.keys(delta).every(cleanText);
        const before = await b.snapshot();
        const outcome = b.service.updateSessionState(key, delta);
        if (!valid) {
          expectCode(await rejectionOf(outcome), 'INVALID_ARGUMENT');
          expect(await b.snapshot()).toBe(before);
        } else {
          await outcome;
          for (const [k, v] of Object.entries(delta)) model[k] = v;
        }
        const read = await b.service.getSession(key);
        sameState(read!.state, model);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('round-trips app and user state as text, refusing bytes that are not UTF-8 text', async () => {
    const appName = randomName('scoped');
    const userKey = { appName, userId: 'u' };
    const appModel: Record<string, string | null> = Object.create(null);
    const userModel: Record<string, string | null> = Object.create(null);
    const scopedKey = fc.oneof(
      keyPart,
      keyPart.map((k) => `app:${k}`),
      keyPart.map((k) => `user:${k}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        stateMapArb(scopedKey, fc.option(bytes, { nil: null })),
        async (isApp, generated) => {
          const delta = newStateMap();
          // The prefix is trimmed before storing: what follows it is what must survive.
          for (const [k, v] of Object.entries(generated)) {
            const [, prefix = '', rest = ''] = /^(app:|user:)?(.*)$/s.exec(k)!;
            delta[prefix + rest] = v;
          }
          const prefix = isApp ? 'app:' : 'user:';
          const trimmed = Object.entries(delta).map(
            ([k, v]) => [k.startsWith(prefix) ? k.slice(prefix.length) : k, v] as const,
          );
          const valid = trimmed.every(([k, v]) => validKeyPart(k) && utf8Text(v));
          const before = await b.snapshot();
          const outcome = isApp
            ? b.service.updateAppState(appName, delta)
            : b.service.updateUserState(userKey, delta);
          if (!valid) {
            expectCode(await rejectionOf(outcome), 'INVALID_ARGUMENT');
            expect(await b.snapshot()).toBe(before);
          } else {
            await outcome;
            const model = isApp ? appModel : userModel;
            for (const [k, v] of trimmed)
              model[k] = v === null ? null : new TextDecoder('utf-8', { ignoreBOM: true }).decode(v);
          }
          const asText = (s: StateMap) =>
            Object.fromEntries(
              Object.entries(s).map(([k, v]) => [
                k,
                v === null ? null : new TextDecoder('utf-8', { ignoreBOM: true }).decode(v),
              ]),
            );
          expect(asText(await b.service.listAppStates(appName))).toEqual({ ...appModel });
          expect(asText(await b.service.listUserStates(userKey))).toEqual({ ...userModel });
        },
      ),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it('round-trips events with hostile text and JSON, or refuses them with nothing written', async () => {
    const session = await b.service.createSession({ appName: randomName('events'), userId: 'u' });
    const key = { appName: session.appName, userId: session.userId, sessionId: session.id };
    const stored: Event[] = [];
    await fc.assert(
      fc.asyncProperty(text(40), text(10), jsonArb, async (content, author, extra) => {
        const event = createEvent({
          author,
          message: {
            role: 'user',
            content: `m${content}`,
            tool_calls: [
              { type: 'function', function: { name: 'f', arguments: content }, extra_fields: { extra } },
            ],
          },
        });
        const valid = cleanText(content) && cleanText(author) && cleanJson(extra);
        const before = await b.snapshot();
        const outcome = b.service.appendEvent(session, event);
        if (!valid) {
          expectCode(await rejectionOf(outcome), 'INVALID_ARGUMENT');
          expect(await b.snapshot()).toBe(before);
        } else {
          await outcome;
          stored.push(cloneEvent(event));
        }
        const read = await b.service.getSession(key, { eventNum: 1_000_000 });
        expect(read!.events.map((e) => encodeEvent(e))).toEqual(stored.map((e) => encodeEvent(e)));
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  it('round-trips track payloads of any JSON, `__proto__` keys included, without polluting prototypes', async () => {
    const session = await b.service.createSession({ appName: randomName('tracks'), userId: 'u' });
    const key = { appName: session.appName, userId: session.userId, sessionId: session.id };
    const stored: string[] = [];
    await fc.assert(
      fc.asyncProperty(jsonArb, async (payload) => {
        const outcome = b.service.appendTrackEvent(session, {
          track: 'hostile',
          payload,
          timestamp: new Date(),
        });
        if (!cleanJson(payload)) {
          expectCode(await rejectionOf(outcome), 'INVALID_ARGUMENT');
        } else {
          await outcome;
          // A JSON null payload is stored as Go stores a nil RawMessage: null.
          stored.push(canonical(payload));
        }
        const read = await b.service.getTrackEvents(key, 'hostile');
        expect(read.events.map((e) => canonical(e.payload))).toEqual(stored);
      }),
      { seed: SEED + 4, numRuns: RUNS },
    );
    // A computed key makes an own property named __proto__, as JSON.parse does.
    const proto = { ['__proto__']: { polluted: true } };
    await b.service.appendTrackEvent(session, { track: '__proto__', payload: proto, timestamp: new Date() });
    const read = await b.service.getSession(key);
    expect(Object.hasOwn(read!.tracks, '__proto__')).toBe(true);
    const track = Object.getOwnPropertyDescriptor(read!.tracks, '__proto__')!.value as NonNullable<
      typeof read
    >['tracks'][string];
    const payload = track.events[0]!.payload as Record<string, unknown>;
    expect(Object.hasOwn(payload, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stores a 10 MB event and reads it back identically', async () => {
    const session = await b.service.createSession({ appName: randomName('huge'), userId: 'u' });
    const content = '🦀 SELECT $1; '.repeat((10 * 1024 * 1024) / 16);
    const event = createEvent({ author: 'user', message: { role: 'user', content } });
    await b.service.appendEvent(session, event);
    const read = await b.service.getSession({ appName: session.appName, userId: 'u', sessionId: session.id });
    expect(read!.events).toHaveLength(1);
    expect(read!.events[0]!.choices![0]!.message.content === content).toBe(true);
  }, 60_000);

  it(`stores JSON nested ${MAX_JSON_DEPTH} levels deep and refuses one level more before writing`, async () => {
    const session = await b.service.createSession({ appName: randomName('deep'), userId: 'u' });
    const key = { appName: session.appName, userId: 'u', sessionId: session.id };
    const nest = (depth: number) => {
      let v: unknown = 'bottom';
      for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { d: v };
      return v;
    };
    await b.service.appendTrackEvent(session, {
      track: 'deep',
      payload: nest(MAX_JSON_DEPTH),
      timestamp: new Date(),
    });
    const read = await b.service.getTrackEvents(key, 'deep');
    expect(canonical(read.events[0]!.payload)).toBe(canonical(nest(MAX_JSON_DEPTH)));
    const before = await b.snapshot();
    for (const depth of [MAX_JSON_DEPTH + 1, 100_000]) {
      const error = await rejectionOf(
        b.service.appendTrackEvent(session, { track: 'deep', payload: nest(depth), timestamp: new Date() }),
      );
      expectCode(error, 'INVALID_ARGUMENT');
      const deepEvent = createEvent({
        author: 'user',
        message: {
          role: 'user',
          content: 'x',
          tool_calls: [{ type: 'function', function: { name: 'f' }, extra_fields: { n: nest(depth) } }],
        },
      });
      expectCode(await rejectionOf(b.service.appendEvent(session, deepEvent)), 'INVALID_ARGUMENT');
    }
    expect(await b.snapshot()).toBe(before);
  });
}

function say(content: string): Event {
  return createEvent({ author: 'user', message: { role: 'user', content } });
}

describe('hostile input on embedded PGlite', () => hostileSuite(pgliteBackend));
describeServer('hostile input on server PostgreSQL', () => hostileSuite(serverBackend));

describe('schema and table prefix with SQL in them', () => {
  it('are refused with CONFIG when the service is built, before any connection', () => {
    const hostile = [
      'public; DROP TABLE session_states',
      'a"b',
      "a'b",
      'x--',
      's p',
      'a.b',
      'ä',
      '1abc',
      'x'.repeat(64),
      '\u0000',
    ];
    for (const schema of hostile) {
      let error: unknown;
      try {
        new PostgresSessionService({ host: '127.0.0.1', port: 1, schema });
      } catch (e) {
        error = e;
      }
      expectCode(error, 'CONFIG');
      expect((error as { field?: string }).field).toBe('schema');
    }
    for (const tablePrefix of [...hostile, 'p'.repeat(40)]) {
      let error: unknown;
      try {
        new PostgresSessionService({ host: '127.0.0.1', port: 1, tablePrefix });
      } catch (e) {
        error = e;
      }
      expectCode(error, 'CONFIG');
      expect((error as { field?: string }).field).toBe('tablePrefix');
    }
  });
});
