/**
 * A session as a file to keep: the JSON line `agent-sessions export` writes (so `import` reads it
 * back), or the transcript `agent-sessions show` prints, without colours.
 */
import pc from 'picocolors';
import { type ExportedSession, exportSessions, formatExportLine } from '../../postgres/admin/index.js';
import { NotFoundError } from '../../session/errors.js';
import { renderSession } from '../output/transcript.js';
import { viewOf } from '../records/view.js';
import type { ApiContext, KeyParams } from './api.js';

/** A file for the browser to save. */
export interface Download {
  filename: string;
  type: string;
  body: string;
}

/**
 * The stored sessions with the key: the live one, or with `includeHidden` every stored one
 * (earlier, deleted sessions with the same key too), as export records.
 */
async function records(ctx: ApiContext, key: KeyParams, includeHidden: boolean): Promise<ExportedSession[]> {
  const found: ExportedSession[] = [];
  const filter = { ...key, includeDeleted: includeHidden };
  for await (const record of exportSessions(ctx, filter, { pageSize: 10 })) found.push(record);
  if (found.length === 0) {
    throw new NotFoundError(`no stored session ${key.appName}/${key.userId}/${key.sessionId}`);
  }
  return found;
}

/** A file name made of the session id, with anything a file system or a header could trip on replaced. */
export function safeFilename(sessionId: string, extension: string): string {
  const base = sessionId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'session';
  return `${base}.${extension}`;
}

/** GET /api/export: the session as export JSON lines. */
export async function exportJson(ctx: ApiContext, key: KeyParams, includeHidden: boolean): Promise<Download> {
  const lines = (await records(ctx, key, includeHidden)).map(formatExportLine);
  return {
    filename: safeFilename(key.sessionId, 'jsonl'),
    type: 'application/x-ndjson; charset=utf-8',
    body: `${lines.join('\n')}\n`,
  };
}

/** GET /api/transcript: the session as readable text. */
export async function exportTranscript(
  ctx: ApiContext,
  key: KeyParams,
  includeHidden: boolean,
): Promise<Download> {
  // Never coloured, whatever FORCE_COLOR says: escape codes in a saved file are noise.
  const plain = pc.createColors(false);
  const texts = (await records(ctx, key, includeHidden)).map((record) => {
    const view = viewOf(record);
    const text = renderSession(view.session, {
      colors: plain,
      width: 100,
      expiresAt: view.expiresAt,
      deletedAt: view.deletedAt,
    });
    const problems = view.problems.map((p) => `warning: could not decode ${p}`);
    return [text, ...problems].join('\n');
  });
  return {
    filename: safeFilename(key.sessionId, 'txt'),
    type: 'text/plain; charset=utf-8',
    body: `${texts.join('\n\n')}\n`,
  };
}
