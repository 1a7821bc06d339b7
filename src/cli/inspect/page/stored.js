// Reading stored JSON without trusting its shape. Rows are written by any client, plain SQL
// included, so a field the schema makes a list or an object may hold anything; the page reads
// such fields through these and marks the ones that are not what they should be, so one
// malformed field is shown as such instead of taking the rest of the session with it (as `show`
// reports a row it cannot decode and prints the others).
import { h } from './dom.js';

/** The items of a field the schema makes a list: none when it is missing or not a list. */
export function items(value) {
  return Array.isArray(value) ? value : [];
}

/** Whether a value is a JSON object (not null, not a list). */
export function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Stored text as text: strings as they are, anything else as its JSON. */
export function textOf(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The start of a value's JSON, for a mark: enough to recognize it, never the whole of a big one. */
function preview(value) {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 120 ? `${json.slice(0, 120)}…` : json;
}

/** A mark on a malformed part of a row: what is wrong and what the row holds there. */
export function malformed(what, value) {
  return h('div', { class: 'malformed', role: 'note' }, `malformed: ${what}: ${preview(value)}`);
}

/** A mark when a present field is not a list; null when it is a list or missing. */
export function unlessList(field, value) {
  if (value === undefined || value === null || Array.isArray(value)) return null;
  return malformed(`${field} is not a list`, value);
}

/** A mark when a present field is not an object; null when it is one or missing. */
export function unlessObject(field, value) {
  if (value === undefined || value === null || isObject(value)) return null;
  return malformed(`${field} is not an object`, value);
}

/**
 * What `draw` builds for a row, or a mark with the row's JSON when the row is shaped in a way the
 * checks above did not foresee: one row never takes the whole view down.
 */
export function drawnOrMarked(draw, stored) {
  try {
    return draw();
  } catch (error) {
    return malformed(`this row could not be shown (${error?.message ?? error})`, stored);
  }
}
