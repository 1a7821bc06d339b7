/**
 * PostgresSessionService: trpc-agent-go's PostgreSQL session store, on the same tables and with
 * the same stored JSON, so a Go service and this one can share a database.
 *
 * Each method validates its arguments, runs the hooks, and composes the statements of
 * `queries/`. Where the Go code takes several round trips (or a transaction) this service takes
 * one statement: appends, state merges, deletes and reads are single statements, and a read
 * fetches only the newest `limit` events instead of the whole history.
 */
import { randomUUID } from 'node:crypto';
import { attachTelemetry, instrumentService, postgresBackend, telemetryOf } from '../observability/index.js';
import {
  decodeSummary,
  decodeTrackEvent,
  encodeEvent,
  encodeSessionState,
  encodeStateMap,
  encodeSummary,
  encodeTrackEvent,
  encodeTrackNames,
} from '../session/codec/index.js';
import {
  ClosedError,
  ConflictError,
  InvalidArgumentError,
  isAgentSessionsError,
  NotFoundError,
  StorageError,
} from '../session/errors.js';
import { type Event, isPersistableEvent } from '../session/event.js';
import { type AppendEventContext, type GetSessionContext, runHookChain } from '../session/hooks.js';
import {
  checkAppName,
  checkSessionKey,
  checkStateKey,
  checkUserKey,
  type SessionKey,
  sessionKeyOf,
  type UserKey,
  userKeyOf,
} from '../session/keys.js';
import {
  type AppendEventOptions,
  checkAppendEventOptions,
  checkEventWindowOptions,
  checkGetSessionOptions,
  checkListSessionsOptions,
  type EventWindowOptions,
  type GetSessionOptions,
  type ListSessionsOptions,
  type SummaryTextOptions,
  type TrackEventsOptions,
} from '../session/options.js';
import type { CreateSessionKey, SessionService } from '../session/service.js';
import type { ErrorReporter } from '../session/service-options.js';
import { applyEventToSession, newSession, type Session } from '../session/session.js';
import {
  APP_PREFIX,
  checkStateMap,
  copyState,
  mergeScopedState,
  newStateMap,
  type StateMap,
  TRACKS_STATE_KEY,
  textValue,
  USER_PREFIX,
} from '../session/state.js';
import type { Summary } from '../session/summary.js';
import { formatRfc3339Nano, toSqlTimestamp } from '../session/time.js';
import { addTrackEvent, type TrackEvent, type TrackEvents } from '../session/track.js';
import type { SqlClient, SqlExecutor } from '../sql/client.js';
import { isUniqueViolation } from '../sql/errors.js';
import { SummaryJobQueue } from '../summary/job-queue.js';
import { pickSummaryText } from '../summary/pick.js';
import { SummaryRunner } from '../summary/summary-runner.js';
import { AsyncWrites } from './async/async-writes.js';
import { EnqueueAbortedError } from './async/errors.js';
import { Sweeper, type SweepReport } from './cleanup/sweeper.js';
import { redactSecrets } from './connection/connection-string.js';
import { connectionError, type OpenedConnection, openConnection } from './connection/open.js';
import {
  type PostgresSessionServiceOptions,
  type ResolvedPostgresOptions,
  resolvePostgresOptions,
} from './options.js';
import * as q from './queries/index.js';
import {
  buildSession,
  byStoredOrder,
  decodeEvents,
  decodeStored,
  groupRows,
  planRead,
  type ReadContext,
  type SessionRows,
  sessionOfRow,
} from './read/session-rows.js';
import { initSchema, type TableNames } from './schema/index.js';
import {
  anchorIdArg,
  base64,
  checkOptionsObject,
  checkSessionStateUpdate,
  checkSignal,
  checkTrackEventArg,
  checkTrackEventsArgs,
  notFound,
  scopedValues,
  sessionArgKey,
  summaryTextArgs,
  trackNamesOf,
} from './service-arguments.js';

/** Background failures go here when the caller gives no `onError`: never silently lost. */
const warnOnError: ErrorReporter = (error, context) => {
  process.emitWarning(error, { code: 'AGENT_SESSIONS', detail: `operation: ${context.operation}` });
};

function run<Row>(db: SqlExecutor, query: q.SqlQuery) {
  return db.query<Row>(query.text, query.params);
}

