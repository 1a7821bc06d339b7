import type { Event as AdkEvent } from '@google/adk';
import type { Event as StoredEvent } from '../../index.js';

type Part = NonNullable<NonNullable<AdkEvent['content']>['parts']>[number];
type Json = Record<string, unknown>;

/** The event actions ADK's createEvent always gives, each an empty map unless the event fills it. */
const DEFAULT_ACTION_MAPS = [
  'stateDelta',
  'artifactDelta',
  'requestedAuthConfigs',
  'requestedToolConfirmations',
];

/**
 * The ADK event as kept in the stored event's extensions, for a lossless load. Most of an event is
 * already in the stored event's Go fields, and keeping it twice made a row nearly twice the core
 * service's (the message text above all), so the kept event leaves out what the Go fields rebuild
 * exactly:
 *
 * - `id`, `author`, `invocationId` and `timestamp`, always; a kept event without `id` is this
 *   short form (a full one always has it, as an ADK event must), and those four come from the
 *   stored event;
 * - `content.parts` when they are one text part, one thought part, or a thought then a text part
 *   (every text non-empty, no other property): the Go message's `content` and `reasoning_content`;
 * - actions maps that are empty (`stateDelta`, `artifactDelta`, `requestedAuthConfigs`,
 *   `requestedToolConfirmations`; `actions` itself when nothing else is left) and an empty
 *   `longRunningToolIds`, which are createEvent's defaults.
 *
 * An event the short form cannot describe exactly (an author that is not a string, a fractional
 * timestamp, no actions or longRunningToolIds, content without a parts list, anything not a plain
 * object) is kept whole, as every event was before the short form.
 */
export function keptEvent(event: AdkEvent): object {
  if (!isShortenable(event)) return event;
  const { id: _id, author: _author, invocationId: _inv, timestamp: _ts, ...rest } = event;
  const kept: Json = rest;
  const actions = keptActions(event.actions as unknown as Json);
  if (actions) kept.actions = actions;
  else delete kept.actions;
  if (event.longRunningToolIds!.length === 0) delete kept.longRunningToolIds;
  const content = event.content;
  if (content && goRebuildsParts(content.parts!)) {
    const { parts: _parts, ...rest } = content;
    kept.content = rest;
  }
  return kept;
}

/**
 * What the stored event must keep of the ADK event besides its Go fields, or undefined when
 * nothing: a plain message (one text, one thought, or a thought then a text, with the content role
 * its author implies) or an event without content, when nothing else of it differs from
 * createEvent's defaults. Such an event is stored with Go's fields alone, as a Go service writes
 * one, and a load builds it back from them ({@link eventFromGoFields}), which gives exactly this
 * event. Most of a chat is such events, and an extension to parse with every event of every load
 * made a load of them a third slower than the core service's.
 */
export function keptBesideGoFields(event: AdkEvent): object | undefined {
  const kept = keptEvent(event);
  // keptEvent hands back the event itself when it keeps it whole.
  return kept !== event && goFieldsHoldAll(kept as Json, event) ? undefined : kept;
}

/**
 * The ADK event from what {@link keptEvent} kept and the stored event's Go fields. A full kept event
 * (every row written before the short form, and events the short form cannot describe) is the
 * event itself.
 */
export function restoredEvent(kept: Json, stored: StoredEvent): AdkEvent {
  if (Object.hasOwn(kept, 'id')) return kept as unknown as AdkEvent;
  kept.id = stored.id;
  kept.author = stored.author;
  kept.invocationId = stored.invocationId;
  kept.timestamp = stored.timestamp.getTime();
  kept.actions = withDefaultActions(kept.actions as Json | undefined);
  if (!Object.hasOwn(kept, 'longRunningToolIds')) kept.longRunningToolIds = [];
  const content = kept.content as Json | undefined;
  if (content && !Object.hasOwn(content, 'parts')) content.parts = partsFromGo(stored);
  return kept as unknown as AdkEvent;
}

/**
 * createEvent's empty action maps under what the kept actions hold. Without kept actions (the
 * usual event) a plain literal: a spread, even of nothing, is a runtime call that made this the
 * costliest line of a load.
 */
export function withDefaultActions(kept: Json | undefined): Json {
  const defaults = {
    stateDelta: {},
    artifactDelta: {},
    requestedAuthConfigs: {},
    requestedToolConfirmations: {},
  };
  // Spread, not assigned, so a `__proto__` key stays an ordinary key.
  return kept === undefined ? defaults : { ...defaults, ...kept };
}

/**
 * Whether a load builds the event back from its Go fields alone: the short form keeps nothing but,
 * perhaps, the content role its author implies (goChoices writes an author `user` as a user
 * message, any other as an assistant's, and eventFromGoFields reads them back as `user` and
 * `model`).
 */
function goFieldsHoldAll(kept: Json, event: AdkEvent): boolean {
  for (const key of Object.keys(kept)) if (key !== 'content' && kept[key] !== undefined) return false;
  const content = kept.content as Json | undefined;
  if (content === undefined) return true;
  const keys = Object.keys(content).filter((key) => content[key] !== undefined);
  const impliedRole = event.author === 'user' ? 'user' : 'model';
  return keys.length === 1 && keys[0] === 'role' && content.role === impliedRole;
}

function isShortenable(event: AdkEvent): boolean {
  if (!isPlainObject(event)) return false;
  if (typeof event.author !== 'string' || typeof event.invocationId !== 'string') return false;
  // The Go timestamp is a date: whole milliseconds only.
  if (!Number.isInteger(event.timestamp)) return false;
  if (!Array.isArray(event.longRunningToolIds) || !isPlainObject(event.actions)) return false;
  const actions = event.actions as unknown as Json;
  for (const key of DEFAULT_ACTION_MAPS) if (!isPlainObject(actions[key])) return false;
  const content = event.content;
  return content === undefined || (isPlainObject(content) && Array.isArray(content.parts));
}

/** The actions without their empty default maps; undefined when nothing else is left. */
function keptActions(actions: Json): Json | undefined {
  let kept: Json | undefined;
  for (const key of Object.keys(actions)) {
    const value = actions[key];
    if (DEFAULT_ACTION_MAPS.includes(key) && isEmptyPlainObject(value)) continue;
    if (value === undefined) continue;
    // Without a prototype, so a `__proto__` key is an ordinary key.
    kept ??= Object.create(null) as Json;
    kept[key] = value;
  }
  return kept;
}

/**
 * Whether the Go message holds these parts exactly, as {@link partsFromGo} rebuilds them: goChoices
 * joins every text part into `content` and every thought into `reasoning_content`, so only one of
 * each, thought first, with nothing beside the text, comes back as it was.
 */
function goRebuildsParts(parts: readonly Part[]): boolean {
  if (parts.length === 1) return isTextPart(parts[0], false) || isTextPart(parts[0], true);
  return parts.length === 2 && isTextPart(parts[0], true) && isTextPart(parts[1], false);
}

function isTextPart(part: unknown, thought: boolean): boolean {
  if (!isPlainObject(part)) return false;
  const p = part as Json;
  if (typeof p.text !== 'string' || p.text === '') return false;
  const keys = Object.keys(p);
  return thought ? keys.length === 2 && p.thought === true : keys.length === 1;
}

function partsFromGo(stored: StoredEvent): Part[] {
  const message = stored.choices?.[0]?.message;
  const parts: Part[] = [];
  if (message?.reasoning_content) parts.push({ text: message.reasoning_content, thought: true });
  if (message?.content) parts.push({ text: message.content });
  return parts;
}

function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isEmptyPlainObject(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const _ in value as object) return false;
  return true;
}
