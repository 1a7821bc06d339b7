/**
 * A model-based property test: random sequences of operations run on the in-memory service (the
 * model) and on the PostgreSQL service (PGlite, and server PostgreSQL when configured), with one
 * ManualClock, and every observable result compared: the values returned, the errors thrown
 * (class, code and field), and the caller's session objects the appends change.
 *
 * Keys come from small alphabets (two users, three session ids, a few state keys and tracks) so
 * operations collide: appends to deleted or expired sessions, creates over live ones, reads of
 * expired state. The PostgreSQL service runs with and without asyncPersist (a write's failure
 * then comes from the next flush(), as its cause).
 *
 * MODEL_RUNS sets the number of runs (default 100), MODEL_SEED and MODEL_PATH replay a failure,
 * MODEL_STATS=1 prints how often each operation succeeded or failed.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/service.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import {
  cloneEvent,
  decodeTrackEvent,
  encodeEvent,
  encodeTrackEvent,
} from '../../src/session/codec/index.js';
import { isAgentSessionsError } from '../../src/session/errors.js';
import { createEvent, type Event, type Message } from '../../src/session/event.js';
import type { SessionKey, UserKey } from '../../src/session/keys.js';
import type { SessionService } from '../../src/session/service.js';
import { newSession, type Session } from '../../src/session/session.js';
import { type StateMap, textValue } from '../../src/session/state.js';
import { formatRfc3339Nano, PreciseDate } from '../../src/session/time.js';
import type { TrackEvents } from '../../src/session/track.js';
import { type TestDatabase, testDatabases } from '../support/database.js';

const START = Date.UTC(2026, 2, 1, 0, 0, 0);
const SECOND = 1000;

const USERS = ['u1', 'u2'] as const;
const SESSION_IDS = ['s1', 's2', 's3'] as const;
const STATE_KEYS = ['k1', 'k2', 'temp:t', 'app:a', 'user:u'] as const;
const SHARED_KEYS = ['a1', 'a2'] as const;
const TRACKS = ['t1', 't2'] as const;

// ---- commands ----

// Mostly the first user and the first sessions, so most calls find a session.
const userArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(USERS[0]) },
  { weight: 1, arbitrary: fc.constant(USERS[1]) },
);
const sessionIdArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(SESSION_IDS[0]) },
  { weight: 3, arbitrary: fc.constant(SESSION_IDS[1]) },
  { weight: 1, arbitrary: fc.constant(SESSION_IDS[2]) },
);
const valueArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 5 });
const stateArb = (keys: readonly string[]) =>
  fc.dictionary(fc.constantFrom(...keys), valueArb, { maxKeys: 3 });
const sessionStateKeys = STATE_KEYS.filter((k) => !k.startsWith('app:') && !k.startsWith('user:'));
/** Seconds past START, now and then with a fraction below the millisecond. */
const offsetSecondsArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 90 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 90 }).map((s) => s + 0.0000015) },
);
/** Nanoseconds below the millisecond of a timestamp (a Go writer's, or one read back from Go). */
const nanosArb = fc.constantFrom(0, 0, 0, 1_500, 999_999);

const eventKindArb = fc.constantFrom('user', 'assistant', 'toolCall', 'toolResult', 'partial', 'deltaOnly');

const createArb = fc.record({
  op: fc.constant('create' as const),
  user: userArb,
  id: sessionIdArb,
  state: fc.option(
    fc.oneof(
      { weight: 4, arbitrary: stateArb(sessionStateKeys) },
      { weight: 1, arbitrary: stateArb(STATE_KEYS) },
    ),
    { nil: undefined },
  ),
});

