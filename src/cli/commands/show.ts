/**
 * `agent-sessions show <app> <user> <session>`: one session as a transcript (events, state with
 * app and user state merged, summaries, tracks), or as JSON with the stored documents.
 */
import type { Command } from 'commander';
import { type ExportedSession, findSession, lastDeletion } from '../../postgres/admin/index.js';
import { addConnectionOptions, type ConnectionFlags, tableFlags } from '../connection-options.js';
import type { Database } from '../database.js';
import { withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { note, print } from '../io.js';
import { colorsFor } from '../output/colors.js';
import { indentJson } from '../output/indent-json.js';
import { safeJson, safeText } from '../output/safe-text.js';
import { shellWord } from '../output/shell-word.js';
import { outputWidth, renderSession, stateValueText } from '../output/transcript.js';
import { type SessionView, viewOf } from '../records/view.js';
import { formatExported } from '../timestamps.js';

interface ShowFlags extends ConnectionFlags {
  json?: boolean;
}

/**
 * The restore command for a session key, pasteable: each word shell-quoted, and after `--` when
 * one begins with `-`, which would otherwise be read as an option.
 */
export function restoreCommand(flags: ConnectionFlags, key: readonly string[]): string {
  const operands = key.map(shellWord).join(' ');
  const separator = key.some((word) => word.startsWith('-')) ? ' --' : '';
  return `agent-sessions restore${tableFlags(flags)}${separator} ${operands}`;
}

/** Why a key has no live session: never existed, or soft-deleted (and how to undo that). */
async function notFound(db: Database, app: string, user: string, session: string): Promise<CliError> {
  const deletedAt = await lastDeletion(db, { appName: app, userId: user, sessionId: session });
  const name = `${app}/${user}/${session}`;
  if (deletedAt) {
    return new CliError(
      `session ${name} was soft-deleted at ${formatExported(deletedAt)}; undo that with \`${restoreCommand(db.flags, [app, user, session])}\``,
    );
  }
  return new CliError(`unknown session ${name} in ${db.describe}`);
}

/** `"key":value`, the value being JSON text already. */
const member = (key: string, json: string) => `${JSON.stringify(key)}:${json}`;

/**
 * The JSON `show --json` prints: decoded state, and the stored documents as the database holds
 * them. They are spliced in as their text rather than parsed and printed again, which would
 * round numbers JSON.parse cannot hold (a Go service's int64 ids, `1.50`) and show other digits
 * than the table has.
 */
export function sessionJson(record: ExportedSession, view: SessionView): string {
  // fromEntries defines each key as its own property: assigning `state['__proto__']` would set
  // the object's prototype instead, and the key would be missing from the JSON.
  const state = Object.fromEntries(
    Object.entries(view.session.state).map(([key, value]) => [
      key,
      value === null ? null : stateValueText(value),
    ]),
  );
  // A Map keeps the tracks in their first event's order, and a track may be called __proto__.
  const tracks = new Map<string, string[]>();
  for (const row of record.trackEvents) {
    const list = tracks.get(row.track) ?? [];
    list.push(row.event);
    tracks.set(row.track, list);
  }
  const members = [
    member('appName', JSON.stringify(record.appName)),
    member('userId', JSON.stringify(record.userId)),
    member('sessionId', JSON.stringify(record.sessionId)),
    member('createdAt', JSON.stringify(record.createdAt)),
    member('updatedAt', JSON.stringify(record.updatedAt)),
    member('expiresAt', JSON.stringify(record.expiresAt)),
    member('state', JSON.stringify(state)),
    member('events', `[${record.events.map((e) => e.event).join(',')}]`),
    member(
      'summaries',
      `{${record.summaries.map((m) => member(m.filterKey, m.summary ?? 'null')).join(',')}}`,
    ),
    member(
      'tracks',
      `{${[...tracks].map(([track, events]) => member(track, `[${events.join(',')}]`)).join(',')}}`,
    ),
  ];
  return indentJson(`{${members.join(',')}}`);
}

async function show(app: string, user: string, sessionId: string, flags: ShowFlags): Promise<void> {
  await withDatabase(flags, { create: false, requireTables: true }, async (db) => {
    const record = await findSession(db, { appName: app, userId: user, sessionId });
    if (!record) throw await notFound(db, app, user, sessionId);
    const view = viewOf(record);
    if (flags.json) {
      // JSON.stringify and PostgreSQL leave DEL, C1 and bidi controls raw in strings.
      await print(safeJson(sessionJson(record, view)));
    } else {
      const rendered = renderSession(view.session, {
        colors: colorsFor(process.stdout),
        width: outputWidth(),
        expiresAt: view.expiresAt,
      });
      await print(rendered);
    }
    // A problem quotes stored keys and decoder messages about stored bytes.
    for (const problem of view.problems) note(`warning: could not decode ${safeText(problem)}`);
    if (view.expiresAt && view.expiresAt.getTime() <= Date.now()) {
      note('note: this session has expired; services no longer return it and the next sweep removes it');
    }
  });
}

export function registerShow(program: Command): void {
  addConnectionOptions(
    program
      .command('show')
      .summary('print a session as a transcript (or JSON)')
      .description(
        'Print one live session: its events as a transcript (messages, tool calls with their arguments, tool results), its state (app: and user: state merged in), summaries and tracks. Times are UTC.',
      )
      .argument('<app>', 'app name')
      .argument('<user>', 'user id')
      .argument('<session>', 'session id')
      .option('--json', 'print JSON: decoded state, and the stored event, summary and track documents'),
  ).action((app: string, user: string, session: string, flags: ShowFlags) => show(app, user, session, flags));
}
