import { InvalidArgumentError, readCallerValue, StorageError } from '../errors.js';
import type { Event } from '../event.js';
import { type StateMap, TRACKS_STATE_KEY } from '../state.js';
import type { Summary } from '../summary.js';
import type { TrackEvent } from '../track.js';
import { decodeJsonText } from './decode-text.js';
import { adoptEvent } from './event-adopt.js';
import { decodeEventValue } from './event-decode.js';
import { encodeEvent, writeStateMapEntries } from './event-encode.js';
import { structObject } from './fields.js';
import { SESSION_STATE, SUMMARY, SUMMARY_BOUNDARY, TRACK_EVENT } from './go-structs.js';
import {
  parseJson,
  readArray,
  readInt,
  readOptString,
  readRawValue,
  readStateMap,
  readString,
  readStruct,
  readTime,
  rootObject,
  stringItem,
} from './reader.js';
import { writeJsonValue } from './value.js';
import { JsonWriter, quoteGo, textProblem } from './writer.js';

/**
 * The JSON codec for everything stored in trpc-agent-go's PostgreSQL tables. Encoders write the
 * exact bytes Go's encoding/json writes (field order, omitempty, escaping, base64, RFC 3339 in
 * UTC) and validate as they write, throwing an InvalidArgumentError that names the value's path.
 * Decoders read what Go writes, as Go reads it (keys matched case-insensitively, numbers kept
 * exactly, nanosecond timestamps), and throw a SyntaxError or TypeError naming the path when the
 * stored JSON is malformed. The `...Value` decoders take a tree the caller parsed, so its numbers
 * are only as exact as that parse.
 */

export { decodeEventValue } from './event-decode.js';
export { encodeEvent } from './event-encode.js';
export { parseExactJson } from './exact.js';
export { RawJson, stringifyExactJson } from './raw-json.js';

/** Reads an event as Go writes it (or an older flat payload without `response`). */
export function decodeEvent(json: string): Event {
  return decodeJsonText(json, 'event', (tree) => decodeEventValue(tree, 'event'), adoptEvent);
}

/**
 * A validated deep copy of an event, in the canonical shape a round trip through the database
 * gives. Backends store such copies so a caller's later mutations never reach stored data.
 */
export function cloneEvent(event: Event): Event {
  return decodeEvent(encodeEvent(event));
}

/**
 * Checks that an event can be stored, without storing it: throws the `INVALID_ARGUMENT` error that
 * appendEvent would throw, naming the offending value by its path (e.g.
 * `event.extensions["app"].text`), for a NUL character, an unpaired surrogate, a value JSON cannot
 * hold or a field of the wrong type.
 */
export function checkEvent(event: Event): void {
  encodeEvent(event);
}

/**
 * Checks that `value` can be stored as JSON data of an event (an extension's value, say), without
 * storing it: throws the `INVALID_ARGUMENT` error the service would, for the same values, but
 * naming the offending one by its path under `path` (`messages[1].tool_calls[0].args.city`). An
 * adapter's caller knows its values by its own paths, not by those of the event the adapter
 * builds from them.
 */
export function checkJsonValue(value: unknown, path: string): void {
  // A getter, Proxy trap or toJSON of the caller's that throws is refused naming the path.
  readCallerValue(path, () => writeJsonValue(new JsonWriter(), value, '', path, false));
}