const commandArb = fc.oneof(
  { weight: 3, arbitrary: createArb },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      user: userArb,
      id: sessionIdArb,
      kind: eventKindArb,
      delta: fc.option(stateArb(STATE_KEYS), { nil: undefined }),
      /** Seconds the event's timestamp lies before now (so timestamps are not always ordered). */
      back: fc.constantFrom(0, 0, 0, 5),
      nanos: nanosArb,
      eventNum: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('track' as const),
      user: userArb,
      id: sessionIdArb,
      track: fc.constantFrom(...TRACKS),
      back: fc.constantFrom(0, 0, 3),
      nanos: nanosArb,
      payload: fc.integer({ min: 0, max: 9 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('get' as const),
      user: userArb,
      id: sessionIdArb,
      options: fc.oneof(
        fc.constant({}),
        fc.record({ eventNum: fc.integer({ min: 0, max: 4 }) }),
        fc.record({ eventTime: offsetSecondsArb }),
        fc.record({ eventNum: fc.integer({ min: 0, max: 4 }), eventTime: offsetSecondsArb }),
        fc.record({
          eventPage: fc.record({
            offset: fc.integer({ min: 0, max: 3 }),
            limit: fc.integer({ min: 1, max: 3 }),
          }),
        }),
      ),
      /** Whether the caller goes on with the session read (else with the object it had). */
      adopt: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('list' as const),
      user: userArb,
      options: fc.record(
        {
          onlyMeta: fc.boolean(),
          eventNum: fc.integer({ min: 0, max: 3 }),
          eventTime: offsetSecondsArb,
          page: fc.record({ offset: fc.integer({ min: 0, max: 3 }), limit: fc.integer({ min: 1, max: 3 }) }),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('updateSessionState' as const),
      user: userArb,
      id: sessionIdArb,
      state: fc.oneof(
        { weight: 4, arbitrary: stateArb(sessionStateKeys) },
        { weight: 1, arbitrary: stateArb(STATE_KEYS) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('updateAppState' as const),
      state: stateArb([...SHARED_KEYS, 'app:a1', 'user:x']),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('deleteAppState' as const),
      key: fc.constantFrom(...SHARED_KEYS, 'app:a1'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('listAppStates' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('updateUserState' as const),
      user: userArb,
      state: stateArb([...SHARED_KEYS, 'user:a1', 'app:x']),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('deleteUserState' as const),
      user: userArb,
      key: fc.constantFrom(...SHARED_KEYS, 'user:a1'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('listUserStates' as const), user: userArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('delete' as const), user: userArb, id: sessionIdArb }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pop' as const), user: userArb, id: sessionIdArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), user: userArb, id: sessionIdArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('getTrack' as const),
      user: userArb,
      id: sessionIdArb,
      track: fc.constantFrom(...TRACKS),
      eventNum: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      eventTime: fc.option(offsetSecondsArb, { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('tick' as const),
      seconds: fc.constantFrom(0.001, 1, 1, 1, 10, 10, 30, 61),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const) }) },
  /** A clock that steps back (another writer's clock behind this one's). */
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('rewind' as const), seconds: fc.constantFrom(2, 20) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('appendBatch' as const),
      user: userArb,
      id: sessionIdArb,
      events: fc.array(
        fc.record({ kind: eventKindArb, delta: fc.option(stateArb(STATE_KEYS), { nil: undefined }) }),
        { minLength: 1, maxLength: 3 },
      ),
      eventTime: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined, freq: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('window' as const),
      user: userArb,
      id: sessionIdArb,
      /** The anchor: the session's event this many events back (1: the newest). */
      anchor: fc.integer({ min: 1, max: 6 }),
      before: fc.integer({ min: 0, max: 2 }),
      after: fc.integer({ min: 0, max: 2 }),
      roles: fc.option(fc.subarray(['user', 'assistant', 'tool', ' ']), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('replace' as const),
      user: userArb,
      id: sessionIdArb,
      /** How many of the newest events are expected (none: all of them), and whether the ids are right. */
      expect: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      wrongIds: fc.boolean(),
      events: fc.array(fc.constantFrom('user', 'assistant', 'deltaOnly'), { maxLength: 2 }),
      state: fc.option(stateArb(sessionStateKeys), { nil: undefined }),
      expectedState: fc.option(stateArb(sessionStateKeys), { nil: undefined, freq: 3 }),
    }),
  },
);

type Command = typeof commandArb extends fc.Arbitrary<infer C> ? C : never;

const optionsArb = fc.record({
  sessionTtlMs: fc.constantFrom(0, 60 * SECOND),
  appStateTtlMs: fc.constantFrom(0, 45 * SECOND),
  userStateTtlMs: fc.constantFrom(0, 45 * SECOND),
  trackEventTtlMs: fc.constantFrom(undefined, 20 * SECOND),
  sessionEventLimit: fc.constantFrom(1000, 3),
  softDelete: fc.boolean(),
  asyncPersist: fc.boolean(),
});

type RunOptions = typeof optionsArb extends fc.Arbitrary<infer O> ? O : never;

// ---- one world: both services and the callers' session objects ----

interface Side {
  svc: SessionService;
  /** The caller's session object per session key, as the last create (or adopted get) gave it. */
  callers: Map<string, Session>;
}

function stateOf(state: Record<string, number | null>): StateMap {
  const out: StateMap = {};
  for (const [k, v] of Object.entries(state)) out[k] = v === null ? null : textValue(`v${v}`);
  return out;
}

/** What a call gave: its value normalized, or its error's class, code and field. */
type Outcome = { ok: unknown } | { error: { name: string; code?: string; field?: string | undefined } };

async function outcome(call: () => Promise<unknown>, normalize: (v: never) => unknown): Promise<Outcome> {
  try {
    return { ok: normalize((await call()) as never) };
  } catch (err) {
    if (isAgentSessionsError(err)) return { error: { name: err.name, code: err.code, field: err.field } };
    return { error: { name: (err as Error)?.name ?? String(err), code: String((err as Error)?.message) } };
  }
}

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));

function normState(state: StateMap | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(state ?? {}).sort()) out[k] = hex(state![k]!);
  return out;
}

function normTracks(tracks: Record<string, TrackEvents> | undefined): unknown {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(tracks ?? {}).sort()) {
    const t = tracks![k]!;
    out[k] = { track: t.track, events: t.events.map((e) => encodeTrackEvent(e)) };
  }
  return out;
}

