/**
 * Import: writes an export record into the tables, in one transaction, so that importing the same
 * record twice changes nothing:
 * - the session row is inserted, or updated when the record is newer than the stored row;
 * - events are added unless the session already holds an event with the same id;
 * - track events are added unless an identical one (track, time, JSON) is there;
 * - summaries and app/user state rows are upserted, newer wins.
 * Soft-deleted rows (from `export --include-deleted`) are inserted unless the same deleted row
 * exists; they never touch live rows.
 */

import { InvalidArgumentError, readCallerValue } from '../../session/errors.js';
import type { SqlExecutor } from '../../sql/client.js';
import type { TableNames } from '../schema/index.js';
import type { AdminDatabase } from './database.js';
import {
  checkExportedSession,
  type ExportedSession,
  type ExportedState,
  ExportLineError,
  type RowTimes,
} from './export-format.js';
import { exportedToSql } from './timestamps.js';

/** What importing one record did. */
export interface ImportCounts {
  sessionsCreated: number;
  sessionsUpdated: number;
  sessionsUnchanged: number;
  eventsAdded: number;
  eventsSkipped: number;
  summariesWritten: number;
  trackEventsAdded: number;
  stateRowsWritten: number;
}

export function emptyImportCounts(): ImportCounts {
  return {
    sessionsCreated: 0,
    sessionsUpdated: 0,
    sessionsUnchanged: 0,
    eventsAdded: 0,
    eventsSkipped: 0,
    summariesWritten: 0,
    trackEventsAdded: 0,
    stateRowsWritten: 0,
  };
}

export function addImportCounts(into: ImportCounts, more: ImportCounts): void {
  for (const key of Object.keys(into) as (keyof ImportCounts)[]) into[key] += more[key];
}

// Rows per INSERT: bounds the size of one statement for sessions with very long histories.
const CHUNK = 500;

const sqlTime = (text: string | null) => (text === null ? null : exportedToSql(text));

/** The time columns of a row as the JSON the statements read with `->>`. */
function timeFields(row: RowTimes & { createdAt?: string }) {
  return {
    c: row.createdAt === undefined ? null : sqlTime(row.createdAt),
    u: sqlTime(row.updatedAt),
    x: sqlTime(row.expiresAt),
    d: sqlTime(row.deletedAt),
  };
}

const TIME_VALUES = `(r.x->>'c')::timestamp, (r.x->>'u')::timestamp, (r.x->>'x')::timestamp, (r.x->>'d')::timestamp`;
const KEY = 'app_name = $1::text AND user_id = $2::text AND session_id = $3::text';

async function writeSession(tx: SqlExecutor, t: TableNames, s: ExportedSession): Promise<keyof ImportCounts> {
  const table = t.sessionStates.qualified;
  const params = [
    s.appName,
    s.userId,
    s.sessionId,
    s.state,
    exportedToSql(s.createdAt),
    exportedToSql(s.updatedAt),
    sqlTime(s.expiresAt),
    sqlTime(s.deletedAt),
  ];
  if (s.deletedAt !== null) {
    const { rowCount } = await tx.query(
      `INSERT INTO ${table} (app_name, user_id, session_id, state, created_at, updated_at, expires_at, deleted_at)
       SELECT $1::text, $2::text, $3::text, $4::jsonb, $5::timestamp, $6::timestamp, $7::timestamp, $8::timestamp
       WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${KEY} AND deleted_at = $8::timestamp)`,
      params,
    );
    return rowCount > 0 ? 'sessionsCreated' : 'sessionsUnchanged';
  }
  // The stored row is replaced only by a newer record (an older export must not roll a session
  // back), and not at all when it is equal, so a repeated import writes nothing.
  const { rows } = await tx.query<{ inserted: boolean }>(
    `INSERT INTO ${table} AS s (app_name, user_id, session_id, state, created_at, updated_at, expires_at, deleted_at)
     VALUES ($1::text, $2::text, $3::text, $4::jsonb, $5::timestamp, $6::timestamp, $7::timestamp, NULL)
     ON CONFLICT (app_name, user_id, session_id) WHERE deleted_at IS NULL
     DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at
     WHERE s.updated_at <= EXCLUDED.updated_at
       AND (s.state, s.updated_at, s.expires_at) IS DISTINCT FROM (EXCLUDED.state, EXCLUDED.updated_at, EXCLUDED.expires_at)
     RETURNING (xmax = 0) AS inserted`,
    params.slice(0, 7),
  );
  if (rows.length === 0) return 'sessionsUnchanged';
  return rows[0]!.inserted ? 'sessionsCreated' : 'sessionsUpdated';
}

/**
 * The events of a record the session does not hold yet (by id, within the same deletion state).
 *
 * The ids stored before the import are read once and matched here. Matching each new row in SQL
 * (NOT EXISTS over the session's events, which no index has by id) compared it with every stored
 * event of the session: a 10,000-event session, exported and imported, took minutes and passed
 * the statement timeout. Only events without a string id are still matched in SQL, by the whole
 * document, as they always were. Rows of the record itself are not matched with each other, so a
 * session holding two events with one id (Go allows it) is imported whole.
 */