/** A JSON string literal escaped as Go escapes it; refuses NUL and unpaired surrogates. */
export function goJsonString(text: string, field = 'value'): string {
  if (typeof text !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  const quoted = quoteGo(text);
  if (quoted === undefined) throw new InvalidArgumentError(field, textProblem(text));
  return quoted;
}

// ---- Summaries (session_summaries.summary) ----

/** Writes Go's session.Summary: `summary`, `topics` (omitempty), `updated_at`, `boundary` (omitempty). */
export function encodeSummary(summary: Summary): string {
  const p = 'summary';
  const w: JsonWriter = new JsonWriter();
  w.object(summary, '', p);
  w.beginObject();
  w.fieldString('summary', summary.summary, p);
  const topics: unknown = summary.topics;
  if (topics != null) {
    w.array(topics, p, 'topics');
    if (topics.length > 0) {
      w.key('topics');
      w.beginArray();
      for (let i = 0; i < topics.length; i++) {
        w.item();
        w.string(topics[i], `${p}.topics`, i);
      }
      w.endArray();
    }
  }
  w.fieldTime('updated_at', summary.updated_at, p);
  const boundary: unknown = summary.boundary;
  if (boundary != null) {
    w.object(boundary, p, 'boundary');
    const bp = `${p}.boundary`;
    w.key('boundary');
    w.beginObject();
    w.fieldInt('version', boundary.version, bp);
    w.optString('filter_key', boundary.filter_key, bp);
    // omitempty has no effect on a time.Time struct, so Go always writes the cutoff.
    w.fieldTime('cutoff_at', boundary.cutoff_at, bp);
    w.optString('last_event_id', boundary.last_event_id, bp);
    w.endObject();
  }
  w.endObject();
  return w.finish();
}

export function decodeSummary(json: string): Summary {
  return decodeJsonText(json, 'summary', decodeSummaryValue);
}

/** Reads an already parsed summary document (for drivers that parse JSONB columns themselves). */
export function decodeSummaryValue(value: unknown): Summary {
  const p = 'summary';
  const o = structObject(rootObject(value, p), SUMMARY);
  const summary: Summary = { summary: readString(o, 'summary', p), updated_at: new Date(0) };
  const topics = readArray(o, 'topics', p);
  if (topics && topics.length > 0) {
    summary.topics = topics.map((topic, i) => stringItem(topic, `${p}.topics`, i));
  }
  summary.updated_at = readTime(o, 'updated_at', p);
  const boundary = readStruct(o, 'boundary', p, SUMMARY_BOUNDARY);
  if (boundary) {
    const bp = `${p}.boundary`;
    summary.boundary = { version: readInt(boundary, 'version', bp), cutoff_at: new Date(0) };
    const filterKey = readOptString(boundary, 'filter_key', bp);
    if (filterKey !== undefined) summary.boundary.filter_key = filterKey;
    summary.boundary.cutoff_at = readTime(boundary, 'cutoff_at', bp);
    const lastEventId = readOptString(boundary, 'last_event_id', bp);
    if (lastEventId !== undefined) summary.boundary.last_event_id = lastEventId;
  }
  return summary;
}

// ---- Track events (session_track_events.event) ----

/** Writes Go's session.TrackEvent: `track`, `payload` (raw JSON, null when unset), `timestamp`. */
export function encodeTrackEvent(event: TrackEvent, field = 'trackEvent'): string {
  const w: JsonWriter = new JsonWriter();
  w.object(event, '', field);
  w.beginObject();
  // Each field is read and written within readCallerValue: a getter, toJSON or Proxy trap of the
  // caller's that throws is refused naming the field (our own errors pass as they are).
  readCallerValue(`${field}.track`, () => w.fieldString('track', event.track, field));
  readCallerValue(`${field}.payload`, () => {
    const payload = event.payload;
    w.key('payload');
    if (payload == null) w.raw('null');
    else writeJsonValue(w, payload, field, 'payload', false);
  });
  readCallerValue(`${field}.timestamp`, () => w.fieldTime('timestamp', event.timestamp, field));
  w.endObject();
  return w.finish();
}

export function decodeTrackEvent(json: string): TrackEvent {
  return decodeJsonText(json, 'trackEvent', decodeTrackEventValue);
}

/** Reads an already parsed track event document. */
export function decodeTrackEventValue(value: unknown): TrackEvent {
  const p = 'trackEvent';
  const o = structObject(rootObject(value, p), TRACK_EVENT);
  return {
    track: readString(o, 'track', p),
    payload: o.payload == null ? null : readRawValue(o.payload),
    timestamp: readTime(o, 'timestamp', p),
  };
}

// ---- Session state (session_states.state) ----

/**
 * The document stored in session_states.state: not the bare state map but this envelope, as the
 * Go service writes it. Its `createdAt` is written once and kept by later rewrites.
 */
export interface SessionStateEnvelope {
  id: string;
  state: StateMap;
  createdAt: Date;
  updatedAt: Date;
}

/** Writes the envelope in Go's order `id`, `state`, `createdAt`, `updatedAt`. */
export function encodeSessionState(envelope: SessionStateEnvelope): string {
  const p = 'sessionState';
  const w: JsonWriter = new JsonWriter();
  w.object(envelope, '', p);
  w.beginObject();
  w.key('id');
  w.string(envelope.id, p, 'id');
  w.key('state');
  const state: unknown = envelope.state;
  w.object(state, p, 'state');
  writeStateMapEntries(w, state, `${p}.state`);
  w.fieldTime('createdAt', envelope.createdAt, p);
  w.fieldTime('updatedAt', envelope.updatedAt, p);
  w.endObject();
  return w.finish();
}

/** Reads the envelope; a missing or null `state` reads as an empty map. */
export function decodeSessionState(json: string): SessionStateEnvelope {
  return decodeJsonText(json, 'sessionState', decodeSessionStateValue);
}

/** Reads an already parsed envelope document. */
export function decodeSessionStateValue(value: unknown): SessionStateEnvelope {
  const p = 'sessionState';
  const o = structObject(rootObject(value, p), SESSION_STATE);
  return {
    id: readString(o, 'id', p),
    state: readStateMap(o.state, `${p}.state`),
    createdAt: readTime(o, 'createdAt', p),
    updatedAt: readTime(o, 'updatedAt', p),
  };
}

/**
 * Writes a state map as Go's map[string][]byte: sorted keys, base64 values, null for null. Used
 * to merge a delta into the stored envelope inside SQL (`state || $1::jsonb`).
 */
export function encodeStateMap(state: StateMap, field = 'state'): string {
  const w: JsonWriter = new JsonWriter();
  w.object(state, '', field);
  writeStateMapEntries(w, state, field);
  return w.finish();
}

/**
 * Reads a state map from its parsed JSON (or from JSON text): base64 values become bytes, null
 * stays null; null or undefined reads as an empty map. The map has no prototype.
 */
export function decodeStateMap(value: unknown, field = 'state'): StateMap {
  return readStateMap(typeof value === 'string' ? parseJson(value, field) : value, field);
}

// ---- The `tracks` session-state value ----

/** The bytes of the reserved `tracks` state value: Go's json.Marshal of the track names. */
export function encodeTrackNames(names: string[]): Uint8Array {
  const field = 'tracks';
  const w: JsonWriter = new JsonWriter();
  w.array(names, '', field);
  w.beginArray();
  for (let i = 0; i < names.length; i++) {
    w.item();
    w.string(names[i], field, i);
  }
  w.endArray();
  return textEncoder.encode(w.finish());
}

/** Reads the `tracks` state value; absent, empty or JSON null means no tracks. */
export function decodeTrackNames(bytes: Uint8Array | null | undefined): string[] {
  if (bytes == null || bytes.length === 0) return [];
  const value = parseJson(textDecoder.decode(bytes), 'tracks');
  if (value === null) return [];
  if (!Array.isArray(value)) throw new TypeError('tracks: expected a JSON array of track names');
  return value.map((name, i) => stringItem(name, 'tracks', i));
}

/**
 * The track names of a `tracks` index value, for a write. One that does not decode is refused
 * (`fail` makes the error of the rule) rather than replaced: overwriting it would silently drop
 * what it listed.
 */
export function trackNamesOf(raw: Uint8Array | null | undefined, fail: (rule: string) => Error): string[] {
  try {
    return decodeTrackNames(raw);
  } catch (error) {
    throw fail(`must be a JSON list of track names (${(error as Error).message})`);
  }
}

/** The track names of the caller's `tracks` index; INVALID_ARGUMENT naming it when it does not decode. */
export const callerTrackNames = (raw: Uint8Array | null | undefined): string[] =>
  trackNamesOf(raw, (rule) => new InvalidArgumentError(`session.state["${TRACKS_STATE_KEY}"]`, rule));

/** The track names of a session's stored `tracks` index; STORAGE naming the session when it does not decode. */
export const storedTrackNames = (raw: Uint8Array | null | undefined, sessionId: string): string[] =>
  trackNamesOf(
    raw,
    (rule) => new StorageError(`the stored "${TRACKS_STATE_KEY}" index of session ${sessionId} ${rule}`),
  );

/** The track names of a state map's `tracks` index, for reads: an index that does not decode lists none. */
export function readTrackNames(state: StateMap): string[] {
  const raw = state[TRACKS_STATE_KEY];
  if (!raw) return [];
  try {
    return decodeTrackNames(raw);
  } catch {
    return [];
  }
}

const textEncoder = new TextEncoder();
// Go replaces invalid UTF-8 with U+FFFD when it reads JSON; a non-fatal decoder does the same.
const textDecoder = new TextDecoder();