function normSession(s: Session | null): unknown {
  if (s === null) return null;
  return {
    id: s.id,
    appName: s.appName,
    userId: s.userId,
    state: normState(s.state),
    events: s.events.map((e) => encodeEvent(e)),
    tracks: normTracks(s.tracks),
    summaries: Object.keys(s.summaries ?? {}).sort(),
    createdAt: formatRfc3339Nano(s.createdAt),
    updatedAt: formatRfc3339Nano(s.updatedAt),
  };
}

const normVoid = () => undefined;

const stats = new Map<string, number>();
afterAll(() => {
  if (process.env.MODEL_STATS)
    console.log(
      [...stats]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    );
});

class World {
  readonly app = `app-${randomUUID()}`;
  #seq = 0;

  constructor(
    readonly asyncPersist: boolean,
    readonly clock: ManualClock,
    readonly model: Side,
    readonly real: Side,
  ) {}

  key(user: string, id: string): SessionKey {
    return { appName: this.app, userId: user, sessionId: id };
  }

  userKey(user: string): UserKey {
    return { appName: this.app, userId: user };
  }

  /** The caller's object on a side; a hand-made one for a session the caller never held. */
  caller(side: Side, user: string, id: string): Session {
    const k = `${user}/${id}`;
    let s = side.callers.get(k);
    if (!s) {
      s = newSession(this.key(user, id), new Date(START));
      side.callers.set(k, s);
    }
    return s;
  }

  at(seconds: number): Date {
    const whole = Math.floor(seconds);
    return whole === seconds
      ? new Date(START + seconds * SECOND)
      : new PreciseDate(START + whole * SECOND, Math.round((seconds - whole) * 1e9));
  }

  /** The clock's time `back` seconds ago, with `nanos` below the millisecond. */
  stamp(back: number, nanos: number): Date {
    const ms = this.clock.now().getTime() - back * SECOND;
    return nanos === 0 ? new Date(ms) : new PreciseDate(ms, nanos);
  }

  makeEvent(kind: string, back: number, delta: StateMap | undefined, nanos = 0): Event {
    const n = ++this.#seq;
    const now = this.stamp(back, nanos);
    const base = { id: `e${n}`, invocationId: `i${n}`, now, ...(delta ? { stateDelta: delta } : {}) };
    const msg = (author: string, message: Message, extra: Partial<Event> = {}) =>
      createEvent({ author, message, ...base, ...extra });
    switch (kind) {
      case 'user':
        return msg('user', { role: 'user', content: `question ${n}` });
      case 'assistant':
        return msg('assistant', { role: 'assistant', content: `answer ${n}` });
      case 'toolCall':
        return msg('assistant', {
          role: 'assistant',
          tool_calls: [{ type: 'function', id: `c${n}`, function: { name: 'f', arguments: '{}' } }],
        });
      case 'toolResult':
        return msg('tool', { role: 'tool', tool_id: `c${n - 1}`, content: `result ${n}` });
      case 'partial':
        return msg('assistant', { role: 'assistant', content: `chunk ${n}` }, { is_partial: true });
      default:
        return createEvent({ author: 'agent', ...base });
    }
  }

