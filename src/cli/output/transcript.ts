/**
 * A session as a person reads it: the conversation line by line (who said what, which tools were
 * called with which arguments and what they returned), then the state by scope, the summaries and
 * the tracks. Shared by `agent-sessions show` and the demo. Every stored string goes through
 * safe-text.ts before it is measured and coloured, so it cannot drive the terminal.
 */
import { stringifyExactJson } from '../../session/codec/index.js';
import type { ContentPart, Event, Message } from '../../session/event.js';
import { isUserMessage } from '../../session/event.js';
import type { Session } from '../../session/session.js';
import { APP_PREFIX, USER_PREFIX } from '../../session/state.js';
import { formatUtc } from '../timestamps.js';
import type { Colors } from './colors.js';
import { safeLines, safeText } from './safe-text.js';

export interface TranscriptOptions {
  colors: Colors;
  /** Line width to wrap at (terminal columns). */
  width: number;
  /** Shown in the header when set. */
  expiresAt?: Date | null;
  deletedAt?: Date | null;
}

// Speaker labels are as wide as the longest one, within these bounds.
const MIN_LABEL = 9;
const MAX_LABEL = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The number of user messages: what a person calls the turns of a conversation. */
export function countTurns(events: readonly Event[]): number {
  return events.filter(isUserMessage).length;
}

/**
 * Where to split a word that does not fit in `room`, counted from `from`: after a comma when one
 * is near the end (JSON).
 */
function cutPoint(chars: readonly string[], from: number, room: number): number {
  // Only the second half of the room is searched (lastIndexOf would go on to the word's start).
  for (let i = from + room - 1; i - from >= room / 2; i--) if (chars[i] === ',') return i + 1 - from;
  return room;
}

/**
 * Wraps `text` to `width` columns, keeping its own line breaks. A word longer than a line (JSON,
 * a URL) is split, starting on the current line so it does not leave a gap behind. A long word is
 * walked by position, never copied from each cut to its end: that copy made a 2 MB word take
 * minutes (the time grew with the square of its length).
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line: string[] = [];
    for (const word of paragraph.split(/ +/)) {
      const chars = [...word];
      const room = width - line.length - (line.length > 0 ? 1 : 0);
      if (chars.length <= room) {
        line = line.length > 0 ? [...line, ' ', ...chars] : chars;
        continue;
      }
      let start = 0;
      if (chars.length > width && room >= 8) {
        start = cutPoint(chars, 0, room);
        line = line.length > 0 ? [...line, ' ', ...chars.slice(0, start)] : chars.slice(0, start);
      }
      if (line.length > 0) out.push(line.join(''));
      while (chars.length - start > width) {
        const cut = cutPoint(chars, start, width);
        out.push(chars.slice(start, start + cut).join(''));
        start += cut;
      }
      line = start === 0 ? chars : chars.slice(start);
    }
    out.push(line.join(''));
  }
  return out;
}

function partText(part: ContentPart): string {
  if (part.text) return part.text;
  if (part.image) return `[image${part.image.url ? ` ${part.image.url}` : ''}]`;
  if (part.audio) return '[audio]';
  if (part.video) return '[video]';
  if (part.file) return `[file ${part.file.filename || part.file.file_id}]`;
  if (part.content_ref) return `[${part.content_ref.artifact_name || part.content_ref.artifact_ref}]`;
  return `[${part.type}]`;
}

function messageText(message: Message): string {
  const parts = (message.content_parts ?? []).map(partText);
  return [message.content ?? '', ...parts].filter(Boolean).join('\n');
}

/** A state value as text: UTF-8 as is, anything else as its size. */
export function stateValueText(value: Uint8Array | null | undefined): string {
  if (value === null || value === undefined) return 'null';
  try {
    return utf8.decode(value);
  } catch {
    return `<${value.length} bytes>`;
  }
}

/** Stored text on one line of at most `max` characters, as shown (escaped). */
function clip(text: string, max: number): string {
  const oneLine = safeText(text.replace(/\s+/g, ' '));
  return [...oneLine].length <= max ? oneLine : `${[...oneLine].slice(0, max - 1).join('')}…`;
}