async function writeEvents(tx: SqlExecutor, t: TableNames, s: ExportedSession): Promise<number> {
  const table = t.sessionEvents.qualified;
  const stored = await storedEventIds(tx, table, s);
  let added = 0;
  for (let i = 0; i < s.events.length; i += CHUNK) {
    const rows: Record<string, unknown>[] = [];
    for (const e of s.events.slice(i, i + CHUNK)) {
      const id = stringIdOf(e.event);
      const time = timeFields(e);
      if (id !== undefined && stored.has(storedIdKey(id, time.d))) continue;
      // `k`: matched by id here, so the statement need not look for it.
      rows.push({ e: e.event, ...time, ...(id !== undefined ? { k: 1 } : {}) });
    }
    if (rows.length === 0) continue;
    // WITH ORDINALITY keeps the file's order in the new row ids.
    const { rowCount } = await tx.query(
      `INSERT INTO ${table} (app_name, user_id, session_id, event, created_at, updated_at, expires_at, deleted_at)
       SELECT $1::text, $2::text, $3::text, (r.x->>'e')::jsonb, ${TIME_VALUES}
       FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS r(x, n)
       WHERE r.x ? 'k' OR NOT EXISTS (
         SELECT 1 FROM ${table} e WHERE e.app_name = $1::text AND e.user_id = $2::text AND e.session_id = $3::text
           AND e.deleted_at IS NOT DISTINCT FROM (r.x->>'d')::timestamp
           AND (e.event = (r.x->>'e')::jsonb
             OR (coalesce((r.x->>'e')::jsonb->>'id', '') <> '' AND e.event->>'id' = (r.x->>'e')::jsonb->>'id')))
       ORDER BY r.n`,
      [s.appName, s.userId, s.sessionId, JSON.stringify(rows)],
    );
    added += rowCount;
  }
  return added;
}

/** The ids of the session's stored events, each with its deletion time (see storedIdKey). */
async function storedEventIds(tx: SqlExecutor, table: string, s: ExportedSession): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string; d: string | null }>(
    `SELECT DISTINCT event->>'id' AS id, to_char(deleted_at, 'YYYY-MM-DD HH24:MI:SS.US') AS d
     FROM ${table} WHERE ${KEY} AND coalesce(event->>'id', '') <> ''`,
    [s.appName, s.userId, s.sessionId],
  );
  return new Set(rows.map((r) => storedIdKey(r.id, r.d)));
}

/**
 * An event id within a deletion state (null: live), as one Set key. The time is compared with
 * six fractional digits, as to_char writes it: the export may write fewer, or none.
 */
function storedIdKey(id: string, deletedAt: string | null): string {
  if (deletedAt === null) return `\t${id}`;
  const dot = deletedAt.indexOf('.');
  const micros = dot < 0 ? `${deletedAt}.000000` : deletedAt.padEnd(dot + 7, '0');
  return `${micros}\t${id}`;
}

