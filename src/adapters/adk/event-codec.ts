import type { Event as AdkEvent } from '@google/adk';
import {
  CURRENT_EVENT_VERSION,
  InvalidArgumentError,
  readCallerValue,
  type StateMap,
  type Event as StoredEvent,
} from '../../index.js';
import { goChoices, goUsage } from './go-fields.js';
import { eventFromGoFields } from './go-import.js';
import { keptBesideGoFields, restoredEvent } from './kept-event.js';

/**
 * The key under which a stored event's extensions keep the ADK event: whole, or without what the
 * stored event's Go fields hold exactly (see keptEvent).
 */
export const ADK_EXTENSION_KEY = 'agent-sessions/adk';

/** ADK marks the events it makes with this symbol (createEvent); loaded events carry it again. */
const ADK_EVENT_SIGNATURE = Symbol.for('google.adk.event');

/**
 * One ADK event as one stored event: Go-visible fields (author, role, content, tool calls and
 * results, usage, timestamps) for a Go service reading the session, the ADK event, as JSON, in
 * `extensions[ADK_EXTENSION_KEY]` (without what the Go fields hold exactly; no extension when
 * they hold all of it), and the event's
 * session-scoped state delta (app:/user: keys go to the shared rows, temp: keys nowhere).
 */
export function toStoredEvent(event: AdkEvent, sessionDelta: StateMap): StoredEvent {
  checkAdkEvent(event);
  // What is read of the caller's event (a getter or Proxy trap that throws, nesting deeper than the
  // stack) is refused naming the event; the fields with a path of their own name it.
  return readCallerValue('event', () => storedEventOf(event, sessionDelta));
}

function storedEventOf(event: AdkEvent, sessionDelta: StateMap): StoredEvent {
  const stored: StoredEvent = {
    object: 'chat.completion',
    created: Math.floor(event.timestamp / 1000),
    choices: goChoices(event),
    done: true,
    invocationId: event.invocationId ?? '',
    author: event.author ?? '',
    id: event.id,
    timestamp: new Date(event.timestamp),
    version: CURRENT_EVENT_VERSION,
  };
  const kept = keptBesideGoFields(event);
  if (kept !== undefined) stored.extensions = { [ADK_EXTENSION_KEY]: kept };
  const usage = goUsage(event);
  if (usage) stored.usage = usage;
  if (event.modelVersion) stored.model = event.modelVersion;
  if (event.branch) stored.branch = event.branch;
  if (event.errorCode || event.errorMessage)
    stored.error = { message: event.errorMessage ?? '', type: event.errorCode ?? '' };
  const longRunning = event.longRunningToolIds ?? [];
  if (longRunning.length > 0)
    stored.longRunningToolIDs = Object.fromEntries(longRunning.map((id) => [id, {}]));
  if (Object.keys(sessionDelta).length > 0) stored.stateDelta = sessionDelta;
  return stored;
}

/**
 * The ADK event a stored event holds: the one this adapter saved (deep-equal to it, as JSON keeps
 * it: properties whose value is undefined are not kept), or, for an event stored with its Go
 * fields alone (a plain message this adapter wrote, or an event another writer stored, such as a Go
 * service), one built from its Go fields.
 */
export function fromStoredEvent(stored: StoredEvent): AdkEvent {
  const saved = stored.extensions?.[ADK_EXTENSION_KEY];
  const event =
    saved === undefined || saved === null || typeof saved !== 'object'
      ? eventFromGoFields(stored)
      : restoredEvent(saved as Record<string, unknown>, stored);
  (event as unknown as Record<symbol, unknown>)[ADK_EVENT_SIGNATURE] = true;
  return event;
}

/** The fields every ADK event has and the store needs: refused with INVALID_ARGUMENT when missing. */
export function checkAdkEvent(event: AdkEvent): void {
  if (event === null || typeof event !== 'object') throw new InvalidArgumentError('event', 'is required');
  if (typeof event.id !== 'string' || event.id === '')
    throw new InvalidArgumentError('event.id', 'must be a non-empty string');
  if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp))
    throw new InvalidArgumentError('event.timestamp', 'must be a finite number of milliseconds');
  if (Number.isNaN(new Date(event.timestamp).getTime()))
    throw new InvalidArgumentError('event.timestamp', 'must be a representable date');
}