  /** Runs one command on both sides and compares what each gave. */
  async step(c: Command): Promise<void> {
    const both = async (
      run: (side: Side) => Promise<unknown>,
      normalize: (v: never) => unknown = (v) => v,
    ): Promise<void> => {
      const m = await outcome(() => run(this.model), normalize);
      const r = await outcome(async () => {
        const value = await run(this.real);
        // With asyncPersist a write's failure is reported by the next flush(), as its cause.
        if (this.asyncPersist) {
          await this.real.svc.flush().catch((err: unknown) => {
            throw (err as Error).cause ?? err;
          });
        }
        return value;
      }, normalize);
      if (process.env.MODEL_STATS) {
        const tag = `${c.op} ${'ok' in m ? (m.ok === null || (Array.isArray(m.ok) && m.ok.length === 0) ? 'empty' : 'ok') : (m.error.code ?? m.error.name)}`;
        stats.set(tag, (stats.get(tag) ?? 0) + 1);
      }
      expect(r, JSON.stringify(c)).toEqual(m);
    };
    const compareCallers = (user: string, id: string) => {
      const k = `${user}/${id}`;
      expect(normSession(this.real.callers.get(k) ?? null), `caller ${k} after ${JSON.stringify(c)}`).toEqual(
        normSession(this.model.callers.get(k) ?? null),
      );
    };
    switch (c.op) {
      case 'create':
        await both(async (side) => {
          const s = await side.svc.createSession(
            this.key(c.user, c.id),
            c.state ? stateOf(c.state) : undefined,
          );
          side.callers.set(`${c.user}/${c.id}`, s);
          return s;
        }, normSession);
        return;
      case 'append': {
        const delta = c.delta ? stateOf(c.delta) : undefined;
        const event = this.makeEvent(c.kind, c.back, delta, c.nanos);
        const options = c.eventNum === undefined ? {} : { eventNum: c.eventNum };
        await both(
          (side) => side.svc.appendEvent(this.caller(side, c.user, c.id), cloneEvent(event), options),
          normVoid,
        );
        compareCallers(c.user, c.id);
        return;
      }
      case 'track': {
        const trackEvent = {
          track: c.track,
          payload: { n: c.payload },
          timestamp: this.stamp(c.back, c.nanos),
        };
        await both(
          (side) =>
            side.svc.appendTrackEvent(
              this.caller(side, c.user, c.id),
              decodeTrackEvent(encodeTrackEvent(trackEvent)),
            ),
          normVoid,
        );
        compareCallers(c.user, c.id);
        return;
      }
      case 'get': {
        const o = c.options as {
          eventNum?: number;
          eventTime?: number;
          eventPage?: { offset: number; limit: number };
        };
        const options = {
          ...(o.eventNum !== undefined ? { eventNum: o.eventNum } : {}),
          ...(o.eventTime !== undefined ? { eventTime: this.at(o.eventTime) } : {}),
          ...(o.eventPage ? { eventPage: o.eventPage } : {}),
        };
        await both(async (side) => {
          const s = await side.svc.getSession(this.key(c.user, c.id), options);
          if (s && c.adopt) side.callers.set(`${c.user}/${c.id}`, s);
          return s;
        }, normSession);
        return;
      }
      case 'list': {
        const { eventTime, ...o } = c.options;
        const options = { ...o, ...(eventTime !== undefined ? { eventTime: this.at(eventTime) } : {}) };
        await both(
          (side) => side.svc.listSessions(this.userKey(c.user), options),
          (list: Session[]) => list.map(normSession),
        );
        return;
      }
      case 'updateSessionState':
        await both((side) => side.svc.updateSessionState(this.key(c.user, c.id), stateOf(c.state)), normVoid);
        return;
      case 'updateAppState':
        await both((side) => side.svc.updateAppState(this.app, stateOf(c.state)), normVoid);
        return;
      case 'deleteAppState':
        await both((side) => side.svc.deleteAppState(this.app, c.key), normVoid);
        return;
      case 'listAppStates':
        await both((side) => side.svc.listAppStates(this.app), normState);
        return;
      case 'updateUserState':
        await both((side) => side.svc.updateUserState(this.userKey(c.user), stateOf(c.state)), normVoid);
        return;
      case 'deleteUserState':
        await both((side) => side.svc.deleteUserState(this.userKey(c.user), c.key), normVoid);
        return;
      case 'listUserStates':
        await both((side) => side.svc.listUserStates(this.userKey(c.user)), normState);
        return;
      case 'delete':
        await both((side) => side.svc.deleteSession(this.key(c.user, c.id)), normVoid);
        return;
      case 'pop':
        await both(
          (side) => side.svc.popEvent(this.key(c.user, c.id)),
          (e: Event | undefined) => (e === undefined ? undefined : encodeEvent(e)),
        );
        return;
      case 'clear':
        await both((side) => side.svc.clearEvents(this.key(c.user, c.id)), normVoid);
        return;
      case 'getTrack': {
        const options = {
          ...(c.eventNum !== undefined ? { eventNum: c.eventNum } : {}),
          ...(c.eventTime !== undefined ? { eventTime: this.at(c.eventTime) } : {}),
        };
        await both(
          (side) => side.svc.getTrackEvents(this.key(c.user, c.id), c.track, options),
          (t: TrackEvents) => normTracks({ [t.track]: t }),
        );
        return;
      }
      case 'tick':
        this.clock.advance(c.seconds * SECOND);
        return;
      case 'rewind':
        this.clock.advance(-c.seconds * SECOND);
        return;
      case 'appendBatch': {
        const events = c.events.map((e) => this.makeEvent(e.kind, 0, e.delta ? stateOf(e.delta) : undefined));
        const options = c.eventTime === undefined ? {} : { eventTime: this.at(c.eventTime) };
        await both(
          (side) => side.svc.appendEvents(this.caller(side, c.user, c.id), events.map(cloneEvent), options),
          normVoid,
        );
        compareCallers(c.user, c.id);
        return;
      }
      case 'window': {
        // An event the model holds (the newest first), counted back from the newest.
        const held = await this.model.svc
          .getSession(this.key(c.user, c.id), { eventPage: { offset: 0, limit: 10 } })
          .catch(() => null);
        const ids = (held?.events ?? []).map((e) => e.id).reverse();
        const anchor = ids[(c.anchor - 1) % Math.max(ids.length, 1)] ?? `e${this.#seq}`;
        const options = { before: c.before, after: c.after, ...(c.roles ? { roles: c.roles } : {}) };
        await both(
          (side) => side.svc.getEventWindow(this.key(c.user, c.id), anchor, options),
          (events: Event[]) => events.map((e) => encodeEvent(e)),
        );
        return;
      }
      case 'replace': {
        let expectedEventIds: string[] | undefined;
        if (c.expect !== undefined) {
          // The ids the model holds, read as a caller would read them.
          const page = await this.model.svc
            .getSession(this.key(c.user, c.id), { eventPage: { offset: 0, limit: Math.max(c.expect, 1) } })
            .catch(() => null);
          expectedEventIds = (page?.events ?? []).slice(-c.expect || page?.events.length).map((e) => e.id);
          if (c.expect === 0) expectedEventIds = [];
          if (c.wrongIds && expectedEventIds.length > 0) expectedEventIds[0] = 'e0';
        }
        const events = c.events.map((kind) => this.makeEvent(kind, 0, undefined));
        const request = {
          events,
          ...(expectedEventIds ? { expectedEventIds } : {}),
          ...(c.state ? { state: stateOf(c.state) } : {}),
          ...(c.expectedState ? { expectedState: stateOf(c.expectedState) } : {}),
        };
        await both(
          (side) =>
            side.svc.replaceEvents(this.key(c.user, c.id), {
              ...request,
              events: request.events.map(cloneEvent),
            }),
          normVoid,
        );
        return;
      }
      case 'sweep':
        await both(async (side) => {
          await (side.svc as InMemorySessionService | PostgresSessionService).sweepNow();
        }, normVoid);
        return;
    }
  }
}