/** The event's id when it is a non-empty string; otherwise SQL matches the whole document. */
function stringIdOf(eventJson: string): string | undefined {
  let id: unknown;
  try {
    id = (JSON.parse(eventJson) as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
  return typeof id === 'string' && id !== '' ? id : undefined;
}

async function writeTrackEvents(tx: SqlExecutor, t: TableNames, s: ExportedSession): Promise<number> {
  const table = t.sessionTrackEvents.qualified;
  let added = 0;
  for (let i = 0; i < s.trackEvents.length; i += CHUNK) {
    const rows = s.trackEvents.slice(i, i + CHUNK).map((e) => ({ k: e.track, e: e.event, ...timeFields(e) }));
    const { rowCount } = await tx.query(
      `INSERT INTO ${table} (app_name, user_id, session_id, track, event, created_at, updated_at, expires_at, deleted_at)
       SELECT $1::text, $2::text, $3::text, r.x->>'k', (r.x->>'e')::jsonb, ${TIME_VALUES}
       FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS r(x, n)
       WHERE NOT EXISTS (
         SELECT 1 FROM ${table} e WHERE e.app_name = $1::text AND e.user_id = $2::text AND e.session_id = $3::text
           AND e.track = r.x->>'k' AND e.created_at = (r.x->>'c')::timestamp
           AND e.deleted_at IS NOT DISTINCT FROM (r.x->>'d')::timestamp AND e.event = (r.x->>'e')::jsonb)
       ORDER BY r.n`,
      [s.appName, s.userId, s.sessionId, JSON.stringify(rows)],
    );
    added += rowCount;
  }
  return added;
}

async function writeSummaries(tx: SqlExecutor, t: TableNames, s: ExportedSession): Promise<number> {
  const table = t.sessionSummaries.qualified;
  let written = 0;
  for (const m of s.summaries) {
    const params = [
      s.appName,
      s.userId,
      s.sessionId,
      m.filterKey,
      m.summary,
      exportedToSql(m.updatedAt),
      sqlTime(m.expiresAt),
      sqlTime(m.deletedAt),
    ];
    const sql =
      m.deletedAt !== null
        ? `INSERT INTO ${table} (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at, deleted_at)
           SELECT $1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::timestamp, $7::timestamp, $8::timestamp
           WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${KEY} AND filter_key = $4::text AND deleted_at = $8::timestamp)`
        : `INSERT INTO ${table} AS m (app_name, user_id, session_id, filter_key, summary, updated_at, expires_at, deleted_at)
           VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::timestamp, $7::timestamp, NULL)
           ON CONFLICT (app_name, user_id, session_id, filter_key) WHERE deleted_at IS NULL
           DO UPDATE SET summary = EXCLUDED.summary, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at
           WHERE m.updated_at <= EXCLUDED.updated_at
             AND (m.summary, m.updated_at, m.expires_at) IS DISTINCT FROM (EXCLUDED.summary, EXCLUDED.updated_at, EXCLUDED.expires_at)`;
    written += (await tx.query(sql, m.deletedAt !== null ? params : params.slice(0, 7))).rowCount;
  }
  return written;
}

async function writeState(
  tx: SqlExecutor,
  t: TableNames,
  scope: 'app' | 'user',
  s: ExportedSession,
  rows: readonly ExportedState[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const table = scope === 'app' ? t.appStates.qualified : t.userStates.qualified;
  const owner = scope === 'app' ? ['app_name'] : ['app_name', 'user_id'];
  const ownerValues = scope === 'app' ? ['$1::text'] : ['$1::text', '$2::text'];
  const params = scope === 'app' ? [s.appName] : [s.appName, s.userId];
  const matchOwner = owner.map((c, i) => `v.${c} = ${ownerValues[i]}`).join(' AND ');
  const json = (list: readonly ExportedState[]) =>
    JSON.stringify(list.map((r) => ({ k: r.key, v: r.value, ...timeFields(r) })));
  const source = `FROM jsonb_array_elements($${params.length + 1}::jsonb) WITH ORDINALITY AS r(x, n)`;
  const columns = `${owner.join(', ')}, key, value, created_at, updated_at, expires_at, deleted_at`;
  const values = `${ownerValues.join(', ')}, r.x->>'k', r.x->>'v', ${TIME_VALUES}`;
  let written = 0;
  const live = rows.filter((r) => r.deletedAt === null);
  if (live.length > 0) {
    const result = await tx.query(
      `INSERT INTO ${table} AS v (${columns})
       SELECT ${values} ${source} ORDER BY r.n
       ON CONFLICT (${owner.join(', ')}, key) WHERE deleted_at IS NULL
       DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at
       WHERE v.updated_at <= EXCLUDED.updated_at
         AND (v.value, v.updated_at, v.expires_at) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.updated_at, EXCLUDED.expires_at)`,
      [...params, json(live)],
    );
    written += result.rowCount;
  }
  const deleted = rows.filter((r) => r.deletedAt !== null);
  if (deleted.length > 0) {
    const result = await tx.query(
      `INSERT INTO ${table} (${columns})
       SELECT ${values} ${source}
       WHERE NOT EXISTS (SELECT 1 FROM ${table} v WHERE ${matchOwner} AND v.key = r.x->>'k'
         AND v.deleted_at = (r.x->>'d')::timestamp)
       ORDER BY r.n`,
      [...params, json(deleted)],
    );
    written += result.rowCount;
  }
  return written;
}

/**
 * Imports one record in one transaction: all of it, or (when it fails) none of it. The record is
 * checked first by the rules an export line is read by (parseExportLine): a record built in code
 * that breaks one is refused with INVALID_ARGUMENT naming the field, before anything is sent.
 */
export async function importSession(
  { client, tables }: AdminDatabase,
  record: ExportedSession,
): Promise<ImportCounts> {
  const s = checkedRecord(record);
  return client.transaction(async (tx) => {
    const counts = emptyImportCounts();
    counts[await writeSession(tx, tables, s)]++;
    const events = await writeEvents(tx, tables, s);
    counts.eventsAdded = events;
    counts.eventsSkipped = s.events.length - events;
    counts.summariesWritten = await writeSummaries(tx, tables, s);
    counts.trackEventsAdded = await writeTrackEvents(tx, tables, s);
    counts.stateRowsWritten =
      (await writeState(tx, tables, 'app', s, s.appState ?? [])) +
      (await writeState(tx, tables, 'user', s, s.userState ?? []));
    return counts;
  });
}

/** The record, checked (see importSession); what cannot be read of it is named too. */
function checkedRecord(record: unknown): ExportedSession {
  return readCallerValue('session', () => {
    try {
      return checkExportedSession(record);
    } catch (error) {
      if (!(error instanceof ExportLineError)) throw error;
      throw new InvalidArgumentError(error.path ?? 'session', error.rule ?? error.message, { cause: error });
    }
  });
}