/**
 * A SessionService on PostgreSQL (a server through node-postgres, or embedded PGlite), with
 * trpc-agent-go's tables, stored formats and semantics.
 *
 * `new PostgresSessionService(options)` validates the options at once and connects lazily: the
 * first call opens the connection and creates (or verifies) the tables, so connection and schema
 * errors surface from that call. `await PostgresSessionService.create(options)` does that work
 * up front. `close()` drains what is in flight, stops the sweeper and the summary workers, and
 * ends the pool only when the service created it.
 *
 * With `asyncPersist: true`, appendEvent and appendTrackEvent change the caller's session at
 * once, exactly as without it, and resolve as soon as the write is accepted by a background
 * worker (`asyncPersisterNum` of them; a session's writes always go to the same one, so they keep
 * their order; each worker writes what has queued up as one multi-row statement). What that
 * changes for a caller:
 * - Reads do not wait for accepted writes (as in Go): `await flush()` first to read your own
 *   writes. Writes do: deleteSession, updateSessionState and createSession of a session first
 *   wait until that session's accepted appends are stored, so they apply in the order called.
 * - A write that fails for good (after retrying transient errors) cannot reject its append, which
 *   has already resolved. It goes to `onError` (with `key`, `item`, and `event` or `trackEvent`)
 *   and makes the next `flush()` reject. This is how a missing or deleted session shows up: the
 *   synchronous append rejects with NOT_FOUND, the asynchronous one cannot know at append time.
 * - When a worker's queue is full, the append waits for room (memory stays bounded); the
 *   `signal` of appendEvent (and of appendTrackEvent's options) gives up waiting, rejecting
 *   with an `AbortError` (code INVALID_ARGUMENT) and storing nothing. The caller's session has
 *   changed by then, as it has when a synchronous write fails.
 * - `close()` drains every accepted write before ending the pool; an append after it fails with
 *   CLOSED (the Go code drops it silently).
 *
 * @example
 * ```ts
 * const sessions = await PostgresSessionService.create({ dsn: process.env.DATABASE_URL, sessionTtlMs: 86_400_000 });
 * const session = await sessions.createSession({ appName: 'support', userId: 'u1' });
 * await sessions.appendEvent(session, createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }));
 * await sessions.close();
 * ```
 */