describe.each(testDatabases)('model-based: memory vs PostgreSQL on %s', (_name, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
    await (await PostgresSessionService.create({ ...db.connect })).close();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('gives the same results and errors as the in-memory model', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb,
        // Each run starts with a session to work on.
        fc
          .tuple(createArb, fc.array(commandArb, { minLength: 4, maxLength: 24, size: 'max' }))
          .map(([first, rest]) => [first, ...rest]),
        async (runOptions: RunOptions, commands: Command[]) => {
          const { softDelete, asyncPersist, trackEventTtlMs, ...shared } = runOptions;
          const clock = new ManualClock(START);
          const common = {
            ...shared,
            ...(trackEventTtlMs === undefined ? {} : { trackEventTtlMs }),
            clock,
            telemetry: false as const,
          };
          const model = new InMemorySessionService(common);
          const real = await PostgresSessionService.create({
            ...db.connect,
            ...common,
            softDelete,
            skipDbInit: true,
            // A write's failure is compared as flush()'s; onError keeps it out of the process's warnings.
            ...(asyncPersist ? { asyncPersist, asyncPersisterNum: 2, onError: () => {} } : {}),
          });
          try {
            const world = new World(
              asyncPersist,
              clock,
              { svc: model, callers: new Map() },
              { svc: real, callers: new Map() },
            );
            for (const command of commands) await world.step(command);
          } finally {
            await Promise.all([model.close(), real.close()]);
          }
        },
      ),
      {
        numRuns: Number(process.env.MODEL_RUNS ?? 100),
        ...(process.env.MODEL_SEED
          ? { seed: Number(process.env.MODEL_SEED), path: process.env.MODEL_PATH }
          : {}),
      },
    );
  }, 120_000);
});
