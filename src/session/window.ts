/**
 * Which stored events an event window shows, as trpc-agent-go decides for every backend
 * (`session/internal/window`): a window is conversation history, so it holds only messages with
 * text — of a user, an assistant or a tool — and skips tool calls, partial responses, events
 * without a message and messages without text (reasoning only, an image alone). The anchor must
 * be such a message too, and `before` and `after` count only such messages.
 */
import type { Event } from './event.js';
import { goTrimSpace, isGoBlank } from './go-text.js';

/** The roles a window knows; a message of another role is never shown. */
export type WindowRole = 'user' | 'assistant' | 'tool';

const hasText = (text: unknown): boolean => typeof text === 'string' && !isGoBlank(text);

/**
 * The role a window files the event under, or undefined when the event is not shown: a tool
 * result (a `tool_id`, or the role `tool`) is a tool message, a message without a role an
 * assistant's.
 */
export function windowRoleOf(event: Event): WindowRole | undefined {
  if (event.is_partial === true) return undefined;
  const message = event.choices?.[0]?.message;
  if (!message || (message.tool_calls?.length ?? 0) > 0) return undefined;
  let role: string = message.role || 'assistant';
  if (message.tool_id || role === 'tool') role = 'tool';
  if (role !== 'user' && role !== 'assistant' && role !== 'tool') return undefined;
  const text = hasText(message.content) || (message.content_parts ?? []).some((part) => hasText(part?.text));
  return text ? role : undefined;
}

/** The roles a window is narrowed to, trimmed as Go trims, blanks dropped; undefined (every role) when none is left. */
export function windowRoles(roles: readonly string[] | undefined): ReadonlySet<string> | undefined {
  const set = new Set((roles ?? []).map(goTrimSpace).filter((role) => role !== ''));
  return set.size > 0 ? set : undefined;
}

/** Whether a window with these roles (see windowRoles) shows the event. */
export function inWindow(event: Event, roles: ReadonlySet<string> | undefined): boolean {
  const role = windowRoleOf(event);
  return role !== undefined && (roles === undefined || roles.has(role));
}

/**
 * The window around the event at `anchor` of `length` events ordered as stored (`eventAt` gives
 * each, read only when the walk reaches it): the anchor with up to `before` shown events before
 * it and `after` after it, oldest first; undefined when the anchor itself is not shown.
 */
export function windowAround(
  length: number,
  eventAt: (index: number) => Event,
  anchor: number,
  options: { before: number; after: number; roles: ReadonlySet<string> | undefined },
): Event[] | undefined {
  const at = eventAt(anchor);
  if (!inWindow(at, options.roles)) return undefined;
  const before: Event[] = [];
  for (let i = anchor - 1; i >= 0 && before.length < options.before; i--) {
    const event = eventAt(i);
    if (inWindow(event, options.roles)) before.push(event);
  }
  const after: Event[] = [];
  for (let i = anchor + 1; i < length && after.length < options.after; i++) {
    const event = eventAt(i);
    if (inWindow(event, options.roles)) after.push(event);
  }
  return [...before.reverse(), at, ...after];
}