/** One transcript entry; label, text and lead hold stored text as stored until `shown`. */
interface Line {
  label: string;
  paint: (text: string) => string;
  /** Plain text; colour is applied after wrapping, so colour codes never count as width. */
  text: string;
  /** A coloured start of the first line (a tool's name), followed by `text`. */
  lead?: { text: string; paint: (text: string) => string };
  /** Colour of the whole text. */
  style?: (text: string) => string;
}

/** The transcript lines one event contributes. */
function eventLines(event: Event, c: Colors): Line[] {
  const choice = event.choices?.[0];
  const message = choice?.message ?? choice?.delta;
  const lines: Line[] = [];
  if (event.error) {
    lines.push({
      label: 'error',
      paint: c.red,
      text: `${event.error.type}: ${event.error.message}`,
      style: c.red,
    });
  }
  if (!message) return lines;
  const text = messageText(message);
  if (message.role === 'tool' || message.tool_id) {
    lines.push({
      label: 'tool',
      paint: c.magenta,
      lead: { text: `← ${message.tool_name || 'result'}`, paint: (t) => c.magenta(c.bold(t)) },
      text: text || '(no output)',
    });
    return lines;
  }
  const role = message.role || 'assistant';
  const paint = role === 'user' ? c.cyan : role === 'assistant' ? c.green : c.gray;
  const label = role === 'assistant' && event.author && event.author !== 'assistant' ? event.author : role;
  if (message.reasoning_content) {
    lines.push({
      label,
      paint,
      text: `(thinking) ${message.reasoning_content}`,
      style: (t) => c.dim(c.italic(t)),
    });
  }
  if (text) lines.push({ label, paint, text });
  for (const call of message.tool_calls ?? []) {
    lines.push({
      label,
      paint,
      lead: { text: `→ ${call.function.name}`, paint: (t) => c.yellow(c.bold(t)) },
      text: call.function.arguments || '()',
    });
  }
  return lines;
}

/**
 * The line as printed: control characters escaped, line feeds of the text kept (messages are
 * multi-line on purpose). Done before labels are measured and text is wrapped or coloured.
 */
function shown(line: Line): Line {
  return {
    ...line,
    label: safeText(line.label),
    text: safeLines(line.text),
    lead: line.lead && { ...line.lead, text: safeText(line.lead.text) },
  };
}

/** A line's text wrapped to `width`, coloured. */
function wrapLine(line: Line, width: number): string[] {
  const full = line.lead ? `${line.lead.text} ${line.text}` : line.text;
  const wrapped = wrap(full, width).map((l) => (line.style ? line.style(l) : l));
  if (line.lead && wrapped.length > 0) {
    const first = wrapped[0]!;
    const leadLength = line.lead.text.length;
    wrapped[0] = line.lead.paint(first.slice(0, leadLength)) + first.slice(leadLength);
  }
  return wrapped;
}

function heading(c: Colors, text: string): string {
  return c.bold(c.underline(text));
}

function transcript(session: Session, o: TranscriptOptions): string[] {
  const c = o.colors;
  const out: string[] = [heading(c, 'Transcript')];
  if (session.events.length === 0) out.push(c.dim('  (no events)'));
  const lines = session.events.map((event) => ({ event, lines: eventLines(event, c).map(shown) }));
  const longest = Math.max(0, ...lines.flatMap((e) => e.lines.map((l) => [...l.label].length)));
  const labelWidth = Math.min(MAX_LABEL, Math.max(MIN_LABEL, longest));
  // Two spaces, the time (8), two spaces, the label, one space.
  const indent = ' '.repeat(2 + 8 + 2 + labelWidth + 1);
  const textWidth = Math.max(20, o.width - indent.length);
  for (const { event, lines: eventText } of lines) {
    const time = c.dim(formatUtc(event.timestamp).slice(11, 19));
    for (const line of eventText) {
      const [first = '', ...rest] = wrapLine(line, textWidth);
      const label = line.paint([...line.label].slice(0, labelWidth).join('').padEnd(labelWidth));
      out.push(`  ${time}  ${label} ${first}`);
      for (const more of rest) out.push(`${indent}${more}`);
    }
  }
  return out;
}