export class PostgresSessionService implements SessionService {
  readonly #o: ResolvedPostgresOptions;
  readonly #summaryJobs: SummaryJobQueue | undefined;
  readonly #summaries: SummaryRunner;
  /** The background writers, when `asyncPersist` is on. */
  readonly #async: AsyncWrites | undefined;
  /** Every call that may touch the database, so flush() and close() can wait for them. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #connection: OpenedConnection | undefined;
  #ready: Promise<SqlClient> | undefined;
  #sweeper: Sweeper | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Validates the options (throwing a ConfigError naming the one at fault) without connecting.
   */
  constructor(options: PostgresSessionServiceOptions = {}) {
    this.#o = resolvePostgresOptions(options);
    const o = this.#o;
    const telemetry = attachTelemetry(this, options, postgresBackend(o));
    if (o.summarizer) {
      this.#summaryJobs = new SummaryJobQueue({
        workers: o.asyncSummaryNum,
        queueSize: o.summaryQueueSize,
        jobTimeoutMs: o.summaryJobTimeoutMs,
        onError: o.onError ?? warnOnError,
        observer: telemetry.summaryJobs,
      });
    }
    this.#summaries = new SummaryRunner({
      summarizer: o.summarizer,
      allowlist: o.summaryFilterAllowlist,
      cascade: o.cascadeFullSessionSummary,
      clock: o.clock,
      jobs: this.#summaryJobs,
      store: (key) => this.#summaryStore(key),
    });
    if (o.asyncPersist) {
      this.#async = new AsyncWrites({
        client: () => this.#client(),
        tables: o.tables,
        workers: o.asyncPersisterNum,
        sessionTtlMs: o.sessionTtlMs,
        trackEventTtlMs: o.trackEventTtlMs,
        onError: o.onError ?? warnOnError,
        observer: telemetry.persister,
      });
    }
  }

  /**
   * Creates a service and connects now: the tables are created if missing and verified (unless
   * `skipDbInit`), so a wrong DSN or schema fails here rather than on the first call.
   */
  static async create(options: PostgresSessionServiceOptions = {}): Promise<PostgresSessionService> {
    const service = new PostgresSessionService(options);
    try {
      await service.#client();
    } catch (error) {
      await service.close().catch(() => undefined);
      throw error;
    }
    return service;
  }

  /** The tables this service uses (schema- and prefix-qualified names, quoted for SQL). */
  get tables(): TableNames {
    return this.#o.tables;
  }

  /**
   * Writes accepted by the background workers and not yet taken into a batch (events and track
   * events; always 0 without `asyncPersist`). Bounded: a full queue makes appends wait instead.
   */
  get asyncQueueDepth(): number {
    return this.#async?.depth ?? 0;
  }

  /** Appends waiting for room in a full background queue (always 0 without `asyncPersist`). */
  get asyncQueueWaiting(): number {
    return this.#async?.waiting ?? 0;
  }

  // ---- sessions ----

  async createSession(key: CreateSessionKey, state?: StateMap): Promise<Session> {
    this.#checkOpen('createSession');
    checkUserKey(key);
    const sessionId = key.sessionId === undefined || key.sessionId === '' ? randomUUID() : key.sessionId;
    const sessionKey: SessionKey = { appName: key.appName, userId: key.userId, sessionId };
    checkSessionKey(sessionKey);
    if (state !== undefined && state !== null) checkStateMap('state', state);
    const initial = copyState(state);
    const now = this.#now();
    const envelope = encodeSessionState({ id: sessionId, state: initial, createdAt: now, updatedAt: now });
    const conflict = () =>
      new ConflictError(`session ${JSON.stringify(sessionId)} already exists and has not expired`, {
        field: 'sessionId',
      });
    return this.#run(
      'createSession',
      async (db) => {
        // Appends still queued for an earlier session with this id go to that session first.
        await this.#async?.settled(sessionKey);
        const sqlNow = toSqlTimestamp(now);
        // One transaction: the sweep of an expired session with this key and the insert commit
        // together. The partial unique index, not a prior SELECT, decides between racing creates.
        const rows = await db.transaction(async (tx) => {
          await run(tx, q.sweepBeforeCreate(this.#o.tables, this.#mode, sessionKey, sqlNow));
          const inserted = q.insertSession(this.#o.tables, {
            key: sessionKey,
            envelope,
            now: sqlNow,
            expiresAt: this.#expiry(now, this.#o.sessionTtlMs),
          });
          return (await run<q.InsertSessionRow>(tx, inserted)).rows;
        });
        if (!rows.some((row) => row.kind === 'i')) throw conflict();
        const appState = newStateMap();
        const userState = newStateMap();
        for (const row of rows) {
          if (row.kind === 'i' || row.name === null) continue;
          (row.kind === 'a' ? appState : userState)[row.name] =
            row.value === null ? null : textValue(row.value);
        }
        return newSession(sessionKey, now, mergeScopedState(copyState(initial), appState, userState));
      },
      // A writer that takes no part in ON CONFLICT (a Go service's plain INSERT racing ours)
      // still loses on the unique index: that is the same conflict.
      (error) => (isUniqueViolation(error) ? conflict() : undefined),
    );
  }

  async getSession(key: SessionKey, options: GetSessionOptions = {}): Promise<Session | null> {
    this.#checkOpen('getSession');
    checkSessionKey(key);
    checkOptionsObject(options);
    checkGetSessionOptions(options);
    const ctx: GetSessionContext = { key: sessionKeyOf(key), options: { ...options } };
    return runHookChain(this.#o.getSessionHooks, ctx, async (c) => {
      // A hook may have changed the key or the options: they are checked again as they reach storage.
      checkSessionKey(c.key);
      checkGetSessionOptions(c.options);
      const readKey = sessionKeyOf(c.key);
      return this.#run('getSession', async (db) => {
        const read = this.#readContext(db);
        const plan = planRead(c.options, read);
        const query = q.selectSession(this.#o.tables, {
          key: readKey,
          now: toSqlTimestamp(read.now),
          events: plan.events,
          tracks: plan.tracks,
        });
        const grouped = groupRows((await run<q.ReadRow>(db, query)).rows);
        const rows = grouped.sessions[0];
        return rows ? buildSession(readKey, rows, grouped.scoped, plan, read) : null;
      });
    });
  }

  async listSessions(key: UserKey, options: ListSessionsOptions = {}): Promise<Session[]> {
    this.#checkOpen('listSessions');
    checkUserKey(key);
    checkOptionsObject(options);
    checkListSessionsOptions(options);
    const userKey = userKeyOf(key);
    return this.#run('listSessions', async (db) => {
      const read = this.#readContext(db);
      const plan = planRead({ eventNum: options.eventNum, eventTime: options.eventTime }, read);
      const onlyMeta = options.onlyMeta === true;
      const query = q.selectSessions(this.#o.tables, {
        key: userKey,
        now: toSqlTimestamp(read.now),
        page: options.page,
        onlyMeta,
        eventLimit: plan.events.limit,
        tracks: plan.tracks,
      });
      const { sessions, scoped } = groupRows((await run<q.ReadRow>(db, query)).rows);
      // A literal, not a spread of userKey: spreading cost more than decoding a session's state.
      const { appName, userId } = userKey;
      const keyOf = (rows: SessionRows): SessionKey => ({ appName, userId, sessionId: rows.session.sid! });
      // Metadata needs no further query, so it is built without a promise per session.
      if (onlyMeta) return sessions.map((rows) => sessionOfRow(keyOf(rows), rows.session, scoped));
      return Promise.all(sessions.map((rows) => buildSession(keyOf(rows), rows, scoped, plan, read)));
    });
  }

  async deleteSession(key: SessionKey): Promise<void> {
    this.#checkOpen('deleteSession');
    checkSessionKey(key);
    const deleteKey = sessionKeyOf(key);
    await this.#run('deleteSession', async (db) => {
      // The session's accepted appends land first, as they would have without asyncPersist.
      await this.#async?.settled(deleteKey);
      await run(db, q.deleteSession(this.#o.tables, this.#mode, deleteKey, toSqlTimestamp(this.#now())));
    });
  }

  // ---- state ----

  async updateSessionState(key: SessionKey, state: StateMap): Promise<void> {
    this.#checkOpen('updateSessionState');
    checkSessionKey(key);
    checkSessionStateUpdate(state);
    const delta = encodeStateMap(state, 'state');
    const updateKey = sessionKeyOf(key);
    await this.#run('updateSessionState', async (db) => {
      // Accepted appends first: an older delta must not land over this newer state.
      await this.#async?.settled(updateKey);
      const now = this.#now();
      const query = q.updateSessionState(this.#o.tables, {
        key: updateKey,
        delta,
        now: toSqlTimestamp(now),
        updatedAtJson: formatRfc3339Nano(now),
        expiresAt: this.#expiry(now, this.#o.sessionTtlMs),
      });
      if ((await run(db, query)).rows.length === 0) throw notFound(updateKey);
    });
  }

  async updateAppState(appName: string, state: StateMap): Promise<void> {
    this.#checkOpen('updateAppState');
    checkAppName(appName);
    const { json, count } = scopedValues(state, APP_PREFIX);
    if (count === 0) return;
    await this.#run('updateAppState', async (db) => {
      const now = this.#now();
      await run(
        db,
        q.upsertAppState(this.#o.tables, appName, {
          values: json,
          now: toSqlTimestamp(now),
          expiresAt: this.#expiry(now, this.#o.appStateTtlMs),
        }),
      );
    });
  }

  async listAppStates(appName: string): Promise<StateMap> {
    this.#checkOpen('listAppStates');
    checkAppName(appName);
    return this.#run('listAppStates', async (db) =>
      this.#stateMap(
        await run<q.StateRow>(db, q.listAppState(this.#o.tables, appName, toSqlTimestamp(this.#now()))),
      ),
    );
  }

  async deleteAppState(appName: string, key: string): Promise<void> {
    this.#checkOpen('deleteAppState');
    checkAppName(appName);
    checkStateKey('key', key);
    // The key is used as given (no `app:` trimming), as trpc-agent-go does.
    await this.#run('deleteAppState', async (db) => {
      await run(db, q.deleteAppState(this.#o.tables, this.#mode, appName, key, toSqlTimestamp(this.#now())));
    });
  }

  async updateUserState(key: UserKey, state: StateMap): Promise<void> {
    this.#checkOpen('updateUserState');
    checkUserKey(key);
    const { json, count } = scopedValues(state, USER_PREFIX);
    if (count === 0) return;
    const userKey = userKeyOf(key);
    await this.#run('updateUserState', async (db) => {
      const now = this.#now();
      await run(
        db,
        q.upsertUserState(this.#o.tables, userKey, {
          values: json,
          now: toSqlTimestamp(now),
          expiresAt: this.#expiry(now, this.#o.userStateTtlMs),
        }),
      );
    });
  }

  async listUserStates(key: UserKey): Promise<StateMap> {
    this.#checkOpen('listUserStates');
    checkUserKey(key);
    const userKey = userKeyOf(key);
    return this.#run('listUserStates', async (db) =>
      this.#stateMap(
        await run<q.StateRow>(db, q.listUserState(this.#o.tables, userKey, toSqlTimestamp(this.#now()))),
      ),
    );
  }

  async deleteUserState(key: UserKey, stateKey: string): Promise<void> {
    this.#checkOpen('deleteUserState');
    checkUserKey(key);
    checkStateKey('key', stateKey);
    const userKey = userKeyOf(key);
    await this.#run('deleteUserState', async (db) => {
      await run(
        db,
        q.deleteUserState(this.#o.tables, this.#mode, userKey, stateKey, toSqlTimestamp(this.#now())),
      );
    });
  }

  // ---- events and tracks ----

  /**
   * Applies the event to the caller's session (state delta, events filtered by `eventNum` and
   * `eventTime`) and stores it with the session's new state, in one statement; with
   * `asyncPersist`, hands it to the background writer instead (see the class description).
   *
   * @throws NOT_FOUND (synchronous mode) when the session does not exist; CLOSED after close();
   *   with `asyncPersist`, an `AbortError` (code INVALID_ARGUMENT) when `options.signal` aborts
   *   before the event is accepted, in which case nothing of it is stored.
   */
  async appendEvent(session: Session, event: Event, options: AppendEventOptions = {}): Promise<void> {
    this.#checkOpen('appendEvent');
    const key = sessionArgKey(session);
    checkOptionsObject(options);
    checkAppendEventOptions(options);
    checkSignal('options.signal', options.signal);
    // A caller that has already given up changes nothing, not even its own copy.
    if (this.#async && options.signal?.aborted) {
      throw new EnqueueAbortedError('appendEvent', options.signal.reason);
    }
    const json = encodeEvent(event);
    const hooks = this.#o.appendEventHooks;
    const ctx: AppendEventContext = { session, event, key, options: { ...options } };
    await runHookChain(hooks, ctx, async (c) => {
      // Hooks may replace or edit the event and the key: what is stored is validated as it is now.
      const stored = hooks.length === 0 ? json : encodeEvent(c.event);
      if (hooks.length > 0) checkSessionKey(c.key);
      const delta = c.event.stateDelta ? encodeStateMap(c.event.stateDelta, 'event.stateDelta') : '{}';
      const now = this.#now();
      // The caller's copy changes first, even when the session turns out to be gone (as in Go).
      applyEventToSession(
        c.session,
        c.event,
        { eventNum: c.options.eventNum, eventTime: c.options.eventTime },
        now,
      );
      await this.#persistEvent(
        sessionKeyOf(c.key),
        { event: isPersistableEvent(c.event) ? stored : null, delta, now, source: c.event },
        c.options.signal,
      );
    });
  }

  /**
   * Where an accepted event goes to storage: here, at once, in one statement; or, with
   * `asyncPersist`, to the background writer, resolving once it is accepted (the caller's session
   * has already changed by then, in both modes). `event` is the JSON snapshot, `source` the event
   * itself (for the failure report).
   */
  #persistEvent(
    key: SessionKey,
    write: { event: string | null; delta: string; now: Date; source: Event },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (this.#async) {
      const accepted = this.#async.appendEvent(
        key,
        { event: write.source, eventJson: write.event, delta: write.delta, now: write.now },
        signal,
      );
      return this.#track(accepted);
    }
    return this.#run('appendEvent', async (db) => {
      const query = q.appendEvent(this.#o.tables, {
        key,
        delta: write.delta,
        event: write.event,
        now: toSqlTimestamp(write.now),
        updatedAtJson: formatRfc3339Nano(write.now),
        expiresAt: this.#expiry(write.now, this.#o.sessionTtlMs),
      });
      if ((await run(db, query)).rows.length === 0) throw notFound(key);
    });
  }

  /**
   * Adds the track event to the caller's session (and its `tracks` index) and stores it; with
   * `asyncPersist`, hands it to the background writer instead, and `options.signal` gives up
   * waiting for room in a full queue, as appendEvent's does (ignored otherwise).
   */
  async appendTrackEvent(
    session: Session,
    trackEvent: TrackEvent,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#checkOpen('appendTrackEvent');
    const key = sessionArgKey(session);
    checkTrackEventArg(trackEvent);
    checkOptionsObject(options);
    checkSignal('options.signal', options.signal);
    if (this.#async && options.signal?.aborted) {
      throw new EnqueueAbortedError('appendTrackEvent', options.signal.reason);
    }
    const json = encodeTrackEvent(trackEvent, 'trackEvent');
    const { track } = trackEvent;
    const callerRaw = session.state?.[TRACKS_STATE_KEY] ?? null;
    const callerNames = trackNamesOf(
      callerRaw,
      (rule) => new InvalidArgumentError(`session.state["${TRACKS_STATE_KEY}"]`, rule),
    );
    const callerIndex = callerNames.includes(track) ? undefined : encodeTrackNames([...callerNames, track]);
    const now = this.#now();

    // The caller's copy changes first, as with appendEvent.
    session.state ??= newStateMap();
    if (callerIndex) session.state[TRACKS_STATE_KEY] = callerIndex;
    session.tracks ??= Object.create(null) as Session['tracks'];
    addTrackEvent(session.tracks, trackEvent);
    session.updatedAt = now;

    if (this.#async) {
      await this.#track(
        this.#async.appendTrackEvent(key, { trackEvent, eventJson: json, now }, options.signal),
      );
      return;
    }
    await this.#persistTrackEvent(key, {
      track,
      event: json,
      timestamp: trackEvent.timestamp,
      now,
      expectedIndex: callerRaw ? base64(callerRaw) : null,
      index: callerIndex,
      onStoredIndex: (index) => {
        session.state[TRACKS_STATE_KEY] = index;
      },
    });
  }

  /**
   * Where an accepted track event goes to storage (the seam of asynchronous persistence, as
   * {@link #persistEvent}). One statement when the stored `tracks` index is the one the caller's
   * copy showed (`expectedIndex`); otherwise (another writer added a track, or the session is
   * gone) the index is read under the row lock and the write is made from it, so no writer's
   * track is ever dropped from the index. `onStoredIndex` then gets the index as stored.
   */
  #persistTrackEvent(
    key: SessionKey,
    write: {
      track: string;
      event: string;
      timestamp: Date;
      now: Date;
      expectedIndex: string | null;
      index: Uint8Array | undefined;
      onStoredIndex: (index: Uint8Array) => void;
    },
  ): Promise<void> {
    const statement = (expected: string | null, index: Uint8Array | undefined) =>
      q.appendTrackEvent(this.#o.tables, {
        key,
        expectedIndex: expected,
        delta: index ? encodeStateMap({ [TRACKS_STATE_KEY]: index }, 'tracks') : '{}',
        track: write.track,
        event: write.event,
        timestamp: toSqlTimestamp(write.timestamp),
        now: toSqlTimestamp(write.now),
        updatedAtJson: formatRfc3339Nano(write.now),
        sessionExpiresAt: this.#expiry(write.now, this.#o.sessionTtlMs),
        trackExpiresAt: this.#expiry(write.now, this.#o.trackEventTtlMs),
      });
    return this.#run('appendTrackEvent', async (db) => {
      const fast = await run<{ appended: number }>(db, statement(write.expectedIndex, write.index));
      if ((fast.rows[0]?.appended ?? 0) > 0) return;
      await db.transaction(async (tx) => {
        const locked = await run<{ tracks: string | null }>(tx, q.lockTrackIndex(this.#o.tables, key));
        const row = locked.rows[0];
        if (!row) throw notFound(key);
        const stored = row.tracks === null ? null : Buffer.from(row.tracks, 'base64');
        const names = trackNamesOf(
          stored,
          (rule) =>
            new StorageError(`the stored "${TRACKS_STATE_KEY}" index of session ${key.sessionId} ${rule}`),
        );
        const index = names.includes(write.track) ? undefined : encodeTrackNames([...names, write.track]);
        await run(tx, statement(row.tracks, index));
        write.onStoredIndex(index ?? encodeTrackNames(names));
      });
    });
  }

  async getTrackEvents(
    key: SessionKey,
    track: string,
    options: TrackEventsOptions = {},
  ): Promise<TrackEvents> {
    this.#checkOpen('getTrackEvents');
    checkTrackEventsArgs(key, track, options);
    const readKey = sessionKeyOf(key);
    return this.#run('getTrackEvents', async (db) => {
      const query = q.selectTrackEvents(this.#o.tables, {
        key: readKey,
        track,
        now: toSqlTimestamp(this.#now()),
        after: options.eventTime ? toSqlTimestamp(options.eventTime) : undefined,
        limit: options.eventNum && options.eventNum > 0 ? options.eventNum : null,
      });
      const { rows } = await run<q.TrackEventRow>(db, query);
      // decodeStored: a row another program wrote badly is reported with the session's key.
      return {
        track,
        events: rows.map((row) =>
          decodeStored('track event', readKey, undefined, row.body, decodeTrackEvent),
        ),
      };
    });
  }

  async getEventWindow(
    key: SessionKey,
    anchorEventId: string,
    options: EventWindowOptions,
  ): Promise<Event[]> {
    this.#checkOpen('getEventWindow');
    checkSessionKey(key);
    const anchorId = anchorIdArg(anchorEventId);
    checkEventWindowOptions(options);
    const readKey = sessionKeyOf(key);
    return this.#run('getEventWindow', async (db) => {
      const query = q.eventWindow(this.#o.tables, {
        key: readKey,
        anchorId,
        before: options.before,
        after: options.after,
        now: toSqlTimestamp(this.#now()),
      });
      const { rows } = await run<q.EventWindowRow>(db, query);
      if (rows.length === 0)
        throw new NotFoundError(`anchor event not found: ${anchorId}`, { field: 'anchorEventId' });
      return decodeEvents([...rows].sort(byStoredOrder), readKey);
    });
  }

  // ---- summaries ----

  async createSessionSummary(session: Session, filterKey = '', force = false): Promise<void> {
    this.#checkOpen('createSessionSummary');
    await this.#summaries.createNow(session, filterKey, force);
  }

  async enqueueSummaryJob(session: Session, filterKey = '', force = false): Promise<void> {
    this.#checkOpen('enqueueSummaryJob');
    await this.#summaries.enqueue(session, filterKey, force);
  }

  /** Upserts a summary by filter key; the row's updated_at is the summary's own (its cutoff). */
  #summaryStore(key: SessionKey): (filterKey: string, summary: Summary) => Promise<void> {
    return (filterKey, summary) =>
      this.#run('createSessionSummary', async (db) => {
        await run(
          db,
          q.upsertSummary(this.#o.tables, {
            key,
            filterKey,
            summary: encodeSummary(summary),
            updatedAt: toSqlTimestamp(summary.updated_at),
            now: toSqlTimestamp(this.#now()),
          }),
        );
      });
  }

  /**
   * The summary text for a filter key (falling back to the full-session summary): from the
   * session object when it carries one, else from the database. A summary older than the
   * session belongs to an earlier session with the same id and is skipped. A missing session or
   * a bad key has no summary (as in Go); a database failure is a StorageError (Go hides it).
   */
  async getSessionSummaryText(
    session: Session,
    options: SummaryTextOptions = {},
  ): Promise<string | undefined> {
    this.#checkOpen('getSessionSummaryText');
    // As trpc-agent-go: a missing session or a bad key has no summary rather than an error.
    const args = summaryTextArgs(session, options);
    if (!args) return undefined;
    const { key, filterKey } = args;
    const own = pickSummaryText(session.summaries, filterKey, session.createdAt);
    if (own !== undefined) return own;
    const readKey = sessionKeyOf(key);
    return this.#run('getSessionSummaryText', async (db) => {
      const query = q.selectSummaries(this.#o.tables, {
        key: readKey,
        filterKey,
        now: toSqlTimestamp(this.#now()),
      });
      const stored = new Map<string, Summary>();
      for (const row of (await run<q.SummaryRow>(db, query)).rows) {
        if (row.body === null) continue;
        const what = `summary ${JSON.stringify(row.filter_key)}`;
        stored.set(row.filter_key, decodeStored(what, readKey, undefined, row.body, decodeSummary));
      }
      return pickSummaryText(stored, filterKey, session.createdAt);
    });
  }

  // ---- lifecycle ----

  /**
   * Sweeps expired data now (the sweeper also does this every `cleanupIntervalMs` when a TTL is
   * set), on one instance at a time: `ran` is false when another instance was sweeping.
   */
  async sweepNow(): Promise<SweepReport> {
    this.#checkOpen('sweepNow');
    return this.#run('sweepNow', async () => this.#sweeper!.sweepNow());
  }

  /**
   * Resolves when every write accepted before the call is durable, queued summary jobs included.
   *
   * With `asyncPersist`, rejects when background writes failed for good since the last flush
   * (each was also given to `onError`): with an AsyncWriteError (code STORAGE, `failed` counting
   * them, the first failure as `cause`), or an AggregateError of two when both events and track
   * events failed. The failures are then cleared; the next flush reports only new ones. It still
   * waits for everything else first, so a rejected flush has settled all the same.
   */
  async flush(): Promise<void> {
    this.#checkOpen('flush');
    // Appends still waiting for room are in flight: once they are accepted, they count too.
    await Promise.allSettled([...this.#inFlight]);
    const [writes] = await Promise.allSettled([this.#async?.flush(), this.#summaryJobs?.drain()]);
    if (writes.status === 'rejected') throw writes.reason;
  }

  /**
   * Takes no more calls (they fail with CLOSED), waits for the calls in flight, writes every
   * accepted background write, finishes the queued summary jobs (aborting what still runs after
   * one `summaryJobTimeoutMs`), stops the sweeper, and ends the pool if the service created it; a
   * pool or client the caller passed in stays open. Idempotent: every call returns the same
   * promise.
   *
   * close() resolves after the drain even when background writes failed: those failures went to
   * `onError`, and a caller that must know whether everything was stored calls `flush()` first.
   * It does not reject for them because it has shut everything down all the same; a rejection
   * would leave the caller unsure whether it had.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#async?.close();
    await this.#summaryJobs?.close();
    await this.#sweeper?.stop();
    // Jobs drained above may have written; anything they started has settled by now.
    await Promise.allSettled([...this.#inFlight]);
    if (this.#connection?.owned) await this.#connection.client.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- helpers ----

  get #mode(): q.DeleteMode {
    return this.#o.softDelete ? 'soft' : 'hard';
  }

  #checkOpen(operation: string): void {
    if (this.#closed) throw new ClosedError(operation);
  }

  /** The clock's time, as a Date of our own (a clock may hand out one it keeps changing). */
  #now(): Date {
    return new Date(this.#o.clock.now().getTime());
  }

  /** `now + ttl` as a TIMESTAMP parameter, or null (never expires) when the TTL is 0. */
  #expiry(now: Date, ttlMs: number): string | null {
    return ttlMs > 0 ? toSqlTimestamp(new Date(now.getTime() + ttlMs)) : null;
  }

  #readContext(db: SqlExecutor): ReadContext {
    return {
      db,
      tables: this.#o.tables,
      now: this.#now(),
      sessionTtlMs: this.#o.sessionTtlMs,
      sessionEventLimit: this.#o.sessionEventLimit,
    };
  }

  #stateMap(result: { rows: q.StateRow[] }): StateMap {
    const state = newStateMap();
    for (const row of result.rows) state[row.key] = row.value === null ? null : textValue(row.value);
    return state;
  }

  /**
   * The client, once connected and with the tables in place. A failed start is retried by the
   * next call (the database may come up later); the pool, once created, is kept.
   */
  #client(): Promise<SqlClient> {
    this.#ready ??= this.#start().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #start(): Promise<SqlClient> {
    this.#connection ??= openConnection(this.#o);
    const { client, describe } = this.#connection;
    let database: string;
    try {
      const { rows } = await client.query<{ database: string }>('SELECT current_database() AS database');
      database = rows[0]?.database ?? '';
    } catch (error) {
      throw connectionError(error, describe, 'cannot connect');
    }
    telemetryOf(this)?.connected(database);
    if (!this.#o.skipDbInit) await initSchema(client, this.#o.tables);
    if (!this.#sweeper) {
      const o = this.#o;
      this.#sweeper = new Sweeper({
        client,
        tables: o.tables,
        clock: o.clock,
        softDelete: o.softDelete,
        sessionTtlMs: o.sessionTtlMs,
        appStateTtlMs: o.appStateTtlMs,
        userStateTtlMs: o.userStateTtlMs,
        trackEventTtlMs: o.trackEventTtlMs,
        // sweepNow() works without a timer; the interval only matters once started.
        intervalMs: o.cleanupIntervalMs > 0 ? o.cleanupIntervalMs : 5 * 60_000,
        lockKey: `${database}.${o.tables.schema || 'current_schema'}.${o.tables.prefix}`,
        onError: o.onError ?? warnOnError,
        observer: telemetryOf(this)?.sweeper,
      });
      if (o.cleanupIntervalMs > 0 && !this.#closed) this.#sweeper.start();
    }
    return client;
  }

  /**
   * Runs one operation's database work: connects first if needed, counts it as in flight (for
   * flush and close), and turns a driver error into a StorageError naming the operation, with the
   * driver's error as `cause` and no password in the message. `mapError` may claim an error first.
   */
  #run<T>(
    operation: string,
    fn: (db: SqlClient) => Promise<T>,
    mapError?: (error: unknown) => Error | undefined,
  ): Promise<T> {
    const work = (async () => {
      const client = await this.#client();
      try {
        return await fn(client);
      } catch (error) {
        if (isAgentSessionsError(error)) throw error;
        const mapped = mapError?.(error);
        if (mapped) throw mapped;
        const message = error instanceof Error ? error.message || error.name : String(error);
        throw new StorageError(`${operation} failed: ${redactSecrets(message)}`, { cause: error });
      }
    })();
    return this.#track(work);
  }

  /** Counts `work` as in flight until it settles, so flush() and close() wait for it. */
  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const settle = () => this.#inFlight.delete(work);
    work.then(settle, settle);
    return work;
  }
}

instrumentService(PostgresSessionService.prototype);
