import type { Event } from '../session/event.js';
import type { SessionKey, UserKey } from '../session/keys.js';
import type { StateMap } from '../session/state.js';
import type { Summary } from '../session/summary.js';
import type { TrackEvent } from '../session/track.js';

/** An empty object without a prototype, so keys such as `__proto__` stay ordinary keys. */
export function newRecordMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A stored event: its JSON (what reads decode, so callers never share objects with the store). */
export interface StoredEvent {
  json: string;
  /** A private decoded copy, for filtering; never handed out. */
  event: Event;
  /** When it was appended (the events table's created_at), in epoch ms. */
  storedAt: number;
}

export interface StoredTrackEvent {
  json: string;
  /** A private decoded copy, for filtering; never handed out. */
  event: TrackEvent;
  expiresAt: number | undefined;
}

/** Everything stored for one session: the rows the PostgreSQL backend spreads over four tables. */
export interface SessionRecord {
  key: SessionKey;
  /** Session-scoped state, exactly as written (app:/user: keys from deltas included). */
  state: StateMap;
  /** In append order, which is the read order. */
  events: StoredEvent[];
  tracks: Map<string, StoredTrackEvent[]>;
  summaries: Map<string, Summary>;
  createdAt: Date;
  updatedAt: Date;
  /** Epoch ms from which the session is expired; undefined = never. */
  expiresAt: number | undefined;
}

/**
 * The sessions, by app, user and session id. A record stays here after it expires until a sweep
 * (or a create of the same key) removes it: reads hide it at once, while writes may revive it, as
 * the PostgreSQL backend's row-locking writes do.
 */
export class SessionTable {
  readonly #apps = new Map<string, Map<string, Map<string, SessionRecord>>>();

  get(key: SessionKey): SessionRecord | undefined {
    return this.#apps.get(key.appName)?.get(key.userId)?.get(key.sessionId);
  }

  set(record: SessionRecord): void {
    const { appName, userId, sessionId } = record.key;
    let users = this.#apps.get(appName);
    if (!users) {
      users = new Map();
      this.#apps.set(appName, users);
    }
    let sessions = users.get(userId);
    if (!sessions) {
      sessions = new Map();
      users.set(userId, sessions);
    }
    sessions.set(sessionId, record);
  }

  delete(key: SessionKey): void {
    const users = this.#apps.get(key.appName);
    const sessions = users?.get(key.userId);
    if (!users || !sessions) return;
    sessions.delete(key.sessionId);
    if (sessions.size === 0) users.delete(key.userId);
    if (users.size === 0) this.#apps.delete(key.appName);
  }

  /** The user's records, live or not. */
  ofUser(key: UserKey): SessionRecord[] {
    return [...(this.#apps.get(key.appName)?.get(key.userId)?.values() ?? [])];
  }

  *all(): IterableIterator<SessionRecord> {
    for (const users of this.#apps.values()) {
      for (const sessions of users.values()) yield* sessions.values();
    }
  }
}