function stateSection(session: Session, o: TranscriptOptions): string[] {
  const c = o.colors;
  const entries = Object.entries(session.state)
    .map(([key, value]) => [safeText(key), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out = [heading(c, 'State')];
  if (entries.length === 0) return [...out, c.dim('  (empty)')];
  const scope = (key: string) =>
    key.startsWith(APP_PREFIX) ? 'app' : key.startsWith(USER_PREFIX) ? 'user' : 'session';
  const order = { session: 0, user: 1, app: 2 } as const;
  entries.sort(([a], [b]) => order[scope(a)] - order[scope(b)]);
  const keyWidth = Math.min(32, Math.max(...entries.map(([k]) => [...k].length)));
  const valueWidth = Math.max(20, o.width - 2 - 7 - 2 - keyWidth - 3);
  for (const [key, value] of entries) {
    const s = scope(key);
    out.push(
      `  ${c.dim(s.padEnd(7))}  ${c.bold(key.padEnd(keyWidth))} = ${clip(stateValueText(value), valueWidth)}`,
    );
  }
  return out;
}

function summarySection(session: Session, o: TranscriptOptions): string[] {
  const c = o.colors;
  const keys = Object.keys(session.summaries).sort();
  if (keys.length === 0) return [];
  const out: string[] = [];
  for (const key of keys) {
    const summary = session.summaries[key]!;
    const title = key === '' ? 'Summary' : `Summary (filter key ${safeText(key)})`;
    out.push(`${heading(c, title)} ${c.dim(`up to ${formatUtc(summary.updated_at)}`)}`);
    for (const line of wrap(safeLines(summary.summary), Math.max(20, o.width - 2))) out.push(`  ${line}`);
    if (summary.topics?.length) out.push(`  ${c.dim(`topics: ${safeText(summary.topics.join(', '))}`)}`);
  }
  return out;
}

function trackSection(session: Session, o: TranscriptOptions): string[] {
  const c = o.colors;
  const names = Object.keys(session.tracks).sort();
  if (names.length === 0) return [];
  const out = [heading(c, 'Tracks')];
  const width = Math.max(20, o.width - 4 - 8 - 2);
  for (const name of names) {
    const events = session.tracks[name]!.events;
    out.push(
      `  ${c.bold(safeText(name))} ${c.dim(`(${events.length} event${events.length === 1 ? '' : 's'})`)}`,
    );
    for (const event of events) {
      const payload = event.payload === undefined ? 'null' : (stringifyExactJson(event.payload) ?? 'null');
      out.push(`    ${c.dim(formatUtc(event.timestamp).slice(11, 19))}  ${clip(payload, width)}`);
    }
  }
  return out;
}

/** The header: the key, times, counts, and whether the session is expired or deleted. */
export function sessionHeader(session: Session, o: TranscriptOptions): string[] {
  const c = o.colors;
  const title = `${c.bold('Session')} ${safeText(session.appName)} / ${safeText(session.userId)} / ${c.bold(safeText(session.id))}`;
  const facts = [
    `created ${formatUtc(session.createdAt)}`,
    `updated ${formatUtc(session.updatedAt)}`,
    `${session.events.length} event${session.events.length === 1 ? '' : 's'}`,
    `${countTurns(session.events)} turn${countTurns(session.events) === 1 ? '' : 's'}`,
  ];
  if (o.expiresAt) {
    const past = o.expiresAt.getTime() <= Date.now();
    facts.push(past ? c.red(`expired ${formatUtc(o.expiresAt)}`) : `expires ${formatUtc(o.expiresAt)}`);
  }
  if (o.deletedAt) facts.push(c.red(`deleted ${formatUtc(o.deletedAt)}`));
  return [title, c.dim(facts.join(' · '))];
}

/** The whole session as text (no trailing newline). Times are UTC. */
export function renderSession(session: Session, o: TranscriptOptions): string {
  const sections = [
    sessionHeader(session, o),
    transcript(session, o),
    stateSection(session, o),
    summarySection(session, o),
    trackSection(session, o),
  ].filter((s) => s.length > 0);
  return sections.map((s) => s.join('\n')).join('\n\n');
}

/** Columns to wrap at: the terminal's, or 100 when the output is not a terminal. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns ? Math.max(60, stream.columns) : 100;
}
